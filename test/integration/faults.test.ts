import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Core,
  executePythonCode,
  getSessionFile,
  listSessionFiles,
  readSessionFile,
  rootedHostFiles,
  runShellCommand,
  searchSessionFiles,
  ToolContext,
  uploadFileToSession,
} from '../../src/core';
import { core, tempDir, threadKey, toolContext, createTestCore } from '../helpers/env';

/** Hostile code and infrastructure faults: a clear result naming the limit, files intact, recovery. */
describe('faults', () => {
  let c: Core;
  let small: Core; // a session with small limits, so the bombs go off quickly
  before(async () => {
    c = await core();
    small = createTestCore({ idleStopMinutes: 0, poolSize: 0, sandbox: { memoryMb: 384, diskQuotaMb: 64, pidsLimit: 128 } });
  });
  after(async () => small.manager[Symbol.asyncDispose]());

  it('memory bomb: the limit holds, the result says out of memory, variables lost, files kept', async () => {
    const ctx = toolContext(small, threadKey('oom'));
    await using _s = small.manager.session(ctx.threadKey);
    await executePythonCode({ pythonCode: 'v = 1\nopen("safe.txt", "w").write("safe")' }, ctx);
    const o = await executePythonCode({ pythonCode: 'hog = []\nwhile True:\n    hog.append(b"x" * (64 * 1024 * 1024))' }, ctx);
    assert.equal(o.status, 'error', o.text);
    assert.match(o.text, /ran out of memory \(limit 384 MB\)/);
    assert.match(o.text, /variables from earlier executions are gone; files in \/mnt\/data are kept/);
    const next = await executePythonCode({ pythonCode: 'print(open("safe.txt").read(), "v" in globals())' }, ctx);
    assert.equal(next.status, 'ok', next.text);
    assert.match(next.text, /safe False/);
  });

  it('fork bomb from the shell: the pids limit holds, the call ends with its tree, other sessions are unaffected', async () => {
    const ctx = toolContext(small, threadKey('forkbomb'));
    const other = toolContext(c, threadKey('bystander'));
    await using _s = small.manager.session(ctx.threadKey);
    await using _o = c.manager.session(other.threadKey);
    await executePythonCode({ pythonCode: 'print(1)' }, other);
    await runShellCommand({ command: 'echo kept > before-bomb.txt' }, ctx);
    await executePythonCode({ pythonCode: 'before_bomb = 42' }, ctx);
    const container = (await small.docker.inspectContainer(small.manager.session(ctx.threadKey).names.container))!;
    const bomb = runShellCommand({ command: 'bomb() { bomb | bomb & }; bomb; sleep 30', timeoutSeconds: 15 }, ctx);
    const during = await executePythonCode({ pythonCode: 'print("bystander ok")' }, other);
    assert.match(during.text, /bystander ok/);
    const o = await bomb;
    assert.notEqual(o.status, 'ok');
    // Under runc the pids cgroup refuses the forks; under gVisor RLIMIT_NPROC inside does (the engine's
    // pids limit has headroom for gVisor itself), and the guard records the hit: the same words.
    assert.match(o.text, /process limit \(128 processes per session\) was reached/);
    const ps = await runShellCommand({ command: "ps -e -o args --no-headers | grep -c '[b]omb()'; cat before-bomb.txt" }, ctx);
    assert.equal(ps.status, 'ok', ps.text);
    assert.equal(ps.text.trim().split('\n')[0], '0', `bomb processes left: ${ps.text}`);
    assert.match(ps.text, /^kept$/m);
    // The bomb failed inside: the same container, never restarted, and the kernel kept its variables.
    const after = (await small.docker.inspectContainer(container.Id))!;
    assert.equal(after.State.StartedAt, container.State.StartedAt, 'the container was not restarted');
    assert.equal(after.State.Running, true);
    assert.match((await executePythonCode({ pythonCode: 'print(before_bomb)' }, ctx)).text, /^42/);
  });

  it('CPU spin in Python and shell: the timeout interrupts it while another session stays responsive', async () => {
    const ctx = toolContext(c, threadKey('spin'));
    const other = toolContext(c, threadKey('spin-other'));
    await using _s = c.manager.session(ctx.threadKey);
    await using _o = c.manager.session(other.threadKey);
    await executePythonCode({ pythonCode: '1' }, other);
    let spinDone = false;
    const spin = executePythonCode({ pythonCode: 'while True:\n    pass', timeoutSeconds: 5 }, ctx).then((o) => ((spinDone = true), o));
    const quick = await executePythonCode({ pythonCode: 'print(2 + 2)' }, other);
    assert.match(quick.text, /^4/);
    assert.equal(spinDone, false, 'the other session answered while the spin was still running');
    assert.equal((await spin).status, 'timeout');
    const sh = await runShellCommand({ command: 'while :; do :; done', timeoutSeconds: 5 }, ctx);
    assert.equal(sh.status, 'timeout');
    assert.equal((await executePythonCode({ pythonCode: 'print("after")' }, ctx)).status, 'ok');

  });

  it('output flood: host memory stays bounded, the text is cut, the saved copy is capped with a note', async () => {
    const ctx = toolContext(c, threadKey('flood'));
    await using _s = c.manager.session(ctx.threadKey);
    const rssBefore = process.memoryUsage().rss;
    // 1 GiB on one line with no newline, written straight to fd 1.
    const o = await executePythonCode({ pythonCode: 'import os\nchunk = b"y" * (1 << 20)\nfor _ in range(1024):\n    os.write(1, chunk)', timeoutSeconds: 300 }, ctx);
    const grown = (process.memoryUsage().rss - rssBefore) / (1024 * 1024);
    assert.equal(o.status, 'ok', o.text.slice(0, 500));
    assert.ok(grown < 150, `host RSS grew by ${grown.toFixed(0)} MB`);
    assert.ok(o.text.length < 5_000, `model text is ${o.text.length} chars`);
    assert.match(o.text, /characters cut; the whole output is in (\.outputs\/\S+)/);
    const saved = /the whole output is in (\S+) \(/.exec(o.text)![1];
    const size = await runShellCommand({ command: `stat -c %s ${saved}; tail -c 200 ${saved}` }, ctx);
    const bytes = Number(size.text.split('\n')[0]);
    assert.ok(bytes <= 51 * 1024 * 1024 && bytes >= 50 * 1024 * 1024, `saved ${bytes} bytes`);
    assert.match(size.text, /cut/i);
    const next = await executePythonCode({ pythonCode: 'print("fine")' }, ctx);
    assert.match(next.text, /^fine/);
  });

  it('binary and invalid UTF-8 on stdout/stderr, also from C, are shown safely and the next call works', async () => {
    const ctx = toolContext(c, threadKey('binary'));
    await using _s = c.manager.session(ctx.threadKey);
    const o = await executePythonCode(
      { pythonCode: 'import os, ctypes\nos.write(1, bytes(range(256)))\nos.write(2, b"bad \\xff\\xfe\\xc3 end\\n")\nctypes.CDLL(None).printf(b"from C %d\\n", 42)\nprint("python ok")' },
      ctx,
    );
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /\ufffd/);
    assert.match(o.text, /from C 42/);
    assert.match(o.text, /python ok/);
    assert.match(o.text, /bad \ufffd\ufffd\ufffd end/);
    const sh = await runShellCommand({ command: 'head -c 3000 /dev/urandom; echo; echo shell ok' }, ctx);
    assert.match(sh.text, /shell ok/);
    assert.equal((await executePythonCode({ pythonCode: 'print("next")' }, ctx)).status, 'ok');
  });

  it('disk: /tmp is size-limited and /mnt/data has a quota; past it the call fails and nothing saved is lost', async () => {
    const host = tempDir();
    const ctx: ToolContext = { ...toolContext(small, threadKey('quota')), host: rootedHostFiles([host]) };
    await using _s = small.manager.session(ctx.threadKey);
    const tmp = await runShellCommand({ command: 'dd if=/dev/zero of=/tmp/fill bs=1M count=700 2>&1; rm -f /tmp/fill' }, toolContext(c, ctx.threadKey + '-tmp'));
    await c.manager.delete(ctx.threadKey + '-tmp');
    assert.match(tmp.text, /No space left on device/);
    await executePythonCode({ pythonCode: 'open("precious.txt", "w").write("precious")' }, ctx);
    const big = await executePythonCode({ pythonCode: 'with open("big.bin", "wb") as f:\n    f.write(b"z" * (80 * 1024 * 1024))' }, ctx);
    assert.equal(big.status, 'error');
    assert.match(big.text, /Disk quota exceeded: the session's files in \/mnt\/data use 80 MB of the 64 MB quota/);
    assert.match(big.text, /Files already saved were kept; free space by deleting/);
    const sh = await runShellCommand({ command: 'cat precious.txt; rm big.bin' }, ctx);
    assert.equal(sh.status, 'ok', sh.text);
    assert.match(sh.text, /precious/);
    writeFileSync(join(host, 'large.bin'), Buffer.alloc(70 * 1024 * 1024));
    const up = await uploadFileToSession({ source: 'large.bin' }, ctx);
    assert.equal(up.status, 'rejected');
    assert.match(up.text, /would exceed the session's disk quota/);
  });

  it('hostile file names: list, read, search, download and delete act on exactly the named file', async () => {
    const ctx = toolContext(c, threadKey('names'));
    const session = c.manager.session(ctx.threadKey);
    await using _s = session;
    await executePythonCode(
      {
        pythonCode: `import os
names = ["new\\nline.txt", "-rf", "--help", "a" * 251 + ".txt", "sp ace.txt"]
for n in names:
    open(n, "w").write(f"content of {n!r} needle\\n")
open(os.fsencode("bad\\udcff.txt"), "w").write("non-utf8 needle\\n")
os.makedirs("many", exist_ok=True)
for i in range(10000):
    open(f"many/{i}", "w").close()`,
        timeoutSeconds: 300,
      },
      ctx,
    );
    const list = await listSessionFiles({}, ctx);
    assert.equal(list.status, 'ok', list.text);
    const entries = (list.data as { entries: Array<{ path: string }> }).entries.map((e) => e.path);
    for (const n of ['new\nline.txt', '-rf', '--help', 'a'.repeat(251) + '.txt', 'sp ace.txt']) assert.ok(entries.includes(n), `listed ${JSON.stringify(n)}`);
    const many = await listSessionFiles({ path: 'many' }, ctx);
    assert.equal((many.data as { entries: unknown[] }).entries.length, 10000);
    for (const n of ['-rf', '--help', 'new\nline.txt']) {
      const r = await readSessionFile({ path: n }, ctx);
      assert.equal(r.status, 'ok', r.text);
      assert.match(r.text, new RegExp(`content of ${JSON.stringify(n).replace(/"/g, "'").replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&')}`));
    }
    const found = await searchSessionFiles({ pattern: 'needle' }, ctx);
    assert.match(found.text, /-rf:1:/);
    assert.match(found.text, /non-utf8 needle/);
    const down = await getSessionFile({ path: '-rf' }, ctx);
    assert.equal(down.status, 'ok', down.text);
    assert.equal(down.files[0].size, "content of '-rf' needle\n".length);
    await session.files.remove('-rf');
    const after = await listSessionFiles({}, ctx);
    const left = (after.data as { entries: Array<{ path: string }> }).entries.map((e) => e.path);
    assert.ok(!left.includes('-rf'));
    assert.ok(left.includes('--help') && left.includes('sp ace.txt') && left.includes('many'), 'nothing else was deleted');
  });

  it('calls to one session are queued, never interleaved; different sessions run in parallel', async () => {
    const a = toolContext(c, threadKey('queue-a'));
    const b = toolContext(c, threadKey('queue-b'));
    await using _a = c.manager.session(a.threadKey);
    await using _b = c.manager.session(b.threadKey);
    await Promise.all([executePythonCode({ pythonCode: '1' }, a), executePythonCode({ pythonCode: '1' }, b)]);
    const first = executePythonCode({ pythonCode: 'import time\nfor i in range(3):\n    print("A", i, flush=True)\n    time.sleep(0.5)' }, a);
    const second = executePythonCode({ pythonCode: 'print("B")' }, a);
    let otherDone = false;
    const longOther = executePythonCode({ pythonCode: 'import time\ntime.sleep(3)\nprint("long")' }, b).then((o) => {
      otherDone = true;
      return o;
    });
    const [o1, o2] = await Promise.all([first, second]);
    assert.doesNotMatch(o1.text, /B/);
    assert.doesNotMatch(o2.text, /A \d/);
    const end1 = Date.parse(o1.execution!.started) + o1.execution!.durationMs;
    assert.ok(Date.parse(o2.execution!.started) >= end1 - 5, 'the second call started after the first ended');
    const quick = await executePythonCode({ pythonCode: 'print("quick")' }, toolContext(c, a.threadKey));
    assert.match(quick.text, /quick/);
    assert.equal(otherDone, false, 'session A kept working while session B was busy');
    assert.match((await longOther).text, /long/);
  });

  it('the container killed or removed mid-run: a clear result, and the next call recreates it with files intact', async () => {
    const ctx = toolContext(c, threadKey('container-kill'));
    const session = c.manager.session(ctx.threadKey);
    await using _s = session;
    await executePythonCode({ pythonCode: 'open("kept.txt", "w").write("kept")' }, ctx);
    for (const how of ['kill', 'rm'] as const) {
      const running = executePythonCode({ pythonCode: 'import time\ntime.sleep(30)' }, ctx);
      await new Promise((r) => setTimeout(r, 1000));
      const id = (await session.inspect()).Id;
      if (how === 'kill') await c.docker.killContainer(id);
      else await c.docker.removeContainer(id);
      const o = await running;
      assert.equal(o.status, 'error', o.text);
      assert.match(o.text, /sandbox container stopped during the execution/);
      const next = await executePythonCode({ pythonCode: 'print(open("kept.txt").read())' }, ctx);
      assert.equal(next.status, 'ok', next.text);
      assert.match(next.text, /kept/);
      assert.match(next.text, how === 'kill' ? /stopped and was started again/ : /disappeared .* and was recreated/);
    }
  });

  it('the session agent killed mid-run: said so, and the next call starts a new agent and kernel', async () => {
    const ctx = toolContext(c, threadKey('agent-kill'));
    const session = c.manager.session(ctx.threadKey);
    await using _s = session;
    await executePythonCode({ pythonCode: 'x = 1\nopen("kept.txt", "w").write("kept")' }, ctx);
    const id = (await session.inspect()).Id;
    const running = executePythonCode({ pythonCode: 'import time\ntime.sleep(30)' }, ctx);
    await new Promise((r) => setTimeout(r, 1000));
    // From outside the sandbox's own tools (a shell command could do the same: same user).
    await c.docker.execOnce(id, ['pkill', '-KILL', '-f', '/opt/sandbox/agent.py']);
    const o = await running;
    assert.equal(o.status, 'error', o.text);
    assert.match(o.text, /session agent stopped during the execution .* Python variables from earlier executions are gone/s);
    const next = await executePythonCode({ pythonCode: 'print(open("kept.txt").read(), "x" in dir())' }, ctx);
    assert.equal(next.status, 'ok', next.text);
    assert.match(next.text, /kept False/);
  });
});
