import { InputError } from '../errors';
import { LIMITS } from './limits';

/** Where session files live inside the container. */
export const DATA_DIR = '/mnt/data';

/**
 * Check a path a caller gave for a session file and return it normalised (relative, POSIX, no
 * `.` parts). Absolute paths and `..` are refused with a message that says what to use instead.
 * This is the syntactic check; the container-side helper also resolves symlinks and refuses any
 * path whose real location is outside /mnt/data.
 */
export function validateSessionPath(input: unknown, opts: { allowRoot?: boolean; what?: string } = {}): string {
  const what = opts.what ?? 'path';
  if (input === undefined || input === null || input === '') {
    if (opts.allowRoot) return '.';
    throw new InputError(`The ${what} is missing.`, `Give a path relative to ${DATA_DIR}, such as 'data.csv'.`);
  }
  if (typeof input !== 'string') {
    throw new InputError(`The ${what} must be a string, not ${typeof input}.`);
  }
  if (input.length > LIMITS.maxPathChars) {
    throw new InputError(`The ${what} is ${input.length} characters long; the limit is ${LIMITS.maxPathChars}.`);
  }
  if (input.includes('\0')) {
    throw new InputError(`The ${what} contains a NUL character.`, 'Remove it.');
  }
  if (input.startsWith('/') || input.startsWith('~') || /^[A-Za-z]:[\\/]/.test(input)) {
    const suggestion = input.startsWith(`${DATA_DIR}/`) ? input.slice(DATA_DIR.length + 1) : 'data.csv';
    throw new InputError(
      `Absolute path '${input}' refused: session paths are relative to ${DATA_DIR}.`,
      `Use a relative path, such as '${suggestion}'.`,
    );
  }
  const parts: string[] = [];
  for (const part of input.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new InputError(
        `Path '${input}' refused: '..' may not be used to leave ${DATA_DIR}.`,
        `Use a path inside ${DATA_DIR}, relative to it, such as 'data.csv'.`,
      );
    }
    parts.push(part);
  }
  if (parts.length === 0) {
    if (opts.allowRoot) return '.';
    throw new InputError(`The ${what} '${input}' names no file.`, `Give a file path relative to ${DATA_DIR}, such as 'data.csv'.`);
  }
  return parts.join('/');
}

/**
 * Where the kernel keeps each execution's whole output (`.outputs/<id>.stdout.txt`, pointed to by a
 * cut result): a model pages through it, the user's file lists leave it out.
 */
export const OUTPUTS_DIR = '.outputs';

/** Whether a session path is the user's (anything but the saved outputs). */
export function isUserFile(path: string): boolean {
  return path !== OUTPUTS_DIR && !path.startsWith(`${OUTPUTS_DIR}/`);
}
