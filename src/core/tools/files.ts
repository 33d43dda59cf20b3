import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InputError } from '../errors';
import { LIMITS } from '../policy/limits';
import { validateSessionPath } from '../policy/paths';
import { formatBytes, truncateMiddle } from '../policy/truncate';
import { validateInteger, validateString } from '../policy/validate';
import { ToolContext } from './context';
import { runTool } from './base';
import { mimeFromName } from './mime';
import { outcome, ToolOutcome } from './outcome';

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
    const r = await session.readFile(path, offset, lines);
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
    const r = await session.search(pattern, { path, glob, max: LIMITS.maxSearchMatches });
    const lines = r.matches.map((m) => `${m.path}:${m.line}: ${truncateMiddle(m.text.replace(/\r?\n$/, ''), LIMITS.maxMatchLineChars)}`);
    const head = r.matches.length === 0 ? `No matches for /${pattern}/.` : `${r.matches.length} match${r.matches.length === 1 ? '' : 'es'}${r.truncated ? ` (stopped at the limit of ${LIMITS.maxSearchMatches}; narrow the pattern, path or glob)` : ''}:`;
    return outcome('searchSessionFiles', 'ok', [head, ...lines].join('\n'), { data: r });
  });
}

export function listSessionFiles(input: ListInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('listSessionFiles', ctx, undefined, async (session) => {
    const path = validateSessionPath(input?.path, { allowRoot: true });
    const r = await session.listFiles(path, LIMITS.maxListEntries);
    const files = r.entries.filter((e) => e.type !== 'dir');
    const shown = r.entries.slice(0, LIMITS.maxListEntriesShown).map((e) => (e.type === 'dir' ? `${e.path}/` : `${e.path}\t${formatBytes(e.size)}\t${mimeFromName(e.path)}\t${e.mtime}`));
    const total = files.reduce((n, e) => n + e.size, 0);
    const head = r.entries.length === 0 ? `/mnt/data${path === '.' ? '' : '/' + path} is empty.` : `${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) in /mnt/data${path === '.' ? '' : '/' + path}:`;
    const tail = r.truncated || r.entries.length > shown.length ? `[listing cut at ${shown.length} of ${r.entries.length}${r.truncated ? '+' : ''} entries; list a subfolder]` : '';
    return outcome('listSessionFiles', 'ok', [head, ...shown, tail].filter(Boolean).join('\n'), {
      data: r,
      files: files.map((e) => ({ path: e.path, size: e.size, type: mimeFromName(e.path) })),
    });
  });
}

export function getSessionFile(input: GetFileInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('getSessionFile', ctx, undefined, async (session) => {
    const path = validateSessionPath(input?.path);
    const type = mimeFromName(path);
    const limit = ctx.maxUploadBytes ?? LIMITS.defaultMaxUploadBytes;
    const data = await session.download(path, limit);
    const file = { path, size: data.length, type };
    const images = (type === 'image/png' || type === 'image/jpeg') && data.length <= MAX_IMAGE_BYTES ? [{ mimeType: type, data: data.toString('base64'), path } as const] : [];
    if (input?.saveTo === undefined || input.saveTo === '') {
      return outcome('getSessionFile', 'ok', `${path} (${formatBytes(data.length)}, ${type}) is ready for the user.${images.length ? ' The image is attached.' : ''}`, { files: [file], images });
    }
    const target = await ctx.host.resolveWrite(validateString(input.saveTo, 'saveTo', { maxChars: LIMITS.maxPathChars })!);
    if (!input.overwrite && (await exists(target))) {
      throw new InputError(`'${input.saveTo}' already exists; it was not overwritten.`, 'Choose another saveTo name, or ask the user to allow overwriting.');
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
    return outcome('getSessionFile', 'ok', `Saved ${path} (${formatBytes(data.length)}) to ${input.saveTo}.`, {
      files: [{ ...file, change: 'saved', hostPath: target }],
      images,
    });
  });
}

export function uploadFileToSession(input: UploadInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('uploadFileToSession', ctx, undefined, async (session) => {
    const source = validateString(input?.source, 'source', { maxChars: LIMITS.maxPathChars })!;
    const hostPath = await ctx.host.resolveRead(source);
    const destination = validateSessionPath(input?.destination || basename(hostPath), { what: 'destination' });
    let info;
    try {
      info = await stat(hostPath);
    } catch {
      throw new InputError(`'${source}' was not found.`, 'Give the path of an existing file in the workspace.');
    }
    if (!info.isFile()) throw new InputError(`'${source}' is not a regular file.`);
    const limit = ctx.maxUploadBytes ?? LIMITS.defaultMaxUploadBytes;
    if (info.size > limit) {
      throw new InputError(`'${source}' is ${formatBytes(info.size)}; the upload limit is ${formatBytes(limit)}.`, 'Upload a smaller file, or raise the upload limit setting.');
    }
    await session.upload(destination, await readFile(hostPath));
    return outcome('uploadFileToSession', 'ok', `Uploaded ${source} to /mnt/data/${destination} (${formatBytes(info.size)}).`, {
      files: [{ path: destination, size: info.size, type: mimeFromName(destination), change: 'uploaded' }],
    });
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
