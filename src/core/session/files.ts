import { InputError } from '../errors';
import { LIMITS } from '../policy/limits';
import { DATA_DIR, isUserFile } from '../policy/paths';
import { readSingleFileFromTar, singleFileTar } from '../sandbox/archive';
import { DockerClient } from '../sandbox/docker';
import { QuotaGuard } from './quota';

/** Shapes of the in-container helper's answers (docs/kernel-protocol.md). */
export interface FileEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtime: string;
}

export interface ReadResult {
  path: string;
  offset: number;
  lines: string[];
  eof: boolean;
  totalLines: number | null;
}

export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  truncated: boolean;
}

export interface ResolveResult {
  real: string;
  exists: boolean;
  type: 'file' | 'dir' | 'symlink' | 'other' | null;
}

export interface PdfInfo {
  isPdf: boolean;
  pages: number;
  previewPng?: string;
}

/** The files of a listing the user works with: regular files, not the kernel's saved outputs. */
export function userFiles<E extends FileEntry>(entries: readonly E[]): E[] {
  return entries.filter((e) => e.type === 'file' && isUserFile(e.path));
}

/** A UTF-16 surrogate without its pair: how a non-UTF-8 byte of a file name arrives (Python's surrogateescape). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface FilesDeps {
  docker: DockerClient;
  /** A one-shot helper call (sbx.py's subcommands) in the session's container, over its agent. */
  call<T>(argv: string[]): Promise<T>;
  /** The running container's id (started as needed). */
  container(): Promise<string>;
  quota: QuotaGuard;
  touch(): void;
}

/**
 * The files of a session's /mnt/data. Every path is checked inside the container (realpath, no
 * way out of /mnt/data through a symlink); bytes move through Docker's archive API, never through
 * a host path.
 */
export class SessionFiles {
  constructor(private readonly d: FilesDeps) {}

  /** Bytes in /mnt/data (all files, saved outputs included). */
  usage(): Promise<{ bytes: number; files: number }> {
    return this.d.call(['usage']);
  }

  list(path = '.', max: number = LIMITS.maxListEntries): Promise<{ entries: FileEntry[]; truncated: boolean }> {
    return this.d.call(['list', '--max', String(max), '--', path]);
  }

  read(path: string, offset: number, lines: number): Promise<ReadResult> {
    return this.d.call(['read', '--offset', String(offset), '--lines', String(lines), '--', path]);
  }

  search(pattern: string, opts: { path?: string; glob?: string; max: number }): Promise<SearchResult> {
    const args = ['search', '--max', String(opts.max)];
    if (opts.path) args.push(`--path=${opts.path}`);
    if (opts.glob) args.push(`--glob=${opts.glob}`);
    return this.d.call([...args, '--', pattern]);
  }

  resolve(path: string): Promise<ResolveResult> {
    return this.d.call(['resolve', '--', path]);
  }

  remove(path: string): Promise<unknown> {
    return this.d.call(['rm', '--', path]);
  }

  copy(src: string, dst: string): Promise<unknown> {
    return this.d.call(['copy', '--', src, dst]);
  }

  pdfInfo(path: string): Promise<PdfInfo> {
    return this.d.call(['pdfinfo', '--', path]);
  }

  /** Write bytes to a path in /mnt/data, within the quota. */
  async upload(path: string, data: Buffer): Promise<void> {
    const [where, usage] = await Promise.all([this.resolve(path), this.usage()]);
    if (where.exists && where.type !== 'file') {
      throw new InputError(`'${path}' exists and is a ${where.type}, not a file.`, 'Choose another destination name.');
    }
    const refused = this.d.quota.refuseUpload(data.length, usage.bytes);
    if (refused) throw new InputError(refused.message, refused.fix);
    const containerId = await this.d.container();
    await this.d.docker.putArchive(containerId, DATA_DIR, singleFileTar(path, data));
    // Written from outside the sandbox (where inotify does not see it under gVisor): the agent's
    // view of /mnt/data (sizes for the quota, created or modified for the next report) takes it in.
    await this.d.call(['changed', '--', path]);
    this.d.touch();
  }

  /** Read a file's bytes (at most maxBytes). */
  async download(path: string, maxBytes: number): Promise<Buffer> {
    const containerId = await this.d.container();
    const direct = `${DATA_DIR}/${path}`;
    // Fetch the plain path while the helper resolves it; the bytes are used only if the resolved
    // path is that very file inside /mnt/data (no symlink on the way), else they are dropped.
    const speculative = this.d.docker.getArchive(containerId, direct).then((tar) => readSingleFileFromTar(tar, path, maxBytes));
    speculative.catch(() => undefined);
    const where = await this.resolve(path);
    if (!where.exists) throw new InputError(`'${path}' does not exist in ${DATA_DIR}.`, 'Use listSessionFiles to see what is there.');
    if (where.type !== 'file') throw new InputError(`'${path}' is a ${where.type}, not a file.`);
    if (LONE_SURROGATE.test(where.real)) {
      // The sandbox found it (its name holds bytes that are not UTF-8); Docker's file API cannot name it.
      throw new InputError(`'${path}' cannot be read by name: its name is not valid UTF-8.`, "Rename it inside the sandbox first (e.g. runShellCommand: mv ./bad* renamed.txt), then read it.");
    }
    if (where.real === direct) return speculative;
    const tar = await this.d.docker.getArchive(containerId, where.real);
    return readSingleFileFromTar(tar, path, maxBytes);
  }
}
