import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentChannel, AgentStreamRequest } from '../../src/core/kernel/channel';
import { AgentMessage } from '../../src/core/kernel/protocol';
import { runOnChannel } from '../../src/core/kernel/run';

/** The agent's side of one run, scripted: what the host sends, and a way to answer it. */
class ScriptedChannel {
  route?: (msg: AgentMessage) => void;
  readonly sent: Array<{ type: string; id: string }> = [];
  start(id: string, _req: AgentStreamRequest, onMessage: (msg: AgentMessage) => void): void {
    this.route = onMessage;
    this.sent.push({ type: 'start', id });
  }
  stop(id: string, kind: 'interrupt' | 'cancel'): void {
    this.sent.push({ type: kind, id });
  }
  say(msg: AgentMessage): void {
    this.route!(msg);
  }
  get channel(): AgentChannel {
    return this as unknown as AgentChannel;
  }
}

const done = (status: 'ok' | 'error' | 'interrupted', extra: object = {}): AgentMessage => ({ type: 'done', id: 'e1', status, durationMs: 5, files: [], streams: {}, ...extra }) as AgentMessage;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opts = (over: object = {}) => ({ timeoutMs: 50, graceMs: 50, onStuck: async () => undefined, ...over });

describe('runOnChannel: one run over the session agent', () => {
  it('counts the timeout from `started`, not from the request: a long wait in the queue is not the code\'s time', async () => {
    const c = new ScriptedChannel();
    const run = runOnChannel(c.channel, 'e1', { type: 'execute', code: 'x' }, opts());
    await tick(120); // more than the 50 ms timeout, still queued
    assert.deepEqual(c.sent.map((m) => m.type), ['start'], 'nothing was interrupted while it waited');
    c.say({ type: 'started', id: 'e1', kernelId: 'k1', pid: 7 });
    await tick(80);
    assert.deepEqual(c.sent.map((m) => m.type), ['start', 'interrupt'], 'interrupted once its own time was up');
    c.say(done('interrupted'));
    const r = await run;
    assert.equal(r.status, 'timeout');
    assert.equal(r.ended, 'done');
    assert.deepEqual(r.started, { kernelId: 'k1', pid: 7, pgid: undefined });
  });

  it('an abort before the start interrupts the queued run; the agent answers it never started', async () => {
    const c = new ScriptedChannel();
    const abort = new AbortController();
    const run = runOnChannel(c.channel, 'e1', { type: 'execute', code: 'x' }, opts({ timeoutMs: 10_000, signal: abort.signal }));
    abort.abort();
    assert.deepEqual(c.sent.map((m) => m.type), ['start', 'interrupt']);
    c.say(done('interrupted', { notStarted: true, durationMs: 0 }));
    const r = await run;
    assert.equal(r.status, 'interrupted');
    assert.equal(r.notStarted, true);
    assert.equal(r.ended, 'done');
  });

  it('a shell command is cancelled, not interrupted, and its own error status stays when nobody stopped it', async () => {
    const c = new ScriptedChannel();
    const run = runOnChannel(c.channel, 'e1', { type: 'shell', command: 'false', timeoutSeconds: 1 }, opts({ timeoutMs: 10_000 }));
    c.say({ type: 'started', id: 'e1', pid: 3, pgid: 3 });
    c.say({ type: 'output', id: 'e1', output: { output_type: 'stream', name: 'stdout', text: 'hi\n' } });
    c.say(done('error', { exitCode: 1 }));
    const r = await run;
    assert.equal(r.status, 'error');
    assert.equal(r.outputs.length, 1);
    const cancelled = runOnChannel(c.channel, 'e2', { type: 'shell', command: 'sleep 9', timeoutSeconds: 1 }, opts({ timeoutMs: 20 }));
    c.say({ type: 'started', id: 'e2', pid: 4, pgid: 4 });
    await tick(40);
    assert.equal(c.sent.at(-1)?.type, 'cancel');
    c.say({ ...done('interrupted'), id: 'e2' } as AgentMessage);
    assert.equal((await cancelled).status, 'timeout');
  });

  it('past the grace period it calls onStuck and ends as stuck, whatever arrives after', async () => {
    const c = new ScriptedChannel();
    let stuckCalls = 0;
    const run = runOnChannel(c.channel, 'e1', { type: 'execute', code: 'x' }, opts({ timeoutMs: 10, graceMs: 20, onStuck: async () => void stuckCalls++ }));
    c.say({ type: 'started', id: 'e1', kernelId: 'k1', pid: 7 });
    const r = await run;
    assert.equal(stuckCalls, 1);
    assert.equal(r.ended, 'stuck');
    assert.equal(r.status, 'timeout');
  });

  it('a kernel lost, a channel closed and a refused request each end the run, with the status `killed` unless it was stopped', async () => {
    for (const [msg, ended] of [
      [{ type: 'lost', id: 'e1', exitCode: 137 }, 'lost'],
      [{ type: 'closed', id: 'e1' }, 'closed'],
      [{ type: 'failed', id: 'e1', error: 'no thread' }, 'failed'],
    ] as const) {
      const c = new ScriptedChannel();
      const run = runOnChannel(c.channel, 'e1', { type: 'execute', code: 'x' }, opts({ timeoutMs: 10_000 }));
      c.say({ type: 'started', id: 'e1', kernelId: 'k1', pid: 7 });
      c.say(msg as AgentMessage);
      const r = await run;
      assert.equal(r.ended, ended);
      assert.equal(r.status, 'killed');
      if (ended === 'failed') assert.equal(r.error, 'no thread');
    }
  });
});
