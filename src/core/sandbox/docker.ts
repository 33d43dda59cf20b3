import Dockerode from 'dockerode';
import { Readable } from 'node:stream';
import { explainDockerError, InterpreterError } from '../errors';
import { Logger, silentLogger } from '../log';
import { LIMITS, TIMINGS } from '../policy/limits';
import { describeEngine, EngineEndpoint, engineFix, EngineOptions, resolveEngine } from './engine';
import { connectionFor, EngineConnection } from './transport';
import { EngineStats } from './stats';
import { collect, ExecHandle, ExecOptions, ExecResult, runThrowaway, startExec, ThrowawayOptions } from './exec';

/** The label every container, volume and image we create carries; orphans are swept by it. */
export const LABEL_PREFIX = 'dev.code-interpreter';
export const MANAGED_LABEL = `${LABEL_PREFIX}.managed`;

export type { ExecHandle, ExecOptions, ExecResult } from './exec';

/**
 * A narrow wrapper over dockerode: one method per Docker operation we use, each turning failures
 * into errors that say how to fix them. The engine is found the way the Docker CLI finds it
 * (engine.ts: setting, DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket) and
 * may be remote: nothing here hands Docker a host path.
 */
export class DockerClient {
  private resolved?: { engine: EngineEndpoint; connection: EngineConnection; api: Dockerode } | { error: InterpreterError };

  constructor(
    private readonly log: Logger = silentLogger,
    private readonly engineOptions: EngineOptions = {},
  ) {}

  /** Resolve the endpoint once; a resolution failure (an unknown context, say) is kept and thrown by every call. */
  private connect(): { engine: EngineEndpoint; connection: EngineConnection; api: Dockerode } {
    if (!this.resolved) {
      try {
        const engine = resolveEngine(this.engineOptions);
        const connection = connectionFor(engine);
        this.resolved = { engine, connection, api: withoutDockerEnv(() => new Dockerode(connection.options)) };
        this.log.info(`docker: engine ${describeEngine(engine)}`);
      } catch (err) {
        this.resolved = { error: err instanceof InterpreterError ? err : explainDockerError(err, 'choosing the Docker engine') };
      }
    }
    if ('error' in this.resolved) throw this.resolved.error;
    return this.resolved;
  }

  /** The endpoint in use: context, URL and where the choice came from. Throws when it cannot be resolved. */
  get engine(): EngineEndpoint {
    return this.connect().engine;
  }

  get api(): Dockerode {
    return this.connect().api;
  }

  /** Close idle connections to the engine (SSH processes, TLS sockets). */
  close(): void {
    if (this.resolved && !('error' in this.resolved)) this.resolved.connection.close();
  }

  private explain(err: unknown, doing: string): InterpreterError {
    const engine = this.resolved && !('error' in this.resolved) ? this.resolved.engine : undefined;
    return explainDockerError(err, doing, engine && { where: describeEngine(engine), fix: engineFix(engine) });
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.log.debug(`docker: ${doing} failed: ${(err as Error)?.message ?? err}`);
      throw this.explain(err, doing);
    }
  }

  version(): Promise<{ Version?: string; ApiVersion?: string; Os?: string; Arch?: string; Platform?: { Name?: string }; Components?: Array<{ Name?: string; Version?: string }> }> {
    return this.call('reading the Docker version', () => this.api.version());
  }

  ping(): Promise<unknown> {
    return this.call('contacting the Docker engine', () => this.api.ping());
  }

  /** The engine's info (`BuildahVersion`: only Podman's has it). */
  info(): Promise<{ ServerVersion?: string; Runtimes?: Record<string, unknown>; DefaultRuntime?: string; OperatingSystem?: string; Name?: string; BuildahVersion?: string }> {
    return this.call('reading Docker info', () => this.api.info());
  }

  async imageExists(tag: string): Promise<boolean> {
    try {
      await this.api.getImage(tag).inspect();
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw this.explain(err, `inspecting image ${tag}`);
    }
  }

  /** The image's id (its content digest) and creation time, or undefined when it does not exist. */
  async inspectImage(tag: string): Promise<{ Id: string; Created: string; Labels?: Record<string, string> } | undefined> {
    try {
      const info = await this.api.getImage(tag).inspect();
      return { Id: info.Id, Created: info.Created, Labels: info.Config?.Labels ?? undefined };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.explain(err, `inspecting image ${tag}`);
    }
  }

  async networkExists(name: string): Promise<boolean> {
    try {
      await this.api.getNetwork(name).inspect();
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw this.explain(err, `inspecting network ${name}`);
    }
  }

  /**
   * Build an image from a tar context; every progress event goes to onEvent, its text without the
   * colour codes the classic builder wraps around a step's stderr (they split apt's "E: Unable to
   * locate package" into pieces no error explanation would match).
   */
  buildImage(
    context: Readable,
    options: { tag: string; labels: Record<string, string>; buildArgs?: Record<string, string>; networkMode?: string; noCache?: boolean },
    onEvent: (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => void,
  ): Promise<void> {
    return this.call(`building image ${options.tag}`, async () => {
      const stream = await this.api.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: options.tag,
        labels: options.labels,
        buildargs: options.buildArgs,
        networkmode: options.networkMode,
        nocache: options.noCache,
        rm: true,
        forcerm: true,
      } as Dockerode.ImageBuildOptions);
      await new Promise<void>((resolve, reject) => {
        this.api.modem.followProgress(
          stream,
          (err: Error | null, events: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
            const failed = events?.find((e) => e.error || e.errorDetail);
            if (err) reject(err);
            else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
            else resolve();
          },
          (event: { stream?: string; status?: string }) => onEvent(event.stream ? { ...event, stream: event.stream.replace(SGR, '') } : event),
        );
      });
    });
  }

  /** Images carrying all the given labels (`key=value`), newest first. */
  async listImages(labels: string[]): Promise<Dockerode.ImageInfo[]> {
    const images = await this.call('listing images', () => this.api.listImages({ filters: { label: labels } }));
    return images.sort((a, b) => b.Created - a.Created);
  }

  /**
   * Run a command to completion in a throwaway container of `image` (no network, read-only root,
   * no capabilities, the sandbox user) and return its output; the container is always removed.
   */
  runOnce(image: string, cmd: string[], labels: Record<string, string>, opts: ThrowawayOptions = {}): Promise<ExecResult> {
    return this.call(`running ${cmd[0]} in a throwaway container of ${image}`, async () => {
      const podman = !!(await this.api.info()).BuildahVersion; // whose API takes no inline seccomp profile
      return runThrowaway(this.api, image, cmd, { [MANAGED_LABEL]: 'true', ...labels }, { ...opts, podman });
    });
  }

  async volumeExists(name: string): Promise<Dockerode.VolumeInspectInfo | undefined> {
    try {
      return await this.api.getVolume(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.explain(err, `inspecting volume ${name}`);
    }
  }

  createVolume(name: string, labels: Record<string, string>): Promise<unknown> {
    return this.call(`creating volume ${name}`, () => this.api.createVolume({ Name: name, Labels: labels }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.api.getVolume(name).remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw this.explain(err, `removing volume ${name}`);
    }
  }

  async listVolumes(labels: string[]): Promise<Dockerode.VolumeInspectInfo[]> {
    const res = await this.call('listing volumes', () => this.api.listVolumes({ filters: JSON.stringify({ label: labels }) }));
    return res.Volumes ?? [];
  }

  listContainers(labels: string[]): Promise<Dockerode.ContainerInfo[]> {
    return this.call('listing containers', () => this.api.listContainers({ all: true, filters: JSON.stringify({ label: labels }) }));
  }

  async inspectContainer(nameOrId: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await this.api.getContainer(nameOrId).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.explain(err, `inspecting container ${nameOrId}`);
    }
  }

  /**
   * One reading of a container's counters (the stats API, `one-shot`: no second reading for the
   * engine's own CPU figure); undefined when the container does not exist or does not run.
   */
  async containerStats(nameOrId: string): Promise<EngineStats | undefined> {
    try {
      return (await this.api.getContainer(nameOrId).stats({ stream: false, 'one-shot': true })) as EngineStats;
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404 || code === 409) return undefined;
      throw this.explain(err, `reading the resource use of container ${nameOrId.slice(0, 12)}`);
    }
  }

  async createContainer(spec: Dockerode.ContainerCreateOptions): Promise<string> {
    const c = await this.call(`creating container ${spec.name ?? ''}`, () => this.api.createContainer(spec));
    this.log.debug(`docker: created container ${spec.name} ${c.id.slice(0, 12)}`);
    return c.id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.api.getContainer(id).start();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 304) return; // already running
      throw this.explain(err, `starting container ${id.slice(0, 12)}`);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number = TIMINGS.containerStopSeconds): Promise<void> {
    try {
      await this.api.getContainer(id).stop({ t: timeoutSeconds });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 304 || code === 404) return; // already stopped or gone
      throw this.explain(err, `stopping container ${id.slice(0, 12)}`);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.api.getContainer(id).remove({ force: true, v: false });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404) return;
      if (code === 409 && /already in progress/.test(String((err as Error).message))) return;
      throw this.explain(err, `removing container ${id.slice(0, 12)}`);
    }
  }

  renameContainer(id: string, name: string): Promise<void> {
    return this.call(`renaming container ${id.slice(0, 12)} to ${name}`, async () => {
      await this.api.getContainer(id).rename({ name });
    });
  }

  async killContainer(id: string): Promise<void> {
    try {
      await this.api.getContainer(id).kill();
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404 || code === 409) return;
      throw this.explain(err, `killing container ${id.slice(0, 12)}`);
    }
  }

  /** Start a process in a running container with attached, demultiplexed stdio. */
  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecHandle> {
    return this.call(`running ${cmd[0]} in container ${id.slice(0, 12)}`, () => startExec(this.api, id, cmd, opts));
  }

  /** Run a process to completion and collect its output (bounded by maxBytes per stream). */
  async execOnce(id: string, cmd: string[], opts: ExecOptions & { input?: string; maxBytes?: number } = {}): Promise<ExecResult> {
    const handle = await this.exec(id, cmd, { ...opts, stdin: opts.input !== undefined });
    if (opts.input !== undefined) handle.stdin!.end(opts.input);
    const max = opts.maxBytes ?? LIMITS.maxExecOnceBytes;
    const [stdout, stderr, exitCode] = await Promise.all([collect(handle.stdout, max), collect(handle.stderr, max), handle.exited]);
    return { exitCode, stdout, stderr };
  }

  putArchive(id: string, dir: string, tar: Readable): Promise<void> {
    return this.call(`copying files into container ${id.slice(0, 12)}`, async () => {
      await this.api.getContainer(id).putArchive(tar as unknown as NodeJS.ReadableStream, { path: dir, noOverwriteDirNonDir: true });
    });
  }

  getArchive(id: string, path: string): Promise<Readable> {
    return this.call(`copying ${path} out of container ${id.slice(0, 12)}`, async () => {
      return (await this.api.getContainer(id).getArchive({ path })) as unknown as Readable;
    });
  }
}

/** ANSI colour (SGR) escape sequences. */
const SGR = /\x1b\[[0-9;]*m/g;

/**
 * docker-modem fills unset options from DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (and throws
 * on a malformed DOCKER_HOST) even when a setting chose another engine; the endpoint is already resolved,
 * so build the client with those variables out of sight.
 */
function withoutDockerEnv<T>(build: () => T): T {
  const names = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT'];
  const saved = names.map((n) => [n, process.env[n]] as const);
  for (const n of names) delete process.env[n];
  try {
    return build();
  } finally {
    for (const [n, v] of saved) if (v !== undefined) process.env[n] = v;
  }
}
