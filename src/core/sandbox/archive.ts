import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { InputError } from '../errors';

/** A tar stream holding one file at `name`, owned by the sandbox user. */
export function singleFileTar(name: string, data: Buffer, mode = 0o644): Readable {
  const tar = pack();
  tar.entry({ name, size: data.length, mode, uid: 1000, gid: 1000, mtime: new Date() }, data);
  tar.finalize();
  return tar as unknown as Readable;
}

/**
 * Read the single regular file that Docker's getArchive returned, up to maxBytes. A symlink or a
 * directory at that path is refused (getArchive never follows the last link, and we never do).
 */
export async function readSingleFileFromTar(stream: Readable, path: string, maxBytes: number): Promise<Buffer> {
  const ex = extract();
  let result: Buffer | undefined;
  let problem: Error | undefined;
  ex.on('entry', (header, body, next) => {
    if (result !== undefined || problem) {
      body.resume();
      body.on('end', next);
      return;
    }
    if (header.type !== 'file') {
      problem = new InputError(`'${path}' is a ${header.type === 'symlink' ? 'symbolic link' : header.type}, not a regular file.`, 'Give the path of a regular file in /mnt/data.');
      body.resume();
      body.on('end', next);
      return;
    }
    if ((header.size ?? 0) > maxBytes) {
      problem = new InputError(`'${path}' is ${header.size} bytes; the limit for this operation is ${maxBytes} bytes.`);
      body.resume();
      body.on('end', next);
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      result = Buffer.concat(chunks);
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
    stream.pipe(ex);
  });
  if (problem) throw problem;
  if (result === undefined) throw new InputError(`'${path}' was not found in the session.`);
  return result;
}
