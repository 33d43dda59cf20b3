import { EventEmitter } from 'node:events';
import { Logger, silentLogger } from '../log';
import { HistoryStore } from '../notebook/history';
import { CONTAINER_DEFAULTS, LIMITS, TIMINGS } from '../policy/limits';
import { DockerClient } from '../sandbox/docker';
import { ImageSource } from '../sandbox/image';
import { ResolvedRuntime, resolveRuntime } from '../sandbox/runtime';
import { DEFAULT_SANDBOX_CONFIG, SandboxConfig } from '../sandbox/spec';
import { hashFromContainerName, LABELS, sessionNames } from './naming';
import { WarmPool } from './pool';
import { ResourceMonitor, SessionResources } from './resources';
import { Session } from './session';

export interface SessionManagerOptions {
  docker: DockerClient;
  image: ImageSource;
  config?: Partial<SandboxConfig>;
  /** Stop a session's container after this many idle minutes (0: never). Its volume is kept. */
  idleStopMinutes?: number;
  /** Warm containers kept ready for new threads (0 disables). */
  poolSize?: number;
  /** Override the in-container watchdog's idle limit (seconds; default: idle stop + 5 minutes). */
  watchdogSeconds?: number;
  /** Folder that keeps each thread's execution history across processes (none: memory only). */
  historyDir?: string;
  log?: Logger;
}

/** A session as Docker reports it, whether or not this process has used it. */
export interface SessionSummary {
  threadKey: string;
  threadHash: string;
  sessionId: string;
  container?: string;
  volume?: string;
  /** The link volume of a thread that claimed a pooled container. */
  link?: string;
  state: 'running' | 'stopped' | 'no container';
  created?: string;
  /** When a stopped container stopped. */
  finishedAt?: string;
  /** The runtime its container runs under (runsc: gVisor). */
  runtime?: string;
}

/**
 * Thread key → Session. Sessions start lazily on first use, stop after an idle time, and are found
 * again from Docker's labels and names after the process restarts.
 */
/** What a SessionManager tells its listeners: a thread's Session came into this process, or left it (deleted). */
export interface ManagerEvents {
  'session-added': [Session];
  'session-removed': [threadKey: string];
}

export class SessionManager extends EventEmitter<ManagerEvents> implements AsyncDisposable {
  private readonly sessions = new Map<string, Session>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  readonly config: SandboxConfig;
  readonly docker: DockerClient;
  readonly image: ImageSource;
  readonly log: Logger;
  private readonly idleMs: number;
  /** The in-container watchdog's limit: a while after the host's own idle stop would have fired. */
  private readonly watchdogSeconds: number;
  readonly pool?: WarmPool;
  private poolStarted = false;
  private readonly history?: HistoryStore;
  private resolvedRuntime?: Promise<ResolvedRuntime>;

  constructor(options: SessionManagerOptions) {
    super();
    this.docker = options.docker;
    this.image = options.image;
    this.config = { ...DEFAULT_SANDBOX_CONFIG, ...options.config };
    this.log = options.log ?? silentLogger;
    this.idleMs = (options.idleStopMinutes ?? CONTAINER_DEFAULTS.idleStopMinutes) * 60_000;
    this.watchdogSeconds = options.watchdogSeconds ?? (this.idleMs > 0 ? this.idleMs / 1000 + TIMINGS.watchdogGraceSeconds : TIMINGS.watchdogNoIdleSeconds);
    if (options.historyDir) this.history = new HistoryStore(options.historyDir, LIMITS.historyPerSession);
    const poolSize = options.poolSize ?? CONTAINER_DEFAULTS.poolSize;
    if (poolSize > 0) {
      // A pooled container is worth nothing once its host is gone: its watchdog stops it soon after.
      const watchdogSeconds = Math.min(TIMINGS.poolWatchdogSeconds, this.watchdogSeconds);
      this.pool = new WarmPool({ docker: this.docker, image: this.image, config: this.config, log: this.log, watchdogSeconds, runtime: () => this.runtime() }, poolSize);
    }
  }

  /** The runtime new containers run under (`auto` resolved against the engine once; a failure is retried). */
  runtime(): Promise<ResolvedRuntime> {
    this.resolvedRuntime ??= resolveRuntime(this.docker, this.config.runtime).then(
      (r) => {
        this.log.info(`runtime: ${r.name} (${r.why})`);
        return r;
      },
      (err) => {
        this.resolvedRuntime = undefined;
        throw err;
      },
    );
    return this.resolvedRuntime;
  }

  /** Start filling the warm pool (after sweeping pool containers that dead processes left). */
  startPool(): void {
    if (!this.pool || this.poolStarted) return;
    this.poolStarted = true;
    WarmPool.sweep(this.docker, this.log)
      .catch((err) => this.log.warn(`warm pool sweep failed: ${(err as Error).message}`))
      .finally(() => this.pool?.fill());
  }

  /** The thread's session (no Docker call until it is used). */
  session(threadKey: string): Session {
    let s = this.sessions.get(threadKey);
    if (!s) {
      s = new Session(sessionNames(threadKey), {
        docker: this.docker,
        image: this.image,
        config: this.config,
        log: this.log,
        onActivity: (session) => this.scheduleIdleStop(session),
        pool: this.pool,
        watchdogSeconds: this.watchdogSeconds,
        history: this.history,
        runtime: () => this.runtime(),
      });
      this.startPool();
      s.on('deleted', () => this.forget(threadKey));
      this.sessions.set(threadKey, s);
      this.emit('session-added', s);
    }
    return s;
  }

  private readonly monitors = new Map<string, ResourceMonitor>();

  /**
   * A thread's resource use (Session.resources), also for a session this process does not hold
   * (found in Docker): read by its container's name, without /mnt/data's size. Never throws.
   */
  resources(threadKey: string): Promise<SessionResources> {
    const held = this.sessions.get(threadKey);
    if (held) {
      this.monitors.delete(threadKey);
      return held.resources();
    }
    let monitor = this.monitors.get(threadKey);
    if (!monitor) {
      monitor = new ResourceMonitor({ docker: this.docker, container: sessionNames(threadKey).container, diskQuotaBytes: this.config.diskQuotaMb * 1024 * 1024, log: this.log });
      this.monitors.set(threadKey, monitor);
    }
    return monitor.read();
  }

  /** Sessions this process holds in memory. */
  get active(): Session[] {
    return [...this.sessions.values()];
  }

  private scheduleIdleStop(session: Session): void {
    if (this.idleMs <= 0) return;
    clearTimeout(this.idleTimers.get(session.threadKey));
    const timer = setTimeout(() => {
      if (session.busy) return this.scheduleIdleStop(session);
      this.log.info(`session ${session.names.container}: idle for ${this.idleMs / 60_000} min, stopping (files kept)`);
      session.stop().catch((err) => this.log.warn(`idle stop failed: ${(err as Error).message}`));
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(session.threadKey, timer);
  }

  private forget(threadKey: string): void {
    clearTimeout(this.idleTimers.get(threadKey));
    this.idleTimers.delete(threadKey);
    if (this.sessions.delete(threadKey)) this.emit('session-removed', threadKey);
  }

  /** Every session Docker knows about (containers and volumes carrying our labels). */
  async list(): Promise<SessionSummary[]> {
    const [containers, volumes] = await Promise.all([
      this.docker.listContainers([`${LABELS.managed}=true`]),
      this.docker.listVolumes([`${LABELS.managed}=true`]),
    ]);
    const byHash = new Map<string, SessionSummary>();
    for (const v of volumes) {
      const l = v.Labels ?? {};
      const role = l[LABELS.role];
      if (role !== 'data' && role !== 'link') continue;
      const summary: SessionSummary = byHash.get(l[LABELS.threadHash]) ?? {
        threadKey: l[LABELS.thread],
        threadHash: l[LABELS.threadHash],
        sessionId: l[LABELS.session],
        state: 'no container',
        created: l[LABELS.created],
      };
      if (role === 'data') summary.volume = v.Name;
      else {
        summary.link = v.Name;
        summary.volume = l[LABELS.dataVolume];
      }
      byHash.set(summary.threadHash, summary);
    }
    for (const c of containers) {
      const l = c.Labels ?? {};
      const name = (c.Names?.[0] ?? '').replace(/^\//, '');
      // Claimed pool containers carry pool labels; their name says which thread they serve.
      const hash = l[LABELS.role] === 'session' ? l[LABELS.threadHash] : l[LABELS.role] === 'pool' ? hashFromContainerName(name) : undefined;
      if (!hash) continue;
      const summary: SessionSummary = byHash.get(hash) ?? {
        threadKey: l[LABELS.thread] ?? '',
        threadHash: hash,
        sessionId: l[LABELS.session] ?? '',
        state: 'no container',
        created: l[LABELS.created],
      };
      summary.container = name;
      summary.state = c.State === 'running' ? 'running' : 'stopped';
      summary.runtime = l[LABELS.runtime];
      byHash.set(hash, summary);
    }
    const result = [...byHash.values()];
    await Promise.all(
      result
        .filter((s) => s.state === 'stopped' && s.container)
        .map(async (s) => {
          const info = await this.docker.inspectContainer(s.container!);
          s.finishedAt = info?.State?.FinishedAt;
        }),
    );
    return result.sort((a, b) => (a.created ?? '').localeCompare(b.created ?? ''));
  }

  async stop(threadKey: string): Promise<void> {
    await this.session(threadKey).stop();
  }

  async delete(threadKey: string): Promise<void> {
    await this.session(threadKey).delete();
  }

  /**
   * Remove sessions that retention says should go: stopped (or container-less) sessions idle for
   * more than `olderThanDays`, or every session with `all`. Returns the thread keys removed.
   */
  async prune(opts: { olderThanDays?: number; all?: boolean } = {}): Promise<string[]> {
    const cutoff = Date.now() - (opts.olderThanDays ?? LIMITS.defaultRetentionDays) * 86_400_000;
    const removed: string[] = [];
    for (const s of await this.list()) {
      const last = Date.parse(s.finishedAt ?? s.created ?? '') || 0;
      const expired = s.state !== 'running' && last < cutoff;
      if (!opts.all && !expired) continue;
      if (s.container) await this.docker.removeContainer(s.container);
      if (s.volume) await this.docker.removeVolume(s.volume);
      if (s.link) await this.docker.removeVolume(s.link);
      await this.history?.remove(s.threadHash).catch((err: Error) => this.log.warn(`history of ${s.threadKey} could not be removed: ${err.message}`));
      this.forget(s.threadKey);
      removed.push(s.threadKey);
    }
    await WarmPool.sweep(this.docker, this.log);
    return removed;
  }

  /** Let go of kernels and timers; containers stay for the next process (or their idle stop). */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    await this.pool?.[Symbol.asyncDispose]();
    await Promise.all(this.active.map((s) => s.detach()));
    await this.history?.flush(); // the last executions' records are written before the process goes
    this.docker.close();
  }
}
