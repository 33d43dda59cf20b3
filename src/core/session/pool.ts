import { v4 as uuid } from 'uuid';
import { errorMessage } from '../errors';
import { AgentChannel } from '../kernel/channel';
import { KernelClient } from '../kernel/client';
import { Logger } from '../log';
import { TIMINGS } from '../policy/limits';
import { DockerClient } from '../sandbox/docker';
import { ImageSource } from '../sandbox/image';
import { ResolvedRuntime } from '../sandbox/runtime';
import { containerSpec, SandboxConfig } from '../sandbox/spec';
import { LABELS, POOL_PREFIX, poolLabels } from './naming';

/** A pre-started container with its own fresh volume and a warmed kernel, waiting for a thread. */
export interface PoolEntry {
  containerId: string;
  name: string;
  volume: string;
  /** The channel to its session agent, whose kernel is warm; the claiming session takes it over. */
  channel: AgentChannel;
  /** The image it was started from: a claim only takes entries of the image sessions use now. */
  image: string;
}

export interface PoolDeps {
  docker: DockerClient;
  image: ImageSource;
  config: SandboxConfig;
  log: Logger;
  watchdogSeconds: number;
  runtime: () => Promise<ResolvedRuntime>;
}

const alive = (e: PoolEntry) => e.channel.open && e.channel.kernel.state === 'ready';

/** The image in use is not known without a build; the pool fills once a session has resolved it. */
class PoolWaits extends Error {}

/**
 * The warm pool: `size` kernel-ready containers, each with its own volume (labels and mounts are
 * fixed at creation, so a claim renames the container and records the volume in a link volume).
 * Refills in the background; never blocks a request. Idle entries cost no CPU (their agents and kernels
 * wait on their sockets and pipes).
 */
export class WarmPool implements AsyncDisposable {
  private readonly ready: PoolEntry[] = [];
  private filling = 0;
  private failures = 0;
  private disposed = false;
  private waiters: Array<() => void> = [];
  /** Entries being created or discarded; dispose waits for them so nothing outlives the pool. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  constructor(
    private readonly deps: PoolDeps,
    readonly size: number,
  ) {}

  get available(): number {
    return this.ready.filter(alive).length;
  }

  /** Top the pool up in the background. */
  fill(): void {
    if (this.disposed) return;
    while (this.ready.length + this.filling < this.size) {
      this.filling++;
      this.track(this.create()).then(
        (entry) => {
          this.filling--;
          this.failures = 0;
          if (this.disposed) return void this.track(this.discard(entry));
          this.ready.push(entry);
          entry.channel.once('close', () => this.onEntryExit(entry));
          entry.channel.on('kernel-state', (k) => k.state === 'exited' && this.onEntryExit(entry));
          for (const w of this.waiters.splice(0)) w();
        },
        (err) => {
          this.filling--;
          if (err instanceof PoolWaits) return; // take() calls fill() again
          this.failures++;
          this.deps.log.warn(`warm pool: could not start a container: ${(err as Error).message}`);
          // Back off (Docker may be restarting), but never give up: the pool must recover by itself.
          setTimeout(() => this.fill(), Math.min(TIMINGS.poolRetryMaxMs, TIMINGS.poolRetryStepMs * this.failures)).unref();
        },
      );
    }
  }

  private onEntryExit(entry: PoolEntry): void {
    const i = this.ready.indexOf(entry);
    if (i < 0) return; // claimed meanwhile
    this.ready.splice(i, 1);
    void this.track(this.discard(entry));
    this.fill();
  }

  /** A ready entry, or undefined (the caller starts a container itself). Triggers a refill. */
  take(image: string): PoolEntry | undefined {
    let entry: PoolEntry | undefined;
    while ((entry = this.ready.shift())) {
      if (alive(entry) && entry.image === image) break;
      // Dead, or started from an image no longer in use (the workspace's environment changed).
      void this.track(this.discard(entry));
    }
    setTimeout(() => this.fill(), TIMINGS.poolRefillDelayMs).unref();
    return entry;
  }

  /** Resolves when at least one entry is ready (for benchmarks and tests). */
  async whenReady(timeoutMs: number = TIMINGS.poolReadyWaitMs): Promise<boolean> {
    this.fill();
    if (this.available > 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async create(): Promise<PoolEntry> {
    const { docker, config } = this.deps;
    // Never the trigger of a workspace environment's build (or its approval): wait until a session resolved it.
    const image = await this.deps.image.ensureQuietly();
    if (!image) throw new PoolWaits();
    const runtime = await this.deps.runtime();
    const id = uuid().slice(0, 12);
    const name = `${POOL_PREFIX}${id}`;
    const volume = `${name}-data`;
    await docker.createVolume(volume, poolLabels('pool-data'));
    const containerId = await docker.createContainer(
      containerSpec({ name, image, volume, labels: { ...poolLabels('pool'), [LABELS.runtime]: runtime.name }, config, runtime, watchdogSeconds: this.deps.watchdogSeconds }),
    );
    try {
      await docker.startContainer(containerId);
      const channel = await AgentChannel.attach(docker, containerId, this.deps.log);
      try {
        await new KernelClient(channel, this.deps.log).start();
      } catch (err) {
        channel.close();
        throw err;
      }
      return { containerId, name, volume, channel, image };
    } catch (err) {
      await removeLogged(docker, this.deps.log, { container: containerId, volume }, 'a pool container that did not start');
      throw err;
    }
  }

  /** Remove an unclaimed entry and its volume. */
  async discard(entry: PoolEntry): Promise<void> {
    entry.channel.close();
    await removeLogged(this.deps.docker, this.deps.log, { container: entry.containerId, volume: entry.volume }, `pool container ${entry.name}`);
  }

  /** Remove pool containers (and their volumes) that are stopped: left by processes that died. */
  static async sweep(docker: DockerClient, log: Logger): Promise<number> {
    const stale = (await docker.listContainers([`${LABELS.managed}=true`, `${LABELS.role}=pool`])).filter(
      (c) => c.State !== 'running' && (c.Names?.[0] ?? '').replace(/^\//, '').startsWith(POOL_PREFIX),
    );
    let removed = 0;
    for (const c of stale) {
      const name = (c.Names?.[0] ?? '').replace(/^\//, '');
      // A volume still mounted by a container that stayed cannot go either: both are tried again by the next sweep.
      if (!(await removeLogged(docker, log, { container: c.Id }, `stale pool container ${name}`))) continue;
      removed++;
      for (const m of c.Mounts ?? []) if (m.Name) await removeLogged(docker, log, { volume: m.Name }, `stale pool container ${name}`);
    }
    if (removed) log.info(`warm pool: removed ${removed} stale pool container(s)`);
    return removed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    const entries = this.ready.splice(0);
    await Promise.all(entries.map((e) => this.discard(e)));
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * Remove a pool container and its volume (each that is given), logging each failure with what it was
 * and why: a leftover is swept later (sweep, prune), but nobody would learn why it was left. Never
 * throws; resolves with whether everything went.
 */
async function removeLogged(docker: DockerClient, log: Logger, what: { container?: string; volume?: string }, of: string): Promise<boolean> {
  let ok = true;
  if (what.container) {
    try {
      await docker.removeContainer(what.container);
    } catch (err) {
      ok = false;
      log.warn(`warm pool: could not remove ${of} (container ${what.container.slice(0, 12)}): ${errorMessage(err)}`);
    }
  }
  if (what.volume) {
    try {
      await docker.removeVolume(what.volume);
    } catch (err) {
      ok = false;
      log.warn(`warm pool: could not remove the volume ${what.volume} of ${of}: ${errorMessage(err)}`);
    }
  }
  return ok;
}
