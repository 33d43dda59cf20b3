import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { CONTAINER_DEFAULTS, Core, executePythonCode, listSessionFiles, readSessionFile, runShellCommand } from '../../src/core';
import { sessionLabels, sessionNames } from '../../src/core/session/naming';
import { core, tempDir, threadKey, toolContext, createTestCore , TEST_RUNTIME } from '../helpers/env';

describe('session container', () => {
  let c: Core;
  before(async () => {
    c = await core();
  });

  it('is hardened as the engine reports it', async () => {
    process.env.HOST_ENV_CANARY = 'must-not-leak';
    await using session = c.manager.session(threadKey('hardening'));
    await session.ensureContainer();
    const info = await session.inspect();
    const h = info.HostConfig;
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.ReadonlyRootfs, true);
    // Docker reports the request (['ALL']); Podman reports each capability it dropped. Either way
    // the process inside holds none: its bounding, effective and permitted sets are empty.
    assert.ok(h.CapDrop?.includes('ALL') || (h.CapDrop?.length ?? 0) >= 13, `CapDrop: ${h.CapDrop}`);
    assert.deepEqual(h.CapAdd ?? [], []);
    assert.ok(h.SecurityOpt?.some((s: string) => s.startsWith('no-new-privileges')));
    // Under gVisor the engine's limit holds gVisor too: it gets headroom (512 MB, a quarter of 2 GB)
    // and the guard inside holds the chosen 2 GB (SBX_GUARD); under runc the engine holds 2 GB itself.
    const gvisor = (await c.manager.runtime()).name === 'runsc';
    const podman = (await c.docker.version()).Components?.some((x) => /podman/i.test(x.Name ?? '')) ?? false;
    const guard = gvisor ? [`SBX_GUARD=memory=${2048 * 1024 * 1024},pids=256`] : [];
    assert.equal(h.Memory, (gvisor ? 2048 + 512 : 2048) * 1024 * 1024);
    assert.equal(h.MemorySwap, h.Memory, 'no swap');
    // Under gVisor RLIMIT_NPROC holds the 256 inside and the engine's limit has headroom for gVisor's own tasks.
    assert.equal(h.PidsLimit, gvisor ? 2 * 256 + 256 : 256);
    // Podman reports its own default ulimits (RLIMIT_NOFILE, RLIMIT_NPROC) where Docker reports none.
    const ulimits = (h.Ulimits ?? []).map((u) => [u.Name, u.Soft, u.Hard]);
    if (gvisor) assert.deepEqual(ulimits, [['nproc', 256, 256]]);
    else if (podman) assert.ok(!ulimits.some(([name, , hard]) => /nproc/i.test(String(name)) && hard === 256), `Podman's own ulimits only: ${JSON.stringify(ulimits)}`);
    else assert.deepEqual(ulimits, [], 'no ulimits under runc');
    assert.equal(h.NanoCpus, 1.5e9);
    assert.equal(h.Init, true);
    // Docker lists no Binds; Podman lists the named volume there too ("name:/mnt/data:…"). Never a host path.
    for (const b of h.Binds ?? []) assert.ok(b.startsWith(`${session.names.volume}:/mnt/data:`), `no host bind mounts: ${b}`);
    assert.deepEqual(info.Mounts.map((m) => [m.Type, m.Destination]), [['volume', '/mnt/data']]);
    // A uid no host account has (not 1000, the first desktop user's).
    assert.equal(info.Config.User, '65532:65532');
    // The runtime the engine reports: what was asked (auto: gVisor when the engine has it, else the engine's default).
    const runtimes = Object.keys((await c.docker.info()).Runtimes ?? {});
    const setting = TEST_RUNTIME ?? CONTAINER_DEFAULTS.runtime;
    const expected = setting !== 'auto' ? setting : runtimes.includes('runsc') ? 'runsc' : undefined;
    // Podman reports its own OCI runtime as 'oci' whatever name was asked for.
    if (expected && !podman) assert.equal(h.Runtime, expected);
    else if (expected) assert.ok(h.Runtime === expected || h.Runtime === 'oci', `Podman's runtime: ${h.Runtime}`);
    else assert.ok(!h.Runtime || h.Runtime === 'runc' || h.Runtime === 'crun', `the engine's default runtime: ${h.Runtime}`);
    assert.equal(info.Config.Labels['dev.code-interpreter.runtime'], (await c.manager.runtime()).name);
    assert.equal(info.Config.Labels['dev.code-interpreter.managed'], 'true');
    // No host environment: the container's environment is exactly the image's, and a canary set
    // in this process never reaches a shell inside.
    const imageEnv = (await c.docker.api.getImage(c.image.tag).inspect()).Config.Env ?? [];
    // (Podman adds its own HOSTNAME, TERM and container=podman; nothing else may differ.)
    const engineOwn = /^(HOSTNAME|TERM|container)=/;
    assert.deepEqual([...info.Config.Env].filter((e) => !engineOwn.test(e) || imageEnv.includes(e)).sort(), [...imageEnv, ...guard].sort());
    const env = await runShellCommand({ command: 'env' }, toolContext(c, session.threadKey));
    assert.equal(env.status, 'ok');
    assert.match(env.text, /^HOME=\/tmp\/home$/m);
    const caps = await runShellCommand({ command: 'grep -E "^Cap(Bnd|Eff|Prm):" /proc/self/status; id -u; python3 -c "import ctypes; print(\'nnp\', ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))"' }, toolContext(c, session.threadKey));
    assert.match(caps.text, /CapPrm:\t0{16}\nCapEff:\t0{16}\nCapBnd:\t0{16}/);
    assert.match(caps.text, /^65532$/m, 'the processes inside run as 65532');
    // PR_GET_NO_NEW_PRIVS (gVisor has no NoNewPrivs line in /proc/self/status, so ask the kernel).
    assert.match(caps.text, /^nnp 1$/m);
    assert.doesNotMatch(env.text, /HOST_ENV_CANARY/);
    assert.doesNotMatch(env.text, /^SBX_(?!RUN_ID=)/m, "the host's settings for the kernel and the guard never reach code");
    const mounts = await runShellCommand({ command: 'cat /proc/mounts; for s in /var/run/docker.sock /run/podman/podman.sock; do test -e $s && echo "PRESENT $s"; done; echo checked' }, toolContext(c, session.threadKey));
    const tmp = /^\S+ \/tmp tmpfs (\S+)/m.exec(mounts.text)?.[1] ?? '';
    assert.match(tmp, /^rw,/, mounts.text);
    // runc shows the options asked for; gVisor's own kernel mounts /tmp noexec (it has no setuid or device files).
    if ((await c.manager.runtime()).name === 'runsc') assert.match(tmp, /noexec/);
    else assert.match(tmp, /nosuid,nodev/);
    assert.match(mounts.text, /checked/);
    assert.doesNotMatch(mounts.text, /PRESENT/, 'no engine socket inside');
  });

  it('restarts a killed kernel: variables lost, files kept, and says so', async () => {
    const ctx = toolContext(c, threadKey('kill'));
    await using session = c.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: 'v = 1\nopen("keep.txt", "w").write("kept")' }, ctx);
    const pid = session.kernelPid!;
    assert.ok(pid > 0);
    const running = executePythonCode({ pythonCode: 'import time\ntime.sleep(30)' }, ctx);
    await new Promise((r) => setTimeout(r, 1000));
    await c.docker.execOnce((await session.inspect()).Id, ['kill', '-KILL', String(pid)]);
    const killed = await running;
    assert.equal(killed.status, 'error');
    assert.match(killed.text, /kernel died/);
    assert.match(killed.text, /variables from earlier executions are gone; files in \/mnt\/data are kept/);
    const next = await executePythonCode({ pythonCode: 'print(open("keep.txt").read())\nprint("v" in globals())' }, ctx);
    assert.equal(next.status, 'ok', next.text);
    assert.match(next.text, /kept\nFalse/);
    assert.notEqual(session.kernelPid, pid);
  });

  it('a call racing a delete says the session was deleted, and brings nothing back', async () => {
    const ctx = toolContext(c, threadKey('race'));
    const session = c.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: '1' }, ctx);
    // The delete lands between the call taking its turn and reaching the kernel.
    let deleting: Promise<void> | undefined;
    session.once('execution-start', () => (deleting = session.delete()));
    const o = await executePythonCode({ pythonCode: 'print("ran")' }, ctx);
    await deleting;
    assert.equal(o.status, 'unavailable', o.text);
    assert.match(o.text, /session was deleted during the call/);
    assert.doesNotMatch(o.text, /TypeError|Cannot read properties|ran/);
    assert.equal(await c.docker.inspectContainer(session.names.container), undefined, 'no container made again for the deleted thread');
    assert.equal(await c.docker.volumeExists(session.names.volume), undefined, 'nor a volume');
  });

  it('a running call whose session is deleted says so', async () => {
    const ctx = toolContext(c, threadKey('race-running'));
    const session = c.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: '1' }, ctx);
    const running = executePythonCode({ pythonCode: 'import time\ntime.sleep(30)' }, ctx);
    await new Promise((r) => setTimeout(r, 1000));
    await session.delete();
    const o = await running;
    assert.notEqual(o.status, 'ok', o.text);
    assert.match(o.text, /session was deleted during the call/);
    assert.equal(await c.docker.inspectContainer(session.names.container), undefined);
  });

  it("hands an old thread's files (uid 1000, from before uid 65532) to the sandbox user on first use", async () => {
    const thread = threadKey('migrate');
    const names = sessionNames(thread);
    // The volume as the old image left it: this thread's data volume without an owner label, every file uid 1000.
    const labels = sessionLabels(names, 'old-session', 'data');
    delete labels['dev.code-interpreter.owner'];
    await c.docker.createVolume(names.volume, labels);
    const seeded = await c.docker.runOnce(
      c.image.tag,
      ['sh', '-c', 'cd /mnt/data && echo old > old.txt && mkdir sub && echo x > sub/y.txt && chmod 700 sub && chown -R 1000:1000 /mnt/data && stat -c %u /mnt/data sub/y.txt'],
      {},
      { user: '0:0', capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'], volume: { name: names.volume, target: '/mnt/data' } },
    );
    assert.equal(seeded.stdout.toString().trim(), '1000\n1000', seeded.stderr.toString());
    const ctx = toolContext(c, thread);
    await using _s = c.manager.session(thread);
    const o = await executePythonCode({ pythonCode: 'import os\nopen("old.txt", "a").write("more\\n")\nprint(open("old.txt").read().split(), open("sub/y.txt").read().strip(), os.stat("old.txt").st_uid, os.stat("sub").st_uid)\nopen("sub/new.txt", "w").write("n")' }, ctx);
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /\['old', 'more'\] x 65532 65532/);
  });

  it('keeps threads apart: one thread cannot see another thread\'s files', async () => {
    const a = toolContext(c, threadKey('iso-a'));
    const b = toolContext(c, threadKey('iso-b'));
    await using _sa = c.manager.session(a.threadKey);
    await using _sb = c.manager.session(b.threadKey);
    await executePythonCode({ pythonCode: 'open("secret-a.txt", "w").write("a")' }, a);
    const listB = await listSessionFiles({}, b);
    assert.equal(listB.status, 'ok');
    assert.doesNotMatch(listB.text, /secret-a/);
    const readB = await readSessionFile({ path: 'secret-a.txt' }, b);
    assert.notEqual(readB.status, 'ok');
    const listA = await listSessionFiles({}, a);
    assert.match(listA.text, /secret-a\.txt/);
  });

  it('is rediscovered by a new manager (as after a restart) with its files', async () => {
    const thread = threadKey('rediscover');
    const historyDir = tempDir();
    const first = createTestCore({ idleStopMinutes: 0, poolSize: 0, historyDir });
    await executePythonCode({ pythonCode: 'open("from-first.txt", "w").write("hello again")' }, toolContext(first, thread));
    const firstId = first.manager.session(thread).id;
    await first.manager[Symbol.asyncDispose]();
    const second = createTestCore({ idleStopMinutes: 0, poolSize: 0, historyDir });
    await using session = second.manager.session(thread);
    assert.deepEqual((await session.readHistory()).map((r) => r.code), ['open("from-first.txt", "w").write("hello again")'], 'the execution history came along');
    const o = await readSessionFile({ path: 'from-first.txt' }, toolContext(second, thread));
    assert.match(o.text, /hello again/);
    assert.equal(session.id, firstId, 'same session id from the labels');
    const listed = await second.manager.list();
    assert.ok(listed.some((s) => s.threadKey === thread && s.state === 'running'));
  });

  it('stops after the idle time, keeps the volume, and restarts saying the kernel was restarted', async () => {
    const idle = createTestCore({ idleStopMinutes: 0.02, poolSize: 0 });
    const ctx = toolContext(idle, threadKey('idle'));
    await using session = idle.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: 'z = 5\nopen("idle.txt", "w").write("x")' }, ctx);
    const deadline = Date.now() + 20_000;
    while ((await session.inspect()).State.Running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal((await session.inspect()).State.Running, false, 'stopped after idling');
    const o = await executePythonCode({ pythonCode: 'import os\nprint(os.path.exists("idle.txt"), "z" in globals())' }, ctx);
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /True False/);
    assert.match(o.text, /stopped and was started again; Python variables from earlier executions are gone/);
  });

  it('writes an audit line for every tool call', async () => {
    const ctx = toolContext(c, threadKey('audit'));
    await using _s = c.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: 'print("audited")' }, ctx);
    await executePythonCode({ pythonCode: 'x', timeoutSeconds: 1 }, ctx);
    const lines = readFileSync(ctx.audit!.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].tool, 'executePythonCode');
    assert.equal(lines[0].thread, ctx.threadKey);
    assert.equal(lines[0].caller, 'test');
    assert.equal(lines[0].code, 'print("audited")');
    assert.match(lines[0].codeSha256, /^[0-9a-f]{64}$/);
    assert.equal(lines[0].status, 'ok');
    assert.ok(lines[0].outputBytes.stdout >= 8);
    assert.ok(lines[0].session.length > 0);
    assert.equal(lines[1].status, 'rejected');
  });
});
