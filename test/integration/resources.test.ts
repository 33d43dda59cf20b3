import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Core, executePythonCode, ResourceUse, SessionResources } from '../../src/core';
import { core, createTestCore, threadKey, toolContext } from '../helpers/env';

const MB = 1024 * 1024;

function running(r: SessionResources): ResourceUse {
  assert.equal(r.state, 'running', `resource use: ${JSON.stringify(r)}`);
  return r as ResourceUse;
}

describe('session resource use', () => {
  let c: Core;
  before(async () => {
    c = await core();
  });

  it('reports memory, CPU, processes and files next to the limits the engine holds', async () => {
    const key = threadKey('resources');
    await using session = c.manager.session(key);
    const ctx = toolContext(c, key);
    assert.equal((await executePythonCode({ pythonCode: 'x = None' }, ctx)).status, 'ok');

    const first = running(await session.resources());
    const info = await session.inspect();
    const h = info.HostConfig;
    // Under gVisor the engine's memory limit has headroom for gVisor itself and the guard inside
    // holds the chosen one (SBX_GUARD); under runc the engine's is the one that holds.
    const guard = info.Config.Env?.find((e) => e.startsWith('SBX_GUARD='))?.match(/memory=(\d+)/)?.[1];
    assert.equal(first.memory.limit, guard ? Number(guard) : h.Memory);
    assert.equal(first.cpu.limit, (h.NanoCpus ?? 0) / 1e9);
    assert.equal(first.pids.limit, h.PidsLimit);
    assert.ok((first.pids.used ?? 0) >= 1, `pids: ${first.pids.used}`);
    assert.equal(first.disk?.limit, c.manager.config.diskQuotaMb * MB);
    assert.equal(typeof first.disk?.used, 'number');
    assert.equal(typeof first.cpu.percent, 'number', 'the first reading takes two samples, so CPU has a figure');

    // Steady state: one inspect and one stats reading (the engine may wait for its next collection tick).
    const t0 = Date.now();
    const idle = running(await session.resources());
    process.stderr.write(`[resources] runtime ${(await c.manager.runtime()).name}; one reading: ${Date.now() - t0} ms; idle: ${JSON.stringify(idle)}\n`);

    assert.equal((await executePythonCode({ pythonCode: 'x = bytearray(b"\\x01") * (300 * 1024 * 1024)\nlen(x)' }, ctx)).status, 'ok');
    const full = running(await session.resources());
    const rose = full.memory.used - idle.memory.used;
    process.stderr.write(`[resources] after allocating 300 MB: ${JSON.stringify(full)} (+${(rose / MB).toFixed(0)} MB)\n`);
    assert.ok(rose > 250 * MB && rose < 450 * MB, `memory rose by ${(rose / MB).toFixed(0)} MB`);

    // CPU: a busy loop for 4 s; a reading taken 2.5 s in sees a good part of a CPU in use.
    const busy = executePythonCode({ pythonCode: 'import time\nt = time.time()\nwhile time.time() - t < 4: pass' }, ctx);
    await new Promise((r) => setTimeout(r, 2500));
    const hot = running(await session.resources());
    assert.equal((await busy).status, 'ok');
    process.stderr.write(`[resources] during a busy loop: cpu ${JSON.stringify(hot.cpu)}\n`);
    assert.ok((hot.cpu.percent ?? 0) > 10, `CPU during a busy loop: ${hot.cpu.percent} %`);

    assert.equal((await executePythonCode({ pythonCode: 'del x' }, ctx)).status, 'ok');
    await session.stop();
    assert.deepEqual(await session.resources(), { state: 'not running' });
    assert.deepEqual(await c.manager.resources(threadKey('never-started')), { state: 'not running' });
  });

  it('reads a session this process does not hold (found in Docker) by its container name', async () => {
    const key = threadKey('resources-other');
    await using session = c.manager.session(key);
    await session.ensureContainer();
    // A second manager, as another window would have: it knows the thread only by its key.
    const other = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
    try {
      const r = running(await other.manager.resources(key));
      assert.ok(r.memory.used > 0);
      assert.equal(r.disk, undefined, "no agent attached: /mnt/data's size is not asked for");
    } finally {
      other.docker.close();
    }
  });
});
