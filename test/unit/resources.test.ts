import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPercent, limitsOf, sampleOf } from '../../src/core/sandbox/stats';
import { nearLimit, resourceBrief, resourceMeters, resourceSummary, shortBytes } from '../../src/core/session/resource-text';
import { DockerClient } from '../../src/core/sandbox/docker';
import { ResourceMonitor, ResourceUse } from '../../src/core/session/resources';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** A stats answer shaped like Docker 20.10's on cgroup v1 (one-shot: precpu empty). */
function stats(read: string, cpuNs: number, usage: number, inactive = 0) {
  return {
    read,
    preread: '0001-01-01T00:00:00Z',
    pids_stats: { current: 41, limit: 256 },
    cpu_stats: { cpu_usage: { total_usage: cpuNs }, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
    memory_stats: { usage, limit: 2 * GB, stats: { total_inactive_file: inactive, cache: inactive } },
  };
}

describe('resource samples', () => {
  it('reads memory as docker stats does (inactive page cache not counted) and the engine time with nanoseconds', () => {
    const s = sampleOf(stats('2026-12-02T15:22:52.380252652Z', 67_725_509, 300 * MB, 20 * MB))!;
    assert.equal(s.at, Date.parse('2026-12-02T15:22:52.380Z'));
    assert.equal(s.memory, 280 * MB);
    assert.equal(s.pids, 41);
    assert.equal(s.cpuNs, 67_725_509);
    // cgroup v2 names it inactive_file.
    assert.equal(sampleOf({ ...stats('2026-12-02T15:22:52Z', 1, 100), memory_stats: { usage: 100, stats: { inactive_file: 30 } } })!.memory, 70);
  });

  it('is no sample for a stopped container (the engine answers with empty counters)', () => {
    assert.equal(sampleOf({ read: '0001-01-01T00:00:00Z', pids_stats: {}, cpu_stats: { cpu_usage: {} }, memory_stats: {} }), undefined);
    assert.equal(sampleOf({}), undefined);
  });

  it('uses the local clock when the engine gives no time', () => {
    assert.equal(sampleOf({ ...stats('0001-01-01T00:00:00Z', 1, 1) }, 1234)!.at, 1234);
  });

  it('computes CPU as a share of the CPU limit from two samples', () => {
    const a = sampleOf(stats('2026-12-02T15:00:00Z', 1e9, MB))!;
    // 1.5 s of CPU time in 1 s of wall time: 75 % of 2 CPUs, 100 % of 1.5.
    const b = sampleOf(stats('2026-12-02T15:00:01Z', 2.5e9, MB))!;
    assert.equal(cpuPercent(a, b, 2), 75);
    assert.equal(cpuPercent(a, b, 1.5), 100);
    assert.equal(cpuPercent(a, b, 1), 100, 'never above the limit');
    assert.equal(cpuPercent(undefined, b, 2), undefined, 'one sample: no figure');
    assert.equal(cpuPercent(b, b, 2), undefined, 'no interval');
    assert.equal(cpuPercent(b, a, 2), undefined, 'counters went back (a restart)');
    assert.equal(cpuPercent(a, b, undefined), undefined);
  });

  it('takes the limits from inspect: NanoCpus, Memory, PidsLimit; the guard memory under gVisor', () => {
    const s = sampleOf(stats('2026-12-02T15:00:00Z', 1, MB))!;
    assert.deepEqual(limitsOf({ HostConfig: { Memory: 2 * GB, NanoCpus: 1.5e9, PidsLimit: 256 } }, s), { memory: 2 * GB, engineMemory: undefined, cpus: 1.5, pids: 256 });
    assert.deepEqual(
      limitsOf({ Config: { Env: ['SBX_GUARD=memory=2147483648,pids=256'] }, HostConfig: { Memory: 2.5 * GB, NanoCpus: 1.5e9, PidsLimit: 768 } }, s),
      { memory: 2 * GB, engineMemory: 2.5 * GB, cpus: 1.5, pids: 768 },
    );
    assert.equal(limitsOf({ HostConfig: { CpuQuota: 50_000, CpuPeriod: 100_000 } }, s).cpus, 0.5);
    // No limits in inspect (0): the stats answer's own (host memory, online CPUs).
    assert.deepEqual(limitsOf({ HostConfig: { Memory: 0, NanoCpus: 0, PidsLimit: 0 } }, s), { memory: 2 * GB, engineMemory: undefined, cpus: 2, pids: 256 });
  });
});

describe('resource text', () => {
  const use: ResourceUse = {
    state: 'running',
    at: '2026-12-02T15:00:00.000Z',
    memory: { used: 182 * MB, limit: 2 * GB },
    cpu: { percent: 3.2, limit: 2 },
    pids: { used: 41, limit: 256 },
    disk: { used: 12 * MB, limit: GB },
  };

  it('formats the figures next to their limits', () => {
    assert.equal(resourceSummary(use), 'Memory 182 MB of 2 GB · CPU 3 % of 2 CPUs · 41 of 256 processes · Files 12 MB of 1 GB');
    assert.equal(resourceBrief(use), '182 MB · CPU 3 %');
    assert.equal(shortBytes(1.5 * GB), '1.5 GB');
    assert.equal(resourceSummary({ ...use, cpu: { percent: 0.2, limit: 1.5 }, disk: undefined }), 'Memory 182 MB of 2 GB · CPU <1 % of 1.5 CPUs · 41 of 256 processes');
    assert.equal(resourceSummary({ ...use, cpu: { limit: 1 } }).split(' · ')[1], 'CPU … of 1 CPU');
    assert.equal(resourceSummary({ state: 'not running' }), 'Not running: no memory or CPU in use');
    assert.match(resourceSummary({ state: 'unavailable', reason: 'Docker is not reachable' }), /unavailable: Docker is not reachable/);
    assert.equal(resourceBrief({ state: 'not running' }), '');
  });

  it('gives each meter how full it is', () => {
    const m = resourceMeters(use);
    assert.deepEqual(m.map((x) => x.key), ['memory', 'cpu', 'pids', 'disk']);
    assert.ok(Math.abs(m[0].fraction! - 182 / 2048) < 1e-9);
    assert.equal(m[1].fraction, 0.032);
    assert.equal(m[2].fraction, 41 / 256);
  });

  it('marks memory, processes and files from 90 % of their limit on', () => {
    assert.equal(nearLimit(89, 100), false);
    assert.equal(nearLimit(90, 100), true);
    assert.equal(nearLimit(120, 100), true);
    assert.equal(nearLimit(90, undefined), false, 'no limit: never near it');
    assert.equal(nearLimit(undefined, 100), false);
    const near: ResourceUse = { ...use, memory: { used: 1.9 * GB, limit: 2 * GB }, pids: { used: 250, limit: 256 }, cpu: { percent: 100, limit: 2 } };
    const m = resourceMeters(near);
    assert.deepEqual(m.filter((x) => x.near).map((x) => x.key), ['memory', 'pids'], 'CPU at its limit is no warning: it is slowed, not stopped');
    assert.match(resourceSummary(near), /Memory 1\.9 GB of 2 GB \(near the limit\)/);
    assert.equal(resourceBrief(near), '1.9 GB · CPU 100 % · ⚠ memory, processes');
  });
});

describe('resource monitor', () => {
  type Fake = { inspectContainer: () => Promise<unknown>; containerStats: () => Promise<unknown> };
  const inspect = { Id: 'c1', State: { Running: true }, Config: { Env: [] }, HostConfig: { Memory: 2 * GB, NanoCpus: 1.5e9, PidsLimit: 256 } };
  function monitor(docker: Fake, diskUsage?: () => Promise<{ bytes: number }> | undefined) {
    return new ResourceMonitor({ docker: docker as unknown as DockerClient, container: 'code-interpreter-x', diskQuotaBytes: GB, diskUsage });
  }

  it('takes two readings the first time (CPU has a figure), one after; the disk size from the agent or an execution', async () => {
    let calls = 0;
    let asked = 0;
    const m = monitor(
      { inspectContainer: async () => inspect, containerStats: async () => stats(new Date(Date.UTC(2026, 11, 2, 15, 0, 0) + 1000 * calls).toISOString(), 1e9 * 0.75 * calls++, 100 * MB) },
      () => (asked++, Promise.resolve({ bytes: 5 * MB })),
    );
    const first = await m.read();
    assert.equal(calls, 2);
    assert.equal(first.state, 'running');
    const r = first as ResourceUse;
    assert.equal(r.cpu.percent, 50, '0.75 s of CPU a second, of 1.5 CPUs');
    assert.deepEqual(r.memory, { used: 100 * MB, limit: 2 * GB });
    assert.deepEqual(r.disk, { used: 5 * MB, limit: GB });
    m.noteDisk(7 * MB);
    const second = (await m.read()) as ResourceUse;
    assert.equal(calls, 3, 'one reading once there is a previous one');
    assert.equal(asked, 1, 'a fresh size is not asked for again');
    assert.equal(second.disk?.used, 7 * MB);
  });

  it('says "not running" for a stopped or absent container and "unavailable" when the engine fails, never throwing', async () => {
    assert.deepEqual(await monitor({ inspectContainer: async () => undefined, containerStats: async () => undefined }).read(), { state: 'not running' });
    assert.deepEqual(await monitor({ inspectContainer: async () => ({ ...inspect, State: { Running: false } }), containerStats: async () => ({ read: '0001-01-01T00:00:00Z', memory_stats: {} }) }).read(), { state: 'not running' });
    const failed = await monitor({ inspectContainer: async () => Promise.reject(new Error('Docker is not reachable')), containerStats: async () => undefined }).read();
    assert.deepEqual(failed, { state: 'unavailable', reason: 'Docker is not reachable' });
  });
});
