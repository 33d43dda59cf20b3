import { errorMessage } from '../errors';
import { Logger, silentLogger } from '../log';
import { DockerClient } from '../sandbox/docker';
import { ContainerLimits, ContainerSample, cpuPercent, limitsOf, sampleOf } from '../sandbox/stats';

/** A session's resource use now, next to its limits (every figure as the engine reports it). */
export interface ResourceUse {
  state: 'running';
  /** When the engine read the counters (ISO 8601). */
  at: string;
  /** Bytes in use and the limit that holds the session (undefined: none). */
  memory: { used: number; limit?: number };
  /** Percent of the CPU limit used since the previous reading (undefined: no earlier reading yet); limit in CPUs. */
  cpu: { percent?: number; limit?: number };
  /** Processes and threads (the engine counts both). */
  pids: { used?: number; limit?: number };
  /** Bytes in /mnt/data and the quota (absent: not known without asking the session's agent). */
  disk?: { used: number; limit: number };
}

export type SessionResources = ResourceUse | { state: 'not running' } | { state: 'unavailable'; reason: string };

export interface ResourceMonitorDeps {
  docker: DockerClient;
  /** The container's name. */
  container: string;
  diskQuotaBytes: number;
  /** /mnt/data's size, asked without starting anything (undefined: the session's agent is not attached). */
  diskUsage?: () => Promise<{ bytes: number }> | undefined;
  log?: Logger;
}

/** How long a /mnt/data size stays good (walking a large folder costs more than reading counters). */
const DISK_FRESH_MS = 15_000;
/** With no reading this recent to compare with, the first read takes two, this far apart, so CPU has a figure. */
const FIRST_INTERVAL_MS = 1_000;
const PREVIOUS_MAX_AGE_MS = 60_000;

/**
 * Reads a session container's resource use: inspect (state, limits) and one stats reading per
 * call; CPU from this reading and the previous one (kept here). Never throws: a container that
 * does not run is 'not running', an engine that cannot be asked is 'unavailable'.
 */
export class ResourceMonitor {
  private prev?: { id: string; sample: ContainerSample };
  private disk?: { bytes: number; at: number };
  private reading?: Promise<SessionResources>;
  private readonly log: Logger;

  constructor(private readonly deps: ResourceMonitorDeps) {
    this.log = deps.log ?? silentLogger;
  }

  /** A /mnt/data size learnt elsewhere (the end of an execution reports it). */
  noteDisk(bytes: number | null | undefined): void {
    if (typeof bytes === 'number') this.disk = { bytes, at: Date.now() };
  }

  /** The resource use now (concurrent callers share one reading). */
  read(): Promise<SessionResources> {
    this.reading ??= this.readNow()
      .catch((err): SessionResources => {
        this.log.debug(`resources of ${this.deps.container}: ${errorMessage(err)}`);
        return { state: 'unavailable', reason: errorMessage(err) };
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readNow(): Promise<SessionResources> {
    const { docker, container } = this.deps;
    const started = Date.now();
    const [info, raw] = await Promise.all([docker.inspectContainer(container), docker.containerStats(container)]);
    let sample = raw && sampleOf(raw);
    if (!info?.State?.Running || !sample) {
      this.prev = undefined;
      return { state: 'not running' };
    }
    let prev = this.prev?.id === info.Id && sample.at - this.prev.sample.at < PREVIOUS_MAX_AGE_MS ? this.prev.sample : undefined;
    if (!prev) {
      prev = sample;
      // (Docker 20.10 answers a one-shot call at its next 1 s collection tick; others at once.)
      await new Promise((r) => setTimeout(r, Math.max(0, FIRST_INTERVAL_MS - (Date.now() - started))));
      const again = await docker.containerStats(container);
      sample = (again && sampleOf(again)) ?? sample;
    }
    const disk = await this.diskFigure();
    this.prev = { id: info.Id, sample };
    const limits: ContainerLimits = limitsOf(info, sample);
    return {
      state: 'running',
      at: new Date(sample.at).toISOString(),
      memory: { used: sample.memory, limit: limits.memory },
      cpu: { percent: cpuPercent(prev, sample, limits.cpus), limit: limits.cpus },
      pids: { used: sample.pids, limit: limits.pids },
      disk: disk !== undefined ? { used: disk, limit: this.deps.diskQuotaBytes } : undefined,
    };
  }

  /** /mnt/data's size: the last one known while fresh, else asked of the session's agent when attached. */
  private async diskFigure(): Promise<number | undefined> {
    if (this.disk && Date.now() - this.disk.at < DISK_FRESH_MS) return this.disk.bytes;
    const asking = this.deps.diskUsage?.();
    if (!asking) return this.disk?.bytes;
    try {
      this.noteDisk((await asking).bytes);
    } catch (err) {
      this.log.debug(`resources of ${this.deps.container}: /mnt/data size unknown (${errorMessage(err)})`);
    }
    return this.disk?.bytes;
  }
}
