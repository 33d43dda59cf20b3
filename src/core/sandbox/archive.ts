import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { InputError } from '../errors';
import { SANDBOX_UID } from './spec';

/**
 * A tar stream holding one file at `name`, owned by the sandbox user — and its parent folders too,
 * or Docker would create missing ones owned by root, where the sandbox's code could not write.
 */
export function singleFileTar(name: string, data: Buffer, mode = 0o644): Readable {
  const tar = pack();
  const parts = name.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    tar.entry({ name: `${parts.slice(0, i).join('/')}/`, type: 'directory', mode: 0o755, uid: SANDBOX_UID, gid: SANDBOX_UID, mtime: new Date() });
  }
  tar.entry({ name, size: data.length, mode, uid: SANDBOX_UID, gid: SANDBOX_UID, mtime: new Date() }, data);
  tar.finalize();
  return tar as unknown as Readable;
}

/** The size field of a tar header: octal text, or base-256 when its high bit is set. */
function tarSize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (field[0] & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  return parseInt(field.toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
}

const TYPE_NAMES: Record<string, string> = { '1': 'hard link', '2': 'symbolic link', '3': 'device', '4': 'device', '5': 'directory', '6': 'FIFO' };

/**
 * Read the single regular file that Docker's getArchive returned, up to maxBytes, copying the bytes
 * once into a buffer of the right size (a minimal reader: headers, PAX/GNU extension records
 * skipped). A symlink or a directory at that path is refused: getArchive never follows the last
 * link, and neither do we.
 */
export async function readSingleFileFromTar(stream: Readable, path: string, maxBytes: number): Promise<Buffer> {
  let header = Buffer.alloc(0);
  let skip = 0; // bytes of an extension record (plus padding) still to drop
  let body: Buffer | undefined;
  let filled = 0;
  try {
    for await (const raw of stream) {
      let chunk = raw as Buffer;
      while (chunk.length > 0) {
        if (body) {
          const n = Math.min(chunk.length, body.length - filled);
          chunk.copy(body, filled, 0, n);
          filled += n;
          chunk = chunk.subarray(n);
          if (filled === body.length) return body;
          continue;
        }
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          continue;
        }
        const need = 512 - header.length;
        header = Buffer.concat([header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
        if (header.length < 512) continue;
        const h = header;
        header = Buffer.alloc(0);
        if (h.every((b) => b === 0)) break; // end of archive
        const type = String.fromCharCode(h[156] || 0x30);
        const size = tarSize(h);
        if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
          skip = Math.ceil(size / 512) * 512;
          continue;
        }
        if (type !== '0' && type !== '7') {
          throw new InputError(`'${path}' is a ${TYPE_NAMES[type] ?? 'special file'}, not a regular file.`, 'Give the path of a regular file in /mnt/data.');
        }
        if (size > maxBytes) throw new InputError(`'${path}' is ${size} bytes; the limit for this operation is ${maxBytes} bytes.`);
        body = Buffer.allocUnsafe(size);
        filled = 0;
        if (size === 0) return body;
      }
    }
  } finally {
    stream.destroy();
  }
  if (body) throw new InputError(`'${path}' could not be read completely from the session (the archive ended early).`);
  throw new InputError(`'${path}' was not found in the session.`);
}
