import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InputError } from '../errors';
import { LIMITS } from '../policy/limits';
import { validateSessionPath } from '../policy/paths';
import { formatBytes, nameForModel, truncateMiddle } from '../policy/truncate';
import { validateInteger, validateString } from '../policy/validate';
import { ToolContext } from './context';
import { outcomeOfError, runTool } from './base';
import { filesReport } from './filesReport';
import { mimeFromName } from './mime';
import { outcome, ToolFile, ToolImage, ToolOutcome } from './outcome';
import { Session } from '../session/session';

export interface ReadFileInput {
  path: string;
  offset?: number;
  lines?: number;
}
export interface SearchInput {
  pattern: string;
  path?: string;
  glob?: string;
}
export interface ListInput {
  path?: string;
}
export interface GetFileInput {
  path: string;
  saveTo?: string;
  /** Replace an existing host file (never by default). */
  overwrite?: boolean;
}
export interface UploadInput {
  source: string;
  destination?: string;
}

/** Images small enough to hand to a vision model with getSessionFile. */
const MAX_IMAGE_BYTES = LIMITS.maxImageBytes;

export function readSessionFile(input: ReadFileInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('readSessionFile', ctx, undefined, async (session) => {
    const path = validateSessionPath(input?.path);
    const offset = validateInteger(input?.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
    const lines = validateInteger(input?.lines, 'lines', 1, LIMITS.maxReadLines, LIMITS.defaultReadLines);
    const r = await session.files.read(path, offset, lines);
    const first = r.offset + 1;
    const last = r.offset + r.lines.length;
    const of = r.totalLines !== null ? ` of ${r.totalLines.toLocaleString('en-US')}` : '';
    const header = r.lines.length ? `${path}: lines ${first}–${last}${of}` : `${path}: no lines at offset ${r.offset}${of}`;
    const more = r.eof ? '(end of file)' : `[more: call again with offset ${last}]`;
    const body = truncateMiddle(r.lines.join('\n'), LIMITS.maxReadChars);
    return outcome('readSessionFile', 'ok', `${header}\n${body}\n${more}`, { data: r });
  });
}

export function searchSessionFiles(input: SearchInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('searchSessionFiles', ctx, undefined, async (session) => {
    const pattern = validateString(input?.pattern, 'pattern', { maxChars: LIMITS.maxPatternChars })!;
    const path = input?.path ? validateSessionPath(input.path, { allowRoot: true }) : undefined;
    const glob = validateString(input?.glob, 'glob', { optional: true, maxChars: LIMITS.maxGlobChars });
    const r = await session.files.search(pattern, { path, glob, max: LIMITS.maxSearchMatches });
    const lines = fitLines(r.matches.map((m) => `${nameForModel(m.path, LIMITS.maxPathChars)}:${m.line}: ${truncateMiddle(m.text.replace(/\r?\n$/, ''), LIMITS.maxMatchLineChars)}`));
    const head = r.matches.length === 0 ? `No matches for /${pattern}/.` : `${r.matches.length} match${r.matches.length === 1 ? '' : 'es'}${r.truncated ? ` (stopped at the limit of ${LIMITS.maxSearchMatches}; narrow the pattern, path or glob)` : ''}:`;
    const cut = lines.length < r.matches.length ? `[${r.matches.length - lines.length} more matches not shown here; narrow the pattern, path or glob]` : '';
    return outcome('searchSessionFiles', 'ok', [head, ...lines, cut].filter(Boolean).join('\n'), { data: r });
  });
}

export function listSessionFiles(input: ListInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('listSessionFiles', ctx, undefined, async (session) => {
    const path = validateSessionPath(input?.path, { allowRoot: true });
    const r = await session.files.list(path, LIMITS.maxListEntries);
    const files = r.entries.filter((e) => e.type !== 'dir');
    const shown = fitLines(
      r.entries.slice(0, LIMITS.maxListEntriesShown).map((e) => {
        const name = nameForModel(e.path, LIMITS.maxPathChars);
        return e.type === 'dir' ? `${name}/` : `${name}\t${formatBytes(e.size)}\t${mimeFromName(e.path)}\t${e.mtime}`;
      }),
    );
    const total = files.reduce((n, e) => n + e.size, 0);
    const head = r.entries.length === 0 ? `/mnt/data${path === '.' ? '' : '/' + path} is empty.` : `${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) in /mnt/data${path === '.' ? '' : '/' + path}:`;
    const tail = r.truncated || r.entries.length > shown.length ? `[listing cut at ${shown.length} of ${r.entries.length}${r.truncated ? '+' : ''} entries; list a subfolder]` : '';
    return outcome('listSessionFiles', 'ok', [head, ...shown, tail].filter(Boolean).join('\n'), {
      data: r,
      files: files.map((e) => ({ path: e.path, size: e.size, type: mimeFromName(e.path) })),
    });
  });
}

/** The first lines that fit in LIMITS.maxListingChars together (a listing's or a search's rows). */
function fitLines(lines: readonly string[]): string[] {
  let used = 0;
  const out: string[] = [];
  for (const line of lines) {
    used += line.length + 1;
    if (used > LIMITS.maxListingChars) break;
    out.push(line);
  }
  return out;
}

export function getSessionFile(input: GetFileInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('getSessionFile', ctx, undefined, async (session) => {
    const file = await fetchFile(session, input?.path, ctx);
    if (input?.saveTo === undefined || input.saveTo === '') {
      return outcome('getSessionFile', 'ok', `${file.path} (${formatBytes(file.data.length)}, ${file.type}) is ready for the user.${file.images.length ? ' The image is attached.' : ''}`, {
        files: [file.entry],
        images: file.images,
      });
    }
    const saveTo = validateString(input.saveTo, 'saveTo', { maxChars: LIMITS.maxPathChars })!;
    const target = await ctx.host.resolveWrite(saveTo);
    if (!input.overwrite && (await exists(target))) {
      throw new InputError(`'${input.saveTo}' already exists; it was not overwritten.`, 'Choose another saveTo name, or ask the user to allow overwriting.');
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data);
    return saved(file, { label: saveTo, hostPath: target });
  });
}

/** Where the adapter put a file the user saved: a name to show, and the host path or URI for the audit. */
export interface SavedAt {
  label: string;
  hostPath: string;
}

/**
 * A session file the user saves where they chose (a Save As dialog): the adapter writes the bytes
 * through its own file system and says where. Audited as getSessionFile, like a model's saveTo.
 */
export function saveSessionFile(input: { path: string }, write: (data: Buffer) => Promise<SavedAt>, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('getSessionFile', ctx, undefined, async (session) => {
    const file = await fetchFile(session, input?.path, ctx);
    return saved(file, await write(file.data));
  });
}

interface FetchedFile {
  path: string;
  type: string;
  data: Buffer;
  entry: ToolFile;
  images: ToolImage[];
}

/** The one read of a session file for the host (up to the upload limit), with its image part when it is one. */
async function fetchFile(session: Session, rawPath: unknown, ctx: ToolContext): Promise<FetchedFile> {
  const path = validateSessionPath(rawPath);
  const type = mimeFromName(path);
  const data = await session.files.download(path, ctx.maxUploadBytes ?? LIMITS.defaultMaxUploadBytes);
  const images = (type === 'image/png' || type === 'image/jpeg') && data.length <= MAX_IMAGE_BYTES ? [{ mimeType: type, data: data.toString('base64'), path } as const] : [];
  return { path, type, data, entry: { path, size: data.length, type }, images };
}

function saved(file: FetchedFile, at: SavedAt): ToolOutcome {
  return outcome('getSessionFile', 'ok', `Saved ${file.path} (${formatBytes(file.data.length)}) to ${at.label}.`, {
    files: [{ ...file.entry, change: 'saved', hostPath: at.hostPath }],
    images: file.images,
  });
}

/**
 * A file the user handed over (picked, dropped, attached to a chat request): the adapter reads it
 * through its own file system, and the user's choice is the consent.
 */
export interface UploadSource {
  /** Its name on the host: the destination in /mnt/data (a `/` or `\` in it becomes `_`). */
  name: string;
  /** Its size when known before reading: a file over the limit is then never read. */
  size?: number;
  read(): PromiseLike<Uint8Array>;
  /** Where it came from (a host path or URI) for the outcome's text; default: the name. */
  from?: string;
}

/** What an upload over the limit reports in `data` (a UI says it its own way). */
export interface UploadTooLarge {
  tooLarge: { size: number; limit: number };
}

/** The size and limit of an upload refused for its size, if that is why it was refused. */
export function uploadTooLarge(o: ToolOutcome): UploadTooLarge['tooLarge'] | undefined {
  const data = o.data as Partial<UploadTooLarge> | undefined;
  return o.status === 'rejected' && data?.tooLarge ? data.tooLarge : undefined;
}

export function uploadFileToSession(input: UploadInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('uploadFileToSession', ctx, undefined, async (session) => {
    const source = validateString(input?.source, 'source', { maxChars: LIMITS.maxPathChars })!;
    const hostPath = await ctx.host.resolveRead(source);
    const destination = destinationOf(basename(hostPath), input?.destination);
    let info;
    try {
      info = await stat(hostPath);
    } catch (err) {
      throw new InputError(`'${source}' was not found.`, 'Give the path of an existing file in the workspace.', { cause: err });
    }
    if (!info.isFile()) throw new InputError(`'${source}' is not a regular file.`);
    return store(session, destination, { name: basename(hostPath), size: info.size, read: () => readFile(hostPath), from: source }, ctx);
  });
}

/** Upload a file the user handed over into the thread's /mnt/data, audited as uploadFileToSession. */
export function uploadFile(source: UploadSource, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('uploadFileToSession', ctx, undefined, (session) => store(session, destinationOf(source.name), source, ctx));
}

/** What attachFiles did with each file it was handed (a second file of the same name is left out). */
export interface Attached {
  uploads: { source: UploadSource; outcome: ToolOutcome }[];
  /** What the model is told arrived in /mnt/data, when anything did. */
  note?: string;
}

/**
 * Files the user attached to a request (or picked, or dropped), uploaded into the thread's
 * /mnt/data: one audited upload each, a second file of the same name skipped. `onFile` hears of
 * each before it is read.
 */
export async function attachFiles(sources: readonly UploadSource[], ctx: ToolContext, onFile?: (source: UploadSource) => void): Promise<Attached> {
  const seen = new Set<string>();
  const uploads: Attached['uploads'] = [];
  for (const source of sources) {
    if (ctx.signal?.aborted) break;
    if (seen.has(source.name)) continue;
    seen.add(source.name);
    onFile?.(source);
    uploads.push({ source, outcome: await uploadFile(source, ctx) });
  }
  const uploaded = uploads.flatMap((u) => (u.outcome.status === 'ok' ? u.outcome.files : []));
  // Bounded like every file report: a few named, the rest counted by folder.
  const note = uploaded.length ? `(${filesReport(uploaded, { heading: 'Attached and uploaded to /mnt/data: ', detail: 'size' }).text})` : undefined;
  return { uploads, note };
}

function destinationOf(name: string, destination?: string): string {
  return validateSessionPath(destination || name.replace(/[\\/]/g, '_'), { what: 'destination' });
}

/** The one write of host bytes into a session: the upload limit, then Docker's archive API. */
async function store(session: Session, destination: string, source: UploadSource, ctx: ToolContext): Promise<ToolOutcome> {
  const limit = ctx.maxUploadBytes ?? LIMITS.defaultMaxUploadBytes;
  const from = source.from ?? source.name;
  const tooLarge = (size: number) =>
    outcomeOfError('uploadFileToSession', new InputError(`'${from}' is ${formatBytes(size)}; the upload limit is ${formatBytes(limit)}.`, 'Upload a smaller file, or raise the upload limit setting.'), {
      data: { tooLarge: { size, limit } } satisfies UploadTooLarge,
    });
  if (source.size !== undefined && source.size > limit) return tooLarge(source.size);
  const data = await source.read();
  if (data.byteLength > limit) return tooLarge(data.byteLength);
  await session.files.upload(destination, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return outcome('uploadFileToSession', 'ok', `Uploaded ${from} to /mnt/data/${destination} (${formatBytes(data.byteLength)}).`, {
    files: [{ path: destination, size: data.byteLength, type: mimeFromName(destination), change: 'uploaded' }],
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
