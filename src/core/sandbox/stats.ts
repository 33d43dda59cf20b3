/**
 * A container's resource counters as the engine reports them (Docker's and Podman's stats API,
 * `one-shot`) and its limits as `inspect` reports them; CPU use is computed from two samples here,
 * so one-shot calls suffice (the engine's own precpu needs a second, waited-for reading).
 */

/** The part of the engine's stats answer we read (Docker API /containers/{id}/stats). */
export interface EngineStats {
  read?: string;
  pids_stats?: { current?: number; limit?: number };
  cpu_stats?: { cpu_usage?: { total_usage?: number }; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number | undefined> };
}

/** The part of `inspect` we read. */
export interface EngineLimits {
  Id?: string;
  State?: { Running?: boolean };
  Config?: { Env?: string[] | null };
  HostConfig?: { Memory?: number; NanoCpus?: number; CpuQuota?: number; CpuPeriod?: number; PidsLimit?: number | null };
}

/** One reading of a running container's counters. */
export interface ContainerSample {
  /** The engine's time of the reading (ms since the epoch). */
  at: number;
  /** CPU time the container used since it started (ns). */
  cpuNs: number;
  /** Memory in use (bytes), page cache the kernel may drop first not counted (as `docker stats` shows it). */
  memory: number;
  pids?: number;
  /** Limits the stats answer carries (fallbacks when inspect names none). */
  memoryLimit?: number;
  pidsLimit?: number;
  onlineCpus?: number;
}

/** A sample from a stats answer; undefined when it holds no counters (a stopped container). */
export function sampleOf(raw: EngineStats, now: number = Date.now()): ContainerSample | undefined {
  const usage = raw.memory_stats?.usage;
  const cpuNs = raw.cpu_stats?.cpu_usage?.total_usage;
  if (usage === undefined || cpuNs === undefined) return undefined;
  const s = raw.memory_stats?.stats ?? {};
  // What `docker stats` subtracts: cgroup v1 total_inactive_file, v2 inactive_file.
  const inactive = s.total_inactive_file ?? s.inactive_file ?? 0;
  const read = raw.read ? Date.parse(raw.read) : NaN;
  return {
    at: Number.isFinite(read) && read > 0 ? read : now,
    cpuNs,
    memory: inactive < usage ? usage - inactive : usage,
    pids: raw.pids_stats?.current,
    memoryLimit: positive(raw.memory_stats?.limit),
    pidsLimit: positive(raw.pids_stats?.limit),
    onlineCpus: positive(raw.cpu_stats?.online_cpus),
  };
}

/** The limits that hold the container, from inspect (stats' own figures where inspect names none). */
export interface ContainerLimits {
  /** Bytes. Under gVisor the one the in-container guard holds (SBX_GUARD): the engine's has headroom for gVisor itself. */
  memory?: number;
  /** The engine's own memory limit (bytes), when it differs from `memory`. */
  engineMemory?: number;
  cpus?: number;
  pids?: number;
}

export function limitsOf(info: EngineLimits, sample?: ContainerSample): ContainerLimits {
  const h = info.HostConfig ?? {};
  const engineMemory = positive(h.Memory) ?? sample?.memoryLimit;
  const guard = info.Config?.Env?.find((e) => e.startsWith('SBX_GUARD='))?.match(/(?:^|[=,])memory=(\d+)/)?.[1];
  const memory = guard ? Number(guard) : engineMemory;
  const quota = positive(h.CpuQuota) && positive(h.CpuPeriod) ? h.CpuQuota! / h.CpuPeriod! : undefined;
  return {
    memory,
    engineMemory: engineMemory !== memory ? engineMemory : undefined,
    cpus: positive(h.NanoCpus) ? h.NanoCpus! / 1e9 : (quota ?? sample?.onlineCpus),
    pids: positive(h.PidsLimit ?? undefined) ?? sample?.pidsLimit,
  };
}

/**
 * CPU use between two samples as a percentage of the CPU limit (100: all of it), or undefined
 * when the samples cannot be compared (no interval, the container restarted between them).
 */
export function cpuPercent(prev: ContainerSample | undefined, cur: ContainerSample, cpus: number | undefined): number | undefined {
  if (!prev || !cpus) return undefined;
  const wallNs = (cur.at - prev.at) * 1e6;
  const used = cur.cpuNs - prev.cpuNs;
  if (wallNs <= 0 || used < 0) return undefined;
  return Math.min(100, Math.max(0, (used / wallNs / cpus) * 100));
}

function positive(n: number | undefined | null): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}
