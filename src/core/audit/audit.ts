import { createHash } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One line of the audit log: what ran, for whom, with what result. */
export interface AuditEntry {
  time: string;
  thread: string;
  session: string;
  tool: string;
  caller: string;
  /** The code or command, or its sha256 when the log keeps hashes only. */
  code?: string;
  codeSha256?: string;
  status: string;
  durationMs: number;
  outputBytes: { stdout: number; stderr: number; other: number };
  filesWritten: string[];
  error?: string;
  /** The runtime (runsc: gVisor) and image the thread's container ran on. */
  runtime?: string;
  image?: string;
}

export type AuditCodeMode = 'code' | 'hash';

/** Append-only JSONL audit log in a folder the caller chooses. */
export class AuditLog {
  readonly file: string;
  private ready?: Promise<unknown>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly codeMode: AuditCodeMode = 'code',
  ) {
    this.file = join(dir, 'audit.jsonl');
  }

  /** Append one entry; entries are written in call order. */
  append(entry: Omit<AuditEntry, 'code' | 'codeSha256'> & { code?: string }): Promise<void> {
    const { code, ...rest } = entry;
    const line: AuditEntry = { ...rest };
    if (code !== undefined) {
      line.codeSha256 = createHash('sha256').update(code).digest('hex');
      if (this.codeMode === 'code') line.code = code;
    }
    // In call order; a failed write fails its own entry only: the next one tries again (the folder
    // included), so one full disk or removed folder never silences the log for the rest of the run.
    const written = this.chain.then(async () => {
      this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
      try {
        await this.ready;
        await appendFile(this.file, JSON.stringify(line) + '\n', { mode: 0o600 });
      } catch (err) {
        this.ready = undefined;
        throw err;
      }
    });
    this.chain = written.catch(() => undefined);
    return written;
  }
}
