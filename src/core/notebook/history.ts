import { randomUUID } from 'node:crypto';
import { FileHandle, link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExecutionRecord } from './nbformat';

/** Where the CLI, the extension and the MCP server keep state (audit log, history): one place for all. */
export function defaultStateDir(): string {
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'code-interpreter');
}

export interface HistoryStoreOptions {
  /** The file is rewritten (keeping the newest `keep` records) once it holds more lines than this; 2 × keep by default. */
  compactAt?: number;
  /** A thread's lock held this long is taken over even if its holder's process still runs (ms). */
  staleLockMs?: number;
}

/** What this process last saw of a thread's file, so an append need not count its lines again. */
interface Seen {
  ino: number;
  size: number;
  lines: number;
}

/**
 * Each thread's executions as JSONL on the host (`<dir>/<threadHash>.jsonl`), so the panel and
 * notebook export keep earlier cells across reloads, and every surface sees the same history.
 *
 * Several processes (CLI, MCP server, VS Code windows) share a thread's file: every read, append
 * and rewrite holds the thread's lock file (`<file>.lock`), so a rewrite (keeping the newest `keep`
 * records, once the file holds more than `compactAt` lines) works from the file as it is under the
 * lock, and no other process's record is lost or repeated. A rewrite goes to a temporary file that
 * is renamed over the old one; a line cut short by a crash is skipped. Within a process, a thread's
 * operations run one after another, in the order they were asked for.
 */
export class HistoryStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly seen = new Map<string, Seen>();
  private readonly compactAt: number;
  private readonly staleLockMs: number;

  constructor(
    readonly dir: string,
    private readonly keep: number,
    options: HistoryStoreOptions = {},
  ) {
    this.compactAt = Math.max(options.compactAt ?? 2 * keep, 1);
    this.staleLockMs = options.staleLockMs ?? 30_000;
  }

  private file(threadHash: string): string {
    return join(this.dir, `${threadHash}.jsonl`);
  }

  /** The thread's newest `keep` records, oldest first. */
  load(threadHash: string): Promise<ExecutionRecord[]> {
    return this.serial(threadHash, async () => {
      const file = this.file(threadHash);
      if (!(await exists(file))) return [];
      return this.locked(threadHash, async () => {
        const text = await readFile(file, 'utf8').catch(ifMissing(''));
        const st = await stat(file).catch(ifMissing(undefined));
        if (st) this.seen.set(threadHash, { ino: st.ino, size: st.size, lines: countNewlines(text) });
        return parseLines(text)
          .slice(-this.keep)
          .map((l) => l.record);
      });
    });
  }

  /** Add a record at the end of the thread's file (rewriting the file when it has grown past compactAt lines). */
  append(threadHash: string, record: ExecutionRecord): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    return this.serial(threadHash, () =>
      this.locked(threadHash, async () => {
        const file = this.file(threadHash);
        const fh = await open(file, 'a+', 0o600); // O_APPEND: every write goes to the end
        let lines: number;
        try {
          const st = await fh.stat();
          lines = await this.lineCount(threadHash, fh, st);
          // A line a crash cut short gets its end, so this record is a line of its own.
          const text = st.size > 0 && !(await endsWithNewline(fh, st.size)) ? '\n' + line : line;
          await fh.appendFile(text);
          lines += text === line ? 1 : 2;
          this.seen.set(threadHash, { ino: st.ino, size: st.size + Buffer.byteLength(text), lines });
        } finally {
          await fh.close();
        }
        if (lines > this.compactAt) await this.compact(threadHash);
      }),
    );
  }

  /** Delete the thread's history (after the appends already asked for). */
  remove(threadHash: string): Promise<void> {
    return this.serial(threadHash, () =>
      this.locked(threadHash, async () => {
        await rm(this.file(threadHash), { force: true });
        this.seen.delete(threadHash);
      }),
    );
  }

  /** Wait for the operations asked for so far (before the process exits). */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  /** Lines in the file, counted from where this process last saw it when it has only grown since. */
  private async lineCount(threadHash: string, fh: FileHandle, st: { ino: number; size: number }): Promise<number> {
    const seen = this.seen.get(threadHash);
    if (seen && seen.ino === st.ino && seen.size === st.size) return seen.lines;
    const grown = seen && seen.ino === st.ino && seen.size < st.size;
    let lines = grown ? seen.lines : 0;
    const buf = Buffer.alloc(64 * 1024);
    for (let pos = grown ? seen.size : 0; pos < st.size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - pos), pos);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) if (buf[i] === 10) lines++;
      pos += bytesRead;
    }
    return lines;
  }

  /** Under the lock: keep the file's newest `keep` whole records, written to a temporary file renamed over it. */
  private async compact(threadHash: string): Promise<void> {
    const file = this.file(threadHash);
    const kept = parseLines(await readFile(file, 'utf8')).slice(-this.keep);
    const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(kept.map((l) => l.text + '\n').join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const st = await stat(file);
    this.seen.set(threadHash, { ino: st.ino, size: st.size, lines: kept.length });
  }

  /** Run fn after the thread's earlier operations in this process have ended. */
  private serial<T>(threadHash: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(threadHash) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.queues.set(threadHash, tail);
    void tail.then(() => {
      if (this.queues.get(threadHash) === tail) this.queues.delete(threadHash);
    });
    return run;
  }

  private async locked<T>(threadHash: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const release = await acquireLock(this.file(threadHash) + '.lock', this.staleLockMs);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}

/**
 * A lock between processes: `lock` created exclusively, holding the holder's pid. A lock whose
 * holder is no longer running, or that is older than staleMs, is taken over: it is first renamed
 * aside and checked to be the one judged stale, so two processes taking over the same lock do not
 * remove each other's new one. Returns the release.
 */
export async function acquireLock(lock: string, staleMs: number): Promise<() => Promise<void>> {
  const token = `${process.pid} ${Date.now()} ${randomUUID()}`;
  for (let wait = 1; ; wait = Math.min(wait * 2, 10)) {
    try {
      await writeFile(lock, token, { flag: 'wx', mode: 0o600 });
      return async () => {
        // Only our own lock is removed (it may have been taken over while this process was stalled).
        if ((await readFile(lock, 'utf8').catch(ifMissing(''))) === token) await rm(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readFile(lock, 'utf8').catch(ifMissing(undefined));
    const since = await stat(lock).then((s) => s.mtimeMs, ifMissing(undefined));
    if (held === undefined || since === undefined) continue; // released meanwhile
    const pid = Number(held.split(' ')[0]);
    if ((pid > 0 && !running(pid)) || Date.now() - since > staleMs) {
      const aside = `${lock}.${randomUUID().slice(0, 8)}.stale`;
      if (await rename(lock, aside).then(() => true, ifMissing(false))) {
        // Another process took the lock over first and holds it now: put its lock back.
        if ((await readFile(aside, 'utf8')) !== held) await link(aside, lock).catch(() => undefined);
        await rm(aside, { force: true });
      }
      continue;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLines(text: string): { text: string; record: ExecutionRecord }[] {
  const out: { text: string; record: ExecutionRecord }[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push({ text: line, record: JSON.parse(line) as ExecutionRecord });
    } catch {
      // a line cut short by a crash: skip it
    }
  }
  return out;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function endsWithNewline(fh: FileHandle, size: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0] === 10;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, ifMissing(false));
}

/** A catch handler: `value` when the file is not there, the error otherwise. */
function ifMissing<T>(value: T): (err: unknown) => T {
  return (err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return value;
    throw err;
  };
}
