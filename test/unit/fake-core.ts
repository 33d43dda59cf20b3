/**
 * A SessionManager and Sessions without Docker for the src/vscode unit tests: the core's tools,
 * audit and outcome shaping run for real on top of them. A session keeps its /mnt/data in a map and
 * answers Python with a canned execution (stdout, optionally a chart and a created file).
 */
import { EventEmitter } from 'node:events';
import type { ExecutionRecord, Output, Session, SessionManager } from '../../src/core';
import { InputError, sessionNames, silentLogger } from '../../src/core';
import type { ExecutionResult } from '../../src/core/session/session';

/** The 8-byte PNG signature and a little more: what isImageData takes for a picture. */
export const PNG_BASE64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

export class FakeSession extends EventEmitter {
  readonly names;
  id = 'container-1';
  image = 'code-interpreter-sandbox:test';
  state = 'running';
  busy = false;
  history: ExecutionRecord[] = [];
  async readHistory(): Promise<ExecutionRecord[]> {
    return [...this.history];
  }
  /** The session's /mnt/data: path → bytes. */
  readonly stored = new Map<string, Buffer>();
  /** The files layer the adapters use (Session.files). */
  readonly files = {
    upload: async (path: string, data: Buffer) => void this.stored.set(path, Buffer.from(data)),
    download: async (path: string, maxBytes: number) => this.download(path, maxBytes),
    list: async () => this.listFiles(),
  };
  readonly ran: { kind: 'python' | 'shell'; code: string; timeoutMs: number; aborted: () => boolean }[] = [];
  /** What the next executions produce besides stdout. */
  chart = false;
  creates?: string | string[];
  restarted = 0;

  constructor(readonly threadKey: string) {
    super();
    this.names = sessionNames(threadKey);
  }

  private execute(kind: 'python' | 'shell', code: string, opts: { timeoutMs: number; signal?: AbortSignal }): ExecutionResult {
    this.ran.push({ kind, code, timeoutMs: opts.timeoutMs, aborted: () => opts.signal?.aborted ?? false });
    const outputs: Output[] = [{ output_type: 'stream', name: 'stdout', text: `ran ${this.ran.length}\n` }];
    if (this.chart) outputs.push({ output_type: 'display_data', data: { 'image/png': PNG_BASE64, 'text/plain': '<Figure>' }, metadata: {} });
    const created = this.creates === undefined ? [] : typeof this.creates === 'string' ? [this.creates] : this.creates;
    const files = created.map((path) => ({ path, size: 3, mtime: '2025-01-01T00:00:00', change: 'created' as const, type: 'text/csv' }));
    for (const path of created) this.stored.set(path, Buffer.from('a,b'));
    const record: ExecutionRecord = { id: `e${this.ran.length}`, session: this.id, kind, code, started: '2025-01-01T00:00:00Z', durationMs: 5, status: 'ok', outputs, files };
    this.history.push(record);
    return { record, notes: [], streams: {}, gaps: {} };
  }

  async runPython(code: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecutionResult> {
    return this.execute('python', code, opts);
  }

  async runShell(code: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecutionResult> {
    return this.execute('shell', code, opts);
  }

  private async download(path: string, maxBytes: number): Promise<Buffer> {
    const data = this.stored.get(path);
    if (!data) throw new InputError(`'${path}' does not exist in /mnt/data.`);
    if (data.length > maxBytes) throw new InputError(`'${path}' is too large.`);
    return data;
  }

  private async listFiles(): Promise<{ entries: { path: string; type: 'file' | 'dir'; size: number; mtime: string }[]; truncated: boolean }> {
    const entries = [...this.stored].map(([path, data]) => ({ path, type: 'file' as const, size: data.length, mtime: '2025-01-01T00:00:00.123456' }));
    return { entries, truncated: false };
  }

  async restartKernel(): Promise<void> {
    this.restarted++;
  }
}

export class FakeManager extends EventEmitter {
  readonly sessions = new Map<string, FakeSession>();
  readonly log = silentLogger;

  session(threadKey: string): FakeSession {
    let s = this.sessions.get(threadKey);
    if (!s) {
      this.sessions.set(threadKey, (s = new FakeSession(threadKey)));
      this.emit('session-added', s);
    }
    return s;
  }

  get active(): FakeSession[] {
    return [...this.sessions.values()];
  }

  async list(): Promise<[]> {
    return [];
  }

  async runtime(): Promise<{ name: string }> {
    return { name: 'runc' };
  }

  /** As the real type, for the code under test. */
  asManager(): SessionManager {
    return this as unknown as SessionManager;
  }
}

/** The session a FakeManager hands out, as the real type (for code that takes a Session). */
export const asSession = (s: FakeSession): Session => s as unknown as Session;

/** A Memento in memory. */
export function memento(): { get<T>(key: string, fallback?: T): T | undefined; update(key: string, value: unknown): Promise<void>; keys(): string[] } {
  const values = new Map<string, unknown>();
  return {
    get: <T>(key: string, fallback?: T) => (values.has(key) ? (values.get(key) as T) : fallback),
    update: async (key, value) => void values.set(key, value),
    keys: () => [...values.keys()],
  };
}
