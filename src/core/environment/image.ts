/**
 * The image sessions run on: the built-in one, or the workspace's environment derived from it and
 * tagged by the hash of the base and the environment files, so the same files never build twice
 * and a change always rebuilds. A failed or declined build never stops work: threads stay on the
 * last good image of that environment (or the built-in one) with a note saying why.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { errorMessage, InfrastructureError, InterpreterError } from '../errors';
import { Logger, silentLogger } from '../log';
import type { NotebookEnvironment } from '../notebook/export';
import { DockerClient, LABEL_PREFIX, MANAGED_LABEL } from '../sandbox/docker';
import { BuildProgress, ImageSource, SandboxImage } from '../sandbox/image';
import { derivedContext, EnvironmentError, explainBuildFailure, PIP_HOST_VARIABLES } from './build';
import { describePlan, ENV_FILES, EnvironmentSpec, hostDebianMirror, isOffline, needsNetwork, readEnvironment } from './spec';

export const ENV_REPOSITORY = 'code-interpreter-env';
export const ENV_LABELS = {
  hash: `${LABEL_PREFIX}.env.hash`,
  dir: `${LABEL_PREFIX}.env.dir`,
  base: `${LABEL_PREFIX}.env.base`,
} as const;

/** Where the sessions' image comes from right now, in words for the status bar and `env show`. */
export type EnvironmentStatus =
  | { state: 'builtin'; tag: string; reason?: string }
  | { state: 'pending' | 'building' | 'ready'; tag: string; spec: EnvironmentSpec }
  | { state: 'failed' | 'declined'; tag: string; spec?: EnvironmentSpec; error: InterpreterError };

export interface EnvironmentHooks {
  /** Asked before a spec is built for the first time; false keeps the built-in (or last good) image. */
  approve?(spec: EnvironmentSpec, plan: string[]): Promise<boolean>;
  /** Every line of every build (the first-use progress notification, the log). */
  progress?: BuildProgress;
  /** The status changed (building, ready, failed…). */
  onStatus?(status: EnvironmentStatus): void;
}

export interface EnvironmentImageOptions {
  /** The folder with apt.txt / requirements.txt / wheels/ (none: the built-in image only). */
  dir?: string;
  /** Re-read the folder when its files change (CLI, MCP); VS Code reloads explicitly instead. */
  autoReload?: boolean;
  /** Why there is no environment although a folder may exist (e.g. an untrusted workspace). */
  disabledReason?: string;
  hooks?: EnvironmentHooks;
}

/** The short, stable label of a folder path (images remember which environment they belong to). */
const dirKey = (dir: string) => Buffer.from(dir).toString('base64url').slice(-60);

export class EnvironmentImage implements ImageSource {
  private spec?: EnvironmentSpec;
  private specError?: InterpreterError;
  private signature = '';
  private pending?: Promise<string>;
  private resolvedTag?: string;
  private failures = new Map<string, InterpreterError>();
  /** The last environment image this process ran on (the first fallback after a failed rebuild). */
  private lastGood?: string;
  private statusValue: EnvironmentStatus;
  private options: EnvironmentImageOptions;

  constructor(
    private readonly docker: DockerClient,
    readonly base: SandboxImage,
    options: EnvironmentImageOptions = {},
    private readonly log: Logger = silentLogger,
  ) {
    this.options = options;
    this.statusValue = { state: 'builtin', tag: base.tag, reason: options.disabledReason };
    this.load();
  }

  /** The folder environments are read from (undefined: none configured). */
  get dir(): string | undefined {
    return this.options.dir;
  }

  /** The declared environment, when there is a valid one. */
  get declared(): EnvironmentSpec | undefined {
    return this.spec;
  }

  get status(): EnvironmentStatus {
    return this.statusValue;
  }

  /** The tag sessions are on once resolved (the hot path compares against it without a Docker call). */
  get resolved(): string | undefined {
    // A few stat calls: a changed file is noticed on the next call, not only by new sessions.
    if (this.options.autoReload) this.load();
    return this.resolvedTag;
  }

  /** The tag the declared files build to (the built-in tag when there are none). */
  get tag(): string {
    return this.spec ? `${ENV_REPOSITORY}:${this.spec.hash}` : this.base.tag;
  }

  /** Point at another folder, or turn environments off (`dir` undefined) with a reason. */
  configure(options: Partial<EnvironmentImageOptions>): void {
    this.options = { ...this.options, ...options };
    this.reload();
  }

  /** Re-read the files now; sessions move to the new image on their next call. */
  reload(): void {
    this.signature = '';
    this.load();
  }

  private setStatus(status: EnvironmentStatus): void {
    this.statusValue = status;
    this.options.hooks?.onStatus?.(status);
  }

  /** What the folder's files look like (names, sizes, times): a cheap check before re-hashing. */
  private currentSignature(): string {
    const dir = this.options.dir;
    if (!dir || this.options.disabledReason) return 'none';
    const parts: string[] = [];
    for (const name of [ENV_FILES.apt, ENV_FILES.requirements]) {
      const file = join(dir, name);
      if (existsSync(file)) {
        const st = statSync(file);
        parts.push(`${name}:${st.size}:${st.mtimeMs}`);
      }
    }
    const wheels = join(dir, ENV_FILES.wheels);
    if (existsSync(wheels) && statSync(wheels).isDirectory()) {
      for (const name of readdirSync(wheels).sort()) {
        const st = statSync(join(wheels, name));
        parts.push(`w/${name}:${st.size}:${st.mtimeMs}`);
      }
    }
    return parts.join('|');
  }

  private load(): void {
    let signature: string;
    try {
      signature = this.currentSignature();
    } catch (err) {
      signature = `error ${errorMessage(err)}`;
    }
    if (signature === this.signature) return;
    this.signature = signature;
    const before = this.tag;
    this.spec = undefined;
    this.specError = undefined;
    const dir = this.options.dir;
    if (dir && !this.options.disabledReason) {
      try {
        this.spec = readEnvironment(dir, this.base.tag);
      } catch (err) {
        this.specError = err instanceof InterpreterError ? err : new InfrastructureError(`Reading the sandbox environment in ${dir} failed: ${errorMessage(err)}`, 'Check the folder\'s permissions.', { cause: err });
      }
    }
    if (this.tag !== before || this.specError) this.resolvedTag = undefined;
    if (this.specError) this.setStatus({ state: 'failed', tag: this.base.tag, error: this.specError });
    else if (this.spec) this.setStatus({ state: 'pending', tag: this.tag, spec: this.spec });
    else this.setStatus({ state: 'builtin', tag: this.base.tag, reason: this.options.disabledReason });
  }

  async exists(): Promise<boolean> {
    if (!(await this.base.exists())) return false;
    return !this.spec || this.docker.imageExists(this.tag);
  }

  /**
   * The tag to start containers from: the environment's image, built first when needed (asking the
   * approve hook once per spec); on a failed or declined build the last good image with a note.
   */
  ensure(onProgress?: BuildProgress): Promise<string> {
    if (this.options.autoReload) this.load();
    this.pending ??= this.ensureOnce(onProgress).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The image in use without building or asking: the built-in one, an environment image that exists, or the fallback already chosen. */
  async ensureQuietly(): Promise<string | undefined> {
    const resolved = this.resolved;
    if (resolved) return resolved;
    const baseTag = await this.base.ensure(this.options.hooks?.progress);
    if (!this.spec) return this.specError ? undefined : baseTag;
    return (await this.docker.imageExists(this.tag)) ? this.ensure() : undefined;
  }

  /** A sentence for a thread that runs on another image than the declared one (failed, declined, invalid). */
  note(): string | undefined {
    const s = this.statusValue;
    if (s.state !== 'failed' && s.state !== 'declined') return undefined;
    const on = s.tag === this.base.tag ? 'the built-in sandbox image' : `the previous environment image ${s.tag}`;
    return `${s.error.explanation} This thread runs on ${on}.`;
  }

  private async ensureOnce(onProgress?: BuildProgress): Promise<string> {
    const baseTag = await this.base.ensure(onProgress ?? this.options.hooks?.progress);
    const spec = this.spec;
    if (!spec) return (this.resolvedTag = baseTag);
    const tag = this.tag;
    if (await this.docker.imageExists(tag)) {
      this.setStatus({ state: 'ready', tag, spec });
      return (this.resolvedTag = this.lastGood = tag);
    }
    const failed = this.failures.get(tag);
    if (failed) return this.fallBack(spec, failed, 'failed');
    const plan = describePlan(spec);
    if (this.options.hooks?.approve && !(await this.options.hooks.approve(spec, plan))) {
      return this.fallBack(spec, new EnvironmentError(`The sandbox environment in ${spec.dir} was not built: its installation was not approved.`, 'Run "Code Interpreter: Rebuild Sandbox Environment" to review and approve it.'), 'declined');
    }
    // The adapter's own place for environment builds (VS Code's notification) ahead of the caller's.
    await this.tryBuild(spec, this.options.hooks?.progress ?? onProgress);
    return this.resolvedTag!;
  }

  /**
   * Build the spec and use it; on failure remember the error (the same content falls back at once
   * next time) and fall back to the last good image. Returns the failure, if any.
   */
  private async tryBuild(spec: EnvironmentSpec, onProgress?: BuildProgress, noCache = false): Promise<InterpreterError | undefined> {
    try {
      await this.buildSpec(spec, onProgress, noCache);
    } catch (err) {
      const error = err instanceof InterpreterError ? err : new InfrastructureError(errorMessage(err), undefined, { cause: err });
      this.failures.set(this.tag, error);
      await this.fallBack(spec, error, 'failed');
      return error;
    }
    this.resolvedTag = this.lastGood = this.tag;
    return undefined;
  }

  private async fallBack(spec: EnvironmentSpec, error: InterpreterError, state: 'failed' | 'declined'): Promise<string> {
    const previous = [this.lastGood].find((t) => t && t !== this.tag) ?? (await this.docker.listImages([`${MANAGED_LABEL}=true`, `${ENV_LABELS.dir}=${dirKey(spec.dir)}`]).catch(() => []))
      .flatMap((i) => i.RepoTags ?? [])
      .find((t) => t.startsWith(`${ENV_REPOSITORY}:`) && t !== this.tag);
    const tag = previous ?? this.base.tag;
    this.log.warn(`environment: ${error.message}; using ${tag}`);
    this.setStatus({ state, tag, spec, error });
    return (this.resolvedTag = tag);
  }

  /**
   * Build the declared environment now (after the built-in image), whatever exists. Throws the
   * EnvironmentError of a failed build; the previous images stay.
   */
  async build(onProgress?: BuildProgress, opts: { noCache?: boolean } = {}): Promise<string> {
    if (this.options.autoReload) this.load();
    if (this.specError) throw this.specError;
    await this.base.ensure(onProgress ?? this.options.hooks?.progress);
    const spec = this.spec;
    if (!spec) return this.base.tag;
    this.failures.delete(this.tag);
    const error = await this.tryBuild(spec, onProgress, opts.noCache);
    if (error) throw error;
    return this.tag;
  }

  private async buildSpec(spec: EnvironmentSpec, onProgress?: BuildProgress, noCache = false): Promise<void> {
    const tag = `${ENV_REPOSITORY}:${spec.hash}`;
    const sink = onProgress ?? this.options.hooks?.progress;
    const log: string[] = [];
    const progress = (line: string) => {
      log.push(line);
      this.log.info(`environment: ${line}`);
      sink?.(line);
    };
    this.setStatus({ state: 'building', tag, spec });
    const started = Date.now();
    for (const line of describePlan(spec)) progress(line);
    progress(`building ${tag} from ${spec.dir} on ${this.base.tag}${needsNetwork(spec) ? '' : ' (no network: everything comes from wheels/)'}`);
    const buildArgs: Record<string, string> = {};
    const mirror = hostDebianMirror();
    if (spec.apt.length && mirror && mirror !== 'http://deb.debian.org/debian') buildArgs.APT_MIRROR = mirror;
    if (!isOffline(spec)) for (const v of PIP_HOST_VARIABLES) if (process.env[v]) buildArgs[v] = process.env[v]!;
    // Network only while building, and only when something comes from a mirror or an index.
    const networkMode = !needsNetwork(spec) ? 'none' : (await this.docker.networkExists('bridge')) ? undefined : 'host';
    let partial = '';
    try {
      await this.docker.buildImage(
        derivedContext(spec, this.base.tag) as unknown as Readable,
        {
          tag,
          labels: { [MANAGED_LABEL]: 'true', [ENV_LABELS.hash]: spec.hash, [ENV_LABELS.dir]: dirKey(spec.dir), [ENV_LABELS.base]: this.base.tag },
          buildArgs,
          networkMode,
          noCache,
        },
        (event) => {
          partial += event.stream ?? event.status ?? '';
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) progress(line.trimEnd());
        },
      );
    } catch (err) {
      if (partial.trim()) log.push(partial);
      const explained = explainBuildFailure(spec, [...log, errorMessage(err)]);
      const error =
        explained ??
        new InfrastructureError(`Building the sandbox environment from ${spec.dir} failed: ${errorMessage(err)}${lastErrors(log)}`, 'See the build log; Debian\'s mirror (apt.txt) or the pip index (requirements.txt without wheels/) must be reachable from the host while building.', { cause: err });
      this.setStatus({ state: 'failed', tag: this.base.tag, spec, error });
      throw error;
    }
    progress(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    this.setStatus({ state: 'ready', tag, spec });
  }

  /** What a notebook export records (of `tag`, e.g. the thread's own image; default: the image in use without building): the image, its id, the declaring folder and the frozen packages. */
  async record(tag?: string): Promise<NotebookEnvironment> {
    const image = tag ?? (await this.ensureQuietly());
    if (!image) throw new InfrastructureError('The sandbox environment has not been built yet, so its packages are unknown.', 'Run code in the thread first (or build the environment), then export again.');
    const [info, packages] = await Promise.all([this.docker.inspectImage(image), this.freeze(image)]);
    const spec = image === this.tag ? this.spec : undefined;
    return { image, imageId: info?.Id, source: spec?.dir, hash: spec?.hash, packages };
  }

  /** The exact package list of an image (Debian packages and Python distributions), one per line. */
  async freeze(tag?: string): Promise<string[]> {
    const image = tag ?? (await this.ensure());
    const result = await this.docker.runOnce(image, ['python3', '-E', '-s', '-B', '/opt/sandbox/freeze.py'], { [`${LABEL_PREFIX}.role`]: 'freeze' });
    if (result.exitCode !== 0) {
      throw new InfrastructureError(`Listing the packages of ${image} failed (exit ${result.exitCode}): ${result.stderr.toString('utf8').trim().slice(-500)}`, 'Rebuild the image (code-interpreter image build) and retry.');
    }
    return result.stdout.toString('utf8').split('\n').filter(Boolean);
  }
}

/** The build log's last error lines (apt's `E:`, pip's `ERROR:`), for a failure no rule explains. */
function lastErrors(log: string[]): string {
  const errors = log.filter((l) => /^(E|W|ERROR): /.test(l.trim())).slice(-3);
  return errors.length ? ` The build said: ${errors.map((l) => l.trim()).join(' | ')}` : '';
}
