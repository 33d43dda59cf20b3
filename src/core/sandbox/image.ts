import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { InfrastructureError } from '../errors';
import { Logger, silentLogger } from '../log';
import { DockerClient, LABEL_PREFIX, MANAGED_LABEL } from './docker';

export const IMAGE_REPOSITORY = 'code-interpreter-sandbox';

/** A line of build progress for the UI or the CLI. */
export type BuildProgress = (line: string) => void;

export interface ImageOptions {
  /** Folder holding the Dockerfile and kernel; found next to the code when not given. */
  contextDir?: string;
  /** Build arguments, e.g. PIP_PACKAGES. */
  buildArgs?: Record<string, string>;
  /** An explicit image to use instead of building ours (a setting). */
  imageOverride?: string;
}

/** Walk up from this module to the folder that holds sandbox-image/Dockerfile. */
export function findSandboxImageDir(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'sandbox-image');
    if (existsSync(join(candidate, 'Dockerfile'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new InfrastructureError('The sandbox-image folder was not found next to the program.', 'Reinstall the extension or run from the repository.');
    }
    dir = parent;
  }
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === '__pycache__' || name.endsWith('.pyc')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out;
}

/** The content hash of the image folder (paths, executable bits, bytes) plus the build args. */
export function hashImageContext(dir: string, buildArgs: Record<string, string> = {}): string {
  const h = createHash('sha256');
  for (const file of listFiles(dir)) {
    const st = statSync(file);
    h.update(relative(dir, file).split('\\').join('/'));
    h.update(st.mode & 0o111 ? 'x' : '-');
    h.update(readFileSync(file));
    h.update('\0');
  }
  for (const key of Object.keys(buildArgs).sort()) h.update(`${key}=${buildArgs[key]}\0`);
  return h.digest('hex').slice(0, 16);
}

/**
 * The same image reference as Docker and Podman spell it: Podman reports a local image as
 * `localhost/name:tag` and a Hub image as `docker.io/library/name:tag` where Docker says `name:tag`.
 */
export function sameImageRef(a: string | undefined, b: string | undefined): boolean {
  const norm = (r: string) => {
    const withTag = /:[^/]+$/.test(r) || r.includes('@') ? r : `${r}:latest`;
    return withTag.replace(/^(localhost|docker\.io)\//, '').replace(/^library\//, '');
  };
  return a !== undefined && b !== undefined && norm(a) === norm(b);
}

/** Where sessions get their image from: the built-in image, or a workspace environment derived from it. */
export interface ImageSource {
  /** The tag the current definition builds to. */
  readonly tag: string;
  /** The tag containers start from, built first when needed. */
  ensure(onProgress?: BuildProgress): Promise<string>;
  /**
   * The tag containers start from if nothing needs approval or a build to get it (the warm pool's
   * view: it never starts a workspace environment's build); undefined otherwise.
   */
  ensureQuietly(): Promise<string | undefined>;
  exists(): Promise<boolean>;
  /** The tag of the last successful ensure, while still current (undefined: call ensure). */
  readonly resolved: string | undefined;
  /** Why containers run on another image than the declared one, when they do. */
  note(): string | undefined;
}

/** Builds the sandbox image once per content hash, so it is rebuilt exactly when it changes. */
export class SandboxImage implements ImageSource {
  private readonly contextDir: string;
  resolved: string | undefined;
  private readonly buildArgs: Record<string, string>;
  readonly tag: string;
  private pending?: Promise<string>;

  constructor(
    private readonly docker: DockerClient,
    private readonly options: ImageOptions = {},
    private readonly log: Logger = silentLogger,
  ) {
    this.contextDir = options.contextDir ?? findSandboxImageDir();
    this.buildArgs = Object.fromEntries(Object.entries(options.buildArgs ?? {}).filter(([, v]) => v !== ''));
    this.tag = options.imageOverride || `${IMAGE_REPOSITORY}:${hashImageContext(this.contextDir, this.buildArgs)}`;
  }

  /** The image tag, building the image first when it does not exist yet. */
  ensure(onProgress?: BuildProgress): Promise<string> {
    this.pending ??= this.ensureOnce(onProgress).then((tag) => (this.resolved = tag)).catch((err) => {
      this.pending = undefined;
      throw err;
    });
    return this.pending;
  }

  async exists(): Promise<boolean> {
    return this.docker.imageExists(this.tag);
  }

  note(): undefined {
    return undefined;
  }

  /** The built-in image needs no approval: built when missing, as for a session. */
  ensureQuietly(): Promise<string> {
    return this.ensure();
  }

  private async ensureOnce(onProgress?: BuildProgress): Promise<string> {
    if (await this.docker.imageExists(this.tag)) return this.tag;
    if (this.options.imageOverride) {
      throw new InfrastructureError(`The configured sandbox image ${this.tag} does not exist.`, 'Build or pull it, or clear the image setting to use the built-in one.');
    }
    await this.build(onProgress);
    return this.tag;
  }

  /** Build (or rebuild) the image, streaming Docker's progress lines. */
  async build(onProgress?: BuildProgress): Promise<void> {
    const started = Date.now();
    const progress = (line: string) => {
      this.log.info(`image: ${line}`);
      onProgress?.(line);
    };
    progress(`building ${this.tag} from ${this.contextDir} (first time: a few minutes)`);
    // Without a default bridge network (rootless or --bridge=none engines) RUN steps need the host network.
    const networkMode = (await this.docker.networkExists('bridge')) ? undefined : 'host';
    const context = pack();
    for (const file of listFiles(this.contextDir)) {
      const st = statSync(file);
      context.entry({ name: relative(this.contextDir, file).split('\\').join('/'), mode: st.mode & 0o777, mtime: new Date(0) }, readFileSync(file));
    }
    context.finalize();
    let partial = '';
    try {
      await this.docker.buildImage(
        context as unknown as Readable,
        {
          tag: this.tag,
          labels: { [MANAGED_LABEL]: 'true', [`${LABEL_PREFIX}.image-hash`]: this.tag.split(':')[1] ?? '' },
          buildArgs: this.buildArgs,
          networkMode,
        },
        (event) => {
          const text = event.stream ?? event.status ?? '';
          partial += text;
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) progress(line.trimEnd());
        },
      );
    } catch (err) {
      throw new InfrastructureError(
        `Building the sandbox image failed: ${(err as Error).message}`,
        'See the build log above; the base image debian:trixie-slim must be available (docker pull debian:trixie-slim) and Debian\'s package mirror reachable during the build.',
        { cause: err },
      );
    }
    progress(`built ${this.tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}
