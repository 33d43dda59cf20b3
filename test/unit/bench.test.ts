import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warmFirstResults } from '../../src/cli/bench';
import type { Core } from '../../src/core';

/** A core whose pool fills (or not) as told, and which says whether it was disposed. */
function fakeCore(fills: boolean) {
  const state = { disposed: 0, started: 0 };
  const manager = {
    startPool: () => void state.started++,
    pool: { whenReady: async () => fills },
    [Symbol.asyncDispose]: async () => void state.disposed++,
  };
  return { core: { manager } as unknown as Pick<Core, 'manager'>, state };
}

describe('bench: the warm-pool step', () => {
  it('disposes the pooled core after measuring', async () => {
    const { core, state } = fakeCore(true);
    assert.deepEqual(await warmFirstResults(core, 2, async () => 7), [7, 7]);
    assert.deepEqual(state, { disposed: 1, started: 1 });
  });

  it('disposes the pooled core when the pool does not fill, and when a measure fails', async () => {
    const empty = fakeCore(false);
    await assert.rejects(warmFirstResults(empty.core, 2, async () => 7), /the warm pool did not fill/);
    assert.equal(empty.state.disposed, 1);
    const failing = fakeCore(true);
    await assert.rejects(
      warmFirstResults(failing.core, 2, async () => {
        throw new Error('bench step failed: boom');
      }),
      /boom/,
    );
    assert.equal(failing.state.disposed, 1);
  });
});
