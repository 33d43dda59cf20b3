/**
 * How the CLI ends: with its whole output written, whatever stdout and stderr are (a terminal, a
 * file, a pipe read slowly). process.exit() alone drops what Node still holds for a pipe — past the
 * 64 KiB a Linux pipe buffers, the rest of a JSON outcome was lost, with status 0.
 */

/** A standard stream whose reader went away (`| head`) or whose writes fail: nothing more is sent to it. */
const failed = new WeakSet<NodeJS.WriteStream>();
/** Set when a write failed for another reason than a closed reader (a full disk): the output is incomplete. */
let writeFailure = false;

/**
 * From the start of the process: a reader that closed early (EPIPE) ends the output quietly, as
 * `git log | head` does — no crash trace; another write error (a full disk) is said on stderr and
 * the process ends with status 3 rather than 0: its output is incomplete.
 */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (failed.has(stream)) return;
      failed.add(stream);
      stream.destroy();
      if (err.code === 'EPIPE') return;
      writeFailure = true;
      // Said on stderr only: stdout may be a JSON outcome a program reads.
      if (stream === process.stdout && !failed.has(process.stderr)) process.stderr.write(`code-interpreter: writing to stdout failed: ${err.message}\n`);
    });
  }
}

/** Resolves once everything written to the stream so far has reached the file, pipe or terminal. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (failed.has(stream) || stream.destroyed || stream.writableEnded) return Promise.resolve();
  // An empty write's callback runs after every write queued before it (or with their error).
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Exit with the status once stdout and stderr have drained (3 if a write failed other than by EPIPE). */
export async function exitAfterFlush(status: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(status === 0 && writeFailure ? 3 : status);
}
