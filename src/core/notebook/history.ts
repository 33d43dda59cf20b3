import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExecutionRecord } from './nbformat';

/** Where the CLI, the extension and the MCP server keep state (audit log, history): one place for all. */
export function defaultStateDir(): string {
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'code-interpreter');
}

/**
 * Each thread's executions as JSONL on the host (`<dir>/<threadHash>.jsonl`), so the panel and
 * notebook export keep earlier cells across reloads, and every surface sees the same history.
 * Keeps the newest `keep` records; the file is rewritten when it has grown to twice that.
 */
export class HistoryStore {
  private readonly lines = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly keep: number,
  ) {}

  private file(threadHash: string): string {
    return join(this.dir, `${threadHash}.jsonl`);
  }

  load(threadHash: string): ExecutionRecord[] {
    const file = this.file(threadHash);
    if (!existsSync(file)) return [];
    const records: ExecutionRecord[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as ExecutionRecord);
      } catch {
        // a line cut short by a crash: skip it
      }
    }
    this.lines.set(threadHash, records.length);
    return records.slice(-this.keep);
  }

  append(threadHash: string, record: ExecutionRecord, all: readonly ExecutionRecord[]): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(threadHash);
    const count = (this.lines.get(threadHash) ?? 0) + 1;
    if (count > 2 * this.keep) {
      writeFileSync(file, all.slice(-this.keep).map((r) => JSON.stringify(r) + '\n').join(''), { mode: 0o600 });
      this.lines.set(threadHash, Math.min(all.length, this.keep));
    } else {
      appendFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
      this.lines.set(threadHash, count);
    }
  }

  remove(threadHash: string): void {
    rmSync(this.file(threadHash), { force: true });
    this.lines.delete(threadHash);
  }
}
