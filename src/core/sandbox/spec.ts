import type Dockerode from 'dockerode';
import { CONTAINER_DEFAULTS, GVISOR_MEMORY_HEADROOM, GVISOR_PIDS_HEADROOM } from '../policy/limits';
import { DATA_DIR } from '../policy/paths';
import { seccompSecurityOpt } from './seccomp';

/** Resource and isolation settings for session containers (defaults in policy/limits). */
export interface SandboxConfig {
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
  tmpSizeMb: number;
  /** `none` by default; a setting may choose another Docker network. */
  network: string;
  /** `auto` by default (gVisor's `runsc` when the engine has it, else the engine's default), or a runtime name. */
  runtime: string;
  /** Quota for /mnt/data, enforced by the engine after and during each call (overlay2 has no hard quota). */
  diskQuotaMb: number;
}

export const DEFAULT_SANDBOX_CONFIG: SandboxConfig = { ...CONTAINER_DEFAULTS };

/**
 * The uid:gid of the image's unprivileged user: one no host account has (distroless's `nonroot`),
 * so a process that ever got past the mount namespace owns nothing of the person's on the host.
 */
export const SANDBOX_UID = 65532;
export const SANDBOX_USER = `${SANDBOX_UID}:${SANDBOX_UID}`;

/**
 * The hardened container: no network, read-only root, size-limited /tmp, non-root, no
 * capabilities, no privilege escalation, our own syscall filter (seccomp.ts), pids/memory (no
 * swap)/CPU limits, an init process, the session volume at /mnt/data and nothing else from the
 * host — not its paths, not its environment.
 */
export function containerSpec(opts: {
  name: string;
  image: string;
  volume: string;
  labels: Record<string, string>;
  config: SandboxConfig;
  /** The resolved runtime: its name, and what to ask Docker for (undefined: the engine's default). */
  runtime: { name: string; request: string | undefined; podman?: boolean };
  /** The in-container watchdog stops the container after this long without use (host gone). */
  watchdogSeconds: number;
}): Dockerode.ContainerCreateOptions {
  const { config } = opts;
  const limits = hostLimits(config, opts.runtime.name);
  return {
    name: opts.name,
    Image: opts.image,
    Labels: opts.labels,
    User: SANDBOX_USER,
    WorkingDir: DATA_DIR,
    Hostname: 'sandbox',
    Cmd: ['/opt/sandbox/watchdog.py', String(Math.max(10, Math.round(opts.watchdogSeconds)))],
    Env: limits.guard ? [`SBX_GUARD=${limits.guard}`] : [],
    NetworkDisabled: config.network === 'none',
    HostConfig: {
      NetworkMode: config.network,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${config.tmpSizeMb}m,mode=1777` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true', ...seccompSecurityOpt(opts.runtime)],
      PidsLimit: limits.pids,
      ...(limits.nproc ? { Ulimits: [{ Name: 'nproc', Soft: limits.nproc, Hard: limits.nproc }] } : {}),
      Memory: limits.memory,
      MemorySwap: limits.memory,
      NanoCpus: Math.round(config.cpus * 1e9),
      Init: true,
      IpcMode: 'private',
      ...(opts.runtime.request ? { Runtime: opts.runtime.request } : {}),
      Mounts: [{ Type: 'volume', Source: opts.volume, Target: DATA_DIR, ReadOnly: false }],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

/**
 * The engine's memory (bytes) and pids limits for a container, the limits held inside under gVisor
 * (SBX_GUARD for the guard, RLIMIT_NPROC) and what the guard watches. Under runc the kernel holds the
 * chosen limits itself. Under gVisor the host's limits hold the whole sandbox, gVisor's own kernel
 * included, and reaching them stops everything: the chosen limits are held inside — memory by the
 * guard, processes by RLIMIT_NPROC, which gVisor counts per sandbox (under runc it would count the
 * uid across the host) — and the host's limits get headroom above them.
 */
export function hostLimits(config: SandboxConfig, runtimeName: string): { memory: number; pids: number; nproc?: number; guard?: string } {
  const memory = Math.round(config.memoryMb * 1024 * 1024);
  if (runtimeName !== 'runsc') return { memory, pids: config.pidsLimit };
  const extraMb = Math.max(GVISOR_MEMORY_HEADROOM.mb, config.memoryMb * GVISOR_MEMORY_HEADROOM.share);
  return {
    memory: memory + Math.round(extraMb * 1024 * 1024),
    pids: config.pidsLimit * GVISOR_PIDS_HEADROOM.factor + GVISOR_PIDS_HEADROOM.tasks,
    nproc: config.pidsLimit,
    guard: `memory=${memory},pids=${config.pidsLimit}`,
  };
}
