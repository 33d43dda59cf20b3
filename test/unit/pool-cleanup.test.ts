import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/core/log';
import type { DockerClient } from '../../src/core/sandbox/docker';
import { PoolDeps, PoolEntry, WarmPool } from '../../src/core/session/pool';

/** A logger that keeps its lines, by level. */
function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string | Error) => void lines.push(`${level}: ${message instanceof Error ? message.message : message}`);
  return { lines, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A Docker client whose removals fail with the engine's words (a container stuck in removal, a volume in use). */
function failingDocker(stale: unknown[] = []) {
  const calls: string[] = [];
  const docker = {
    removeContainer: async (id: string) => {
      calls.push(`rm ${id}`);
      throw new Error('Docker failed while removing container: removal of container is already in progress');
    },
    removeVolume: async (name: string) => {
      calls.push(`rm volume ${name}`);
      throw new Error('Docker failed while removing volume: volume is in use');
    },
    listContainers: async () => stale,
  };
  return { docker: docker as unknown as DockerClient, calls };
}

describe('warm pool clean-up', () => {
  it('logs each container or volume it could not remove, with which one and why', async () => {
    const log = recording();
    const { docker } = failingDocker();
    const pool = new WarmPool({ docker, log } as unknown as PoolDeps, 1);
    const entry = { containerId: 'abcdef1234567890', name: 'ci-pool-x', volume: 'ci-pool-x-data', channel: { close() {} } } as unknown as PoolEntry;
    await pool.discard(entry);
    const warnings = log.lines.filter((l) => l.startsWith('warn: '));
    assert.equal(warnings.length, 2, log.lines.join('\n'));
    assert.match(warnings[0], /could not remove pool container ci-pool-x \(container abcdef123456\): .*already in progress/);
    assert.match(warnings[1], /could not remove the volume ci-pool-x-data of pool container ci-pool-x: .*volume is in use/);
  });

  it('a sweep logs what it could not remove and counts only what it removed', async () => {
    const log = recording();
    const { docker, calls } = failingDocker([{ Id: 'fedcba9876543210', Names: ['/code-interpreter-pool-old'], State: 'exited', Mounts: [{ Name: 'ci-pool-old-data' }] }]);
    assert.equal(await WarmPool.sweep(docker, log), 0);
    assert.deepEqual(calls, ['rm fedcba9876543210'], 'the volume of a container that stayed is left for the next sweep');
    assert.match(log.lines.join('\n'), /warn: warm pool: could not remove stale pool container code-interpreter-pool-old \(container fedcba987654\): .*already in progress/);
    assert.doesNotMatch(log.lines.join('\n'), /removed 1 stale/);
  });
});
