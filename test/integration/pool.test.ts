import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Core, executePythonCode, readSessionFile } from '../../src/core';
import { core, threadKey, toolContext, createTestCore } from '../helpers/env';

describe('warm pool', () => {
  before(async () => {
    await core(); // Docker checked and image built
  });

  it('hands a new thread a warm container, keeps its files findable, and refills', async () => {
    const pooled: Core = createTestCore({ idleStopMinutes: 0, poolSize: 1 });
    const thread = threadKey('pool');
    try {
      pooled.manager.startPool();
      assert.equal(await pooled.manager.pool!.whenReady(), true, 'the pool filled');
      const o = await executePythonCode({ pythonCode: 'import sys\nprint("warm", "pandas" in sys.modules)\nopen("pooled.txt", "w").write("in a pooled volume")' }, toolContext(pooled, thread));
      assert.equal(o.status, 'ok', o.text);
      assert.match(o.text, /warm True/, 'the data stack was imported before the thread asked');
      const session = pooled.manager.session(thread);
      const info = await session.inspect();
      assert.equal(info.Name, `/${session.names.container}`, 'renamed to the thread');
      assert.equal(info.Config.Labels['dev.code-interpreter.role'], 'pool', 'it was a pool container');
      const link = await pooled.docker.volumeExists(session.names.link);
      const dataVolume = link?.Labels?.['dev.code-interpreter.data-volume'];
      assert.ok(dataVolume?.startsWith('code-interpreter-pool-'), 'the link volume names the pool volume');
      assert.deepEqual(info.Mounts.map((m) => m.Name), [dataVolume]);

      // Another process (no pool) finds the thread's files through the link, even after the container is gone.
      await pooled.docker.removeContainer(info.Id);
      const other = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
      const again = await readSessionFile({ path: 'pooled.txt' }, toolContext(other, thread));
      assert.match(again.text, /in a pooled volume/);
      assert.ok((await other.manager.list()).some((s) => s.threadKey === thread && s.volume === dataVolume));
      await other.manager.delete(thread);
      assert.equal(await pooled.docker.volumeExists(dataVolume!), undefined, 'delete removed the pool volume');
      assert.equal(await pooled.docker.volumeExists(session.names.link), undefined, 'and the link');

      assert.equal(await pooled.manager.pool!.whenReady(), true, 'the pool refilled');
      const pool = await pooled.docker.listContainers(['dev.code-interpreter.role=pool']);
      assert.ok(pool.some((c) => c.State === 'running' && c.Names[0].startsWith('/code-interpreter-pool-')));
    } finally {
      await pooled.manager.delete(thread).catch(() => undefined);
      await pooled.manager[Symbol.asyncDispose]();
    }
  });

  it('streams outputs while the code runs', async () => {
    const c = await core();
    const ctx = toolContext(c, threadKey('stream'));
    // Each streamed piece with the moment it reached the host. The cell sleeps 2 s between its
    // prints: a piece sent live arrives seconds before the result; one held back until the end
    // of the cell would arrive with it.
    const arrivals: Array<{ text: string; at: number }> = [];
    try {
      const o = await executePythonCode(
        { pythonCode: 'import time\nprint("first", flush=True)\ntime.sleep(2)\nprint("second", flush=True)\ntime.sleep(2)\nprint("third")' },
        {
          ...ctx,
          onOutput: (out) => {
            if (out.output_type === 'stream') arrivals.push({ text: out.text, at: Date.now() });
          },
        },
      );
      const finished = Date.now();
      assert.equal(o.status, 'ok', o.text);
      const at = (word: string) => {
        const arrival = arrivals.find((a) => a.text.includes(word));
        assert.ok(arrival, `"${word}" was streamed (got ${JSON.stringify(arrivals.map((a) => a.text))})`);
        return arrival.at;
      };
      const [first, second, third] = [at('first'), at('second'), at('third')];
      assert.ok(finished - first >= 3_000, `"first" arrived ${finished - first} ms before the result, not about 4 s: it was not streamed`);
      assert.ok(finished - second >= 1_500, `"second" arrived ${finished - second} ms before the result, not about 2 s: it was not streamed`);
      assert.ok(second - first >= 1_500 && third - second >= 1_500, `the prints arrived ${second - first} and ${third - second} ms apart, not about 2 s each`);
    } finally {
      await c.manager.delete(ctx.threadKey);
    }
  });

  it('stops a container by itself once its host is gone (watchdog)', async () => {
    const short = createTestCore({ idleStopMinutes: 0, poolSize: 0, watchdogSeconds: 10 });
    const thread = threadKey('watchdog');
    const session = short.manager.session(thread);
    try {
      const o = await executePythonCode({ pythonCode: 'open("left.txt", "w").write("kept")' }, toolContext(short, thread));
      assert.equal(o.status, 'ok');
      await new Promise((r) => setTimeout(r, 12_000));
      assert.equal((await session.inspect()).State.Running, true, 'a connected kernel keeps it running past the limit');
      await short.manager[Symbol.asyncDispose](); // the host lets go, as when its process dies
      const deadline = Date.now() + 60_000;
      while ((await session.inspect()).State.Running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await session.inspect()).State.Running, false, 'the watchdog stopped it');
      const back = await readSessionFile({ path: 'left.txt' }, toolContext(createTestCore({ idleStopMinutes: 0, poolSize: 0 }), thread));
      assert.match(back.text, /kept/);
    } finally {
      await session.delete();
    }
  });
});
