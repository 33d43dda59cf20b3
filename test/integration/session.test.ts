import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { createCore, Core, executePythonCode, listSessionFiles, readSessionFile, runShellCommand } from '../../src/core';
import { core, tempDir, threadKey, toolContext } from '../helpers/env';

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
    assert.equal(h.Memory, 2048 * 1024 * 1024);
    assert.equal(h.MemorySwap, h.Memory, 'no swap');
    assert.equal(h.PidsLimit, 256);
    assert.equal(h.NanoCpus, 1.5e9);
    assert.equal(h.Init, true);
    // Docker lists no Binds; Podman lists the named volume there too ("name:/mnt/data:…"). Never a host path.
    for (const b of h.Binds ?? []) assert.ok(b.startsWith(`${session.names.volume}:/mnt/data:`), `no host bind mounts: ${b}`);
    assert.deepEqual(info.Mounts.map((m) => [m.Type, m.Destination]), [['volume', '/mnt/data']]);
    assert.equal(info.Config.User, '1000:1000');
    assert.equal(info.Config.Labels['dev.code-interpreter.managed'], 'true');
    // No host environment: the container's environment is exactly the image's, and a canary set
    // in this process never reaches a shell inside.
    const imageEnv = (await c.docker.api.getImage(c.image.tag).inspect()).Config.Env ?? [];
    // (Podman adds its own HOSTNAME, TERM and container=podman; nothing else may differ.)
    const engineOwn = /^(HOSTNAME|TERM|container)=/;
    assert.deepEqual([...info.Config.Env].filter((e) => !engineOwn.test(e) || imageEnv.includes(e)).sort(), [...imageEnv].sort());
    const env = await runShellCommand({ command: 'env' }, toolContext(c, session.threadKey));
    assert.equal(env.status, 'ok');
    assert.match(env.text, /^HOME=\/tmp\/home$/m);
    const caps = await runShellCommand({ command: 'grep -E "^Cap(Bnd|Eff|Prm):|^NoNewPrivs:" /proc/self/status' }, toolContext(c, session.threadKey));
    assert.match(caps.text, /CapPrm:\t0{16}\nCapEff:\t0{16}\nCapBnd:\t0{16}/);
    assert.match(caps.text, /NoNewPrivs:\t1/);
    assert.doesNotMatch(env.text, /HOST_ENV_CANARY/);
    const mounts = await runShellCommand({ command: 'cat /proc/mounts; ls /var/run/docker.sock 2>&1 || true' }, toolContext(c, session.threadKey));
    assert.match(mounts.text, /tmpfs \/tmp tmpfs rw,nosuid,nodev/);
    assert.match(mounts.text, /No such file/);
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
    const first = createCore({ idleStopMinutes: 0, poolSize: 0, historyDir });
    await executePythonCode({ pythonCode: 'open("from-first.txt", "w").write("hello again")' }, toolContext(first, thread));
    const firstId = first.manager.session(thread).id;
    await first.manager[Symbol.asyncDispose]();
    const second = createCore({ idleStopMinutes: 0, poolSize: 0, historyDir });
    await using session = second.manager.session(thread);
    assert.deepEqual(session.history.map((r) => r.code), ['open("from-first.txt", "w").write("hello again")'], 'the execution history came along');
    const o = await readSessionFile({ path: 'from-first.txt' }, toolContext(second, thread));
    assert.match(o.text, /hello again/);
    assert.equal(session.id, firstId, 'same session id from the labels');
    const listed = await second.manager.list();
    assert.ok(listed.some((s) => s.threadKey === thread && s.state === 'running'));
  });

  it('stops after the idle time, keeps the volume, and restarts saying the kernel was restarted', async () => {
    const idle = createCore({ idleStopMinutes: 0.02, poolSize: 0 });
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
