import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, runShellCommand } from '../../src/core';
import { AgentChannel } from '../../src/core/kernel/channel';
import { runOnChannel } from '../../src/core/kernel/run';
import { core, createTestCore, threadKey, toolContext } from '../helpers/env';

/**
 * The session agent: one kernel per container, owned by the container, shared by every host
 * process attached to the thread (here two Cores, as the CLI and VS Code would be).
 */
describe('session agent', () => {
  let a: Core;
  let b: Core;
  const thread = threadKey('agent');
  before(async () => {
    a = await core();
    b = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
  });
  after(async () => {
    await a.manager.delete(thread);
    await b.manager[Symbol.asyncDispose]();
  });

  it('two hosts share one kernel: a variable set by one is read by the other', async () => {
    const set = await executePythonCode({ pythonCode: 'shared = "from host a"\nimport os\nprint(os.getpid())' }, toolContext(a, thread));
    assert.equal(set.status, 'ok', set.text);
    const got = await executePythonCode({ pythonCode: 'import os\nprint(shared, os.getpid())' }, toolContext(b, thread));
    assert.equal(got.status, 'ok', got.text);
    assert.match(got.text, new RegExp(`from host a ${set.text.trim()}`));
  });

  it("one host's execution waits for the other's: they never interleave, and the wait is not counted against the timeout", async () => {
    const long = executePythonCode({ pythonCode: 'import time\nt0 = time.time()\nfor i in range(3):\n    print("A", i, flush=True)\n    time.sleep(2)\nprint("A end", time.time())' }, toolContext(a, thread));
    await new Promise((r) => setTimeout(r, 500));
    // Queued behind A's 6 s run; with a 5 s timeout that would have expired had the wait counted.
    const queued = await executePythonCode({ pythonCode: 'import time\nprint("B start", time.time())', timeoutSeconds: 5 }, toolContext(b, thread));
    const first = await long;
    assert.equal(queued.status, 'ok', queued.text);
    const aEnd = Number(/A end (\S+)/.exec(first.text)?.[1]);
    const bStart = Number(/B start (\S+)/.exec(queued.text)?.[1]);
    assert.ok(bStart >= aEnd, `B started at ${bStart}, before A ended at ${aEnd}`);
  });

  it('an interrupt that reaches an execution still waiting cancels it without touching the kernel', async () => {
    await executePythonCode({ pythonCode: 'kept = 7' }, toolContext(a, thread));
    const long = executePythonCode({ pythonCode: 'import time\ntime.sleep(3)\nprint("A done")' }, toolContext(a, thread));
    await new Promise((r) => setTimeout(r, 500));
    const stop = new AbortController();
    const waiting = executePythonCode({ pythonCode: 'print("never runs")\nkept = 0' }, toolContext(b, thread, { signal: stop.signal }));
    await new Promise((r) => setTimeout(r, 500));
    stop.abort();
    const cancelled = await waiting;
    assert.equal(cancelled.status, 'interrupted', cancelled.text);
    assert.doesNotMatch(cancelled.text, /never runs|kernel was killed|variables .* gone/i);
    assert.match((await long).text, /A done/, 'the running execution was not interrupted');
    const after = await executePythonCode({ pythonCode: 'print(kept)' }, toolContext(b, thread));
    assert.match(after.text, /^7$/m, 'the kernel kept its variables, and the cancelled code never ran');
  });

  it("a shell command from another host waits for the running execution: one queue for every host's code", async () => {
    const ctx = toolContext(b, thread);
    const running = executePythonCode({ pythonCode: 'import time\ntime.sleep(2)\nopen("late.txt", "w").write("x")' }, toolContext(a, thread));
    await new Promise((r) => setTimeout(r, 300));
    const sh = await runShellCommand({ command: 'echo from-the-shell; test -e late.txt && echo late-exists || echo late-missing' }, ctx);
    assert.match(sh.text, /from-the-shell\nlate-exists/, 'the shell ran after the Python execution that writes late.txt');
    assert.equal((await running).status, 'ok');
  });

  it('an interrupt sent the moment the agent says the execution started is never lost (the code stops, the kernel stays)', async () => {
    await executePythonCode({ pythonCode: 'alive = 1' }, toolContext(a, thread));
    const id = (await a.manager.session(thread).inspect()).Id;
    const channel = await AgentChannel.attach(a.docker, id);
    try {
      for (let i = 0; i < 5; i++) {
        const stop = new AbortController();
        const r = await runOnChannel(channel, `early-${i}`, { type: 'execute', code: `import time\ntime.sleep(3)\nopen("early-${i}.txt", "w").write("ran")` }, {
          timeoutMs: 60_000,
          graceMs: 10_000,
          signal: stop.signal,
          onStarted: () => stop.abort(),
          onStuck: async () => assert.fail('the interrupt was not taken: the kernel would be killed'),
        });
        assert.equal(r.status, 'interrupted');
        assert.equal(r.ended, 'done');
      }
    } finally {
      channel.close();
    }
    const after = await runShellCommand({ command: 'ls early-*.txt 2>/dev/null | wc -l' }, toolContext(a, thread));
    assert.match(after.text, /^0$/m, 'every interrupted execution stopped before the end of its code');
    const kept = await executePythonCode({ pythonCode: 'print(alive)' }, toolContext(a, thread));
    assert.match(kept.text, /^1$/m, 'the kernel and its variables are still there');
  });
});
