import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { silentLogger } from '../../src/core';
import { LIMITS } from '../../src/core/policy/limits';
import { QuotaGuard } from '../../src/core/session/quota';

/** The quota watch while a call runs: over the quota, the container unreachable, or not answering. */
describe('quota watch', () => {
  const tick = async (times: number) => {
    for (let i = 0; i < times; i++) {
      mock.timers.tick(LIMITS.quotaPollMs);
      await new Promise((r) => setImmediate(r));
    }
  };

  it('a question that never answers (a dead gVisor sandbox keeps its stream open) asks why once per poll', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let unreachable = 0;
      const guard = new QuotaGuard(1000, () => new Promise(() => undefined), silentLogger);
      const stop = guard.watch(() => assert.fail('not over the quota'), () => unreachable++);
      await tick(1);
      assert.equal(unreachable, 0, 'the first poll is still waiting for its answer');
      await tick(3);
      assert.equal(unreachable, 1, 'asked once while the same poll hangs');
      assert.equal(stop(), false);
    } finally {
      mock.timers.reset();
    }
  });

  it('a failing question asks why; a usage past the quota stops the call', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let unreachable = 0;
      let exceeded = 0;
      const failing = new QuotaGuard(1000, () => Promise.reject(new Error('gone')), silentLogger);
      const stopFailing = failing.watch(() => exceeded++, () => unreachable++);
      await tick(2);
      assert.equal(unreachable, 2);
      stopFailing();
      const over = new QuotaGuard(1000, () => Promise.resolve({ bytes: 2000 }), silentLogger);
      const stopOver = over.watch(() => exceeded++, () => unreachable++);
      await tick(3);
      assert.equal(exceeded, 1, 'stopped once');
      assert.equal(stopOver(), true);
    } finally {
      mock.timers.reset();
    }
  });
});
