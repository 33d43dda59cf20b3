/**
 * What the UI knows about sessions: the ones Docker reports (manager.list()), the ones this window
 * uses, their titles, and which one is active (the panel's and the commands' session). The core's
 * SessionManager has no "changed" event, so this model listens to each Session it hands out and
 * re-lists Docker on demand.
 */
import * as vscode from 'vscode';
import { threadHash, type ExecutionRecord, type ExecutionStart, type Logger, type Output, type Session, type SessionManager, type SessionSummary } from '../core';
import { defaultThreadKey, describeThreadKey } from './threads';

export interface SessionInfo {
  threadKey: string;
  threadHash: string;
  title: string;
  state: SessionSummary['state'] | 'new';
  busy: boolean;
  /** The image its container runs (sessions this window started or used). */
  image?: string;
  /** The runtime its container runs under (runsc: gVisor), as Docker's labels say. */
  runtime?: string;
}

export type SessionEvent =
  | { type: 'execution-start'; threadKey: string; execution: ExecutionStart }
  | { type: 'output'; threadKey: string; id: string; output: Output }
  | { type: 'execution-end'; threadKey: string; record: ExecutionRecord }
  | { type: 'busy'; threadKey: string; busy: boolean }
  | { type: 'deleted'; threadKey: string };

const TITLES_KEY = 'codeInterpreter.sessionTitles';
const ACTIVE_KEY = 'codeInterpreter.activeSession';

export class SessionsModel implements vscode.Disposable {
  private readonly watched = new WeakSet<Session>();
  private readonly detachers: (() => void)[] = [];
  private summaries: SessionSummary[] = [];
  private readonly _onDidChangeSessions = new vscode.EventEmitter<void>();
  private readonly _onDidChangeActive = new vscode.EventEmitter<string>();
  private readonly _onSessionEvent = new vscode.EventEmitter<SessionEvent>();
  /** The list of sessions (or a session's state) changed. */
  readonly onDidChangeSessions = this._onDidChangeSessions.event;
  readonly onDidChangeActive = this._onDidChangeActive.event;
  /** Live execution events from every session this window uses. */
  readonly onSessionEvent = this._onSessionEvent.event;
  private activeKey: string;
  private listing?: Promise<SessionSummary[]>;

  constructor(
    readonly manager: SessionManager,
    private readonly memento: vscode.Memento,
    private readonly log: Logger,
  ) {
    this.activeKey = memento.get<string>(ACTIVE_KEY) ?? defaultThreadKey();
    // Every session of this process is watched, however it was created (a tool call, a command).
    const onAdded = (s: Session) => this.watch(s);
    manager.on('session-added', onAdded);
    this.detachers.push(() => manager.off('session-added', onAdded));
    for (const s of manager.active) this.watch(s);
  }

  /** The thread's Session. */
  session(threadKey: string): Session {
    return this.manager.session(threadKey);
  }

  private watch(s: Session): void {
    if (this.watched.has(s)) return;
    this.watched.add(s);
    const threadKey = s.threadKey;
    const fire = (e: SessionEvent) => this._onSessionEvent.fire(e);
    const onStart = (execution: ExecutionStart) => fire({ type: 'execution-start', threadKey, execution });
    const onOutput = (id: string, output: Output) => fire({ type: 'output', threadKey, id, output });
    const onEnd = (record: ExecutionRecord) => fire({ type: 'execution-end', threadKey, record });
    const onBusy = (busy: boolean) => {
      fire({ type: 'busy', threadKey, busy });
      this._onDidChangeSessions.fire();
    };
    const onKernel = () => void this.refresh();
    const onDeleted = () => {
      this.watched.delete(s);
      detach();
      fire({ type: 'deleted', threadKey });
      void this.refresh();
    };
    s.on('execution-start', onStart).on('output', onOutput).on('execution-end', onEnd).on('busy', onBusy).on('kernel', onKernel).on('deleted', onDeleted);
    const detach = () => {
      s.off('execution-start', onStart).off('output', onOutput).off('execution-end', onEnd).off('busy', onBusy).off('kernel', onKernel).off('deleted', onDeleted);
    };
    this.detachers.push(detach);
  }

  get active(): string {
    return this.activeKey;
  }

  setActive(threadKey: string): void {
    if (threadKey === this.activeKey) return;
    this.activeKey = threadKey;
    void this.memento.update(ACTIVE_KEY, threadKey);
    this._onDidChangeActive.fire(threadKey);
    this._onDidChangeSessions.fire();
  }

  title(threadKey: string): string {
    return this.memento.get<Record<string, string>>(TITLES_KEY, {})[threadKey] ?? describeThreadKey(threadKey);
  }

  /** Name a thread (the first prompt of a chat, the name a user gave). Never overwrites a name. */
  async setTitle(threadKey: string, title: string, overwrite = false): Promise<void> {
    const titles = { ...this.memento.get<Record<string, string>>(TITLES_KEY, {}) };
    if (titles[threadKey] && !overwrite) return;
    const clean = title.replace(/\s+/g, ' ').trim();
    titles[threadKey] = clean.length > 60 ? `${clean.slice(0, 59)}…` : clean;
    await this.memento.update(TITLES_KEY, titles);
    this._onDidChangeSessions.fire();
  }

  /** Ask Docker again (coalesces concurrent calls). */
  refresh(): Promise<SessionSummary[]> {
    this.listing ??= this.manager
      .list()
      .then((list) => {
        this.summaries = list;
        return list;
      })
      .catch((err) => {
        this.log.debug(`listing sessions failed: ${(err as Error).message}`);
        return this.summaries;
      })
      .finally(() => {
        this.listing = undefined;
        this._onDidChangeSessions.fire();
      });
    return this.listing;
  }

  /** Sessions known now: Docker's, those this window holds, and the active one. */
  list(): SessionInfo[] {
    const byKey = new Map<string, SessionInfo>();
    for (const s of this.summaries) {
      if (!s.threadKey) continue;
      byKey.set(s.threadKey, { threadKey: s.threadKey, threadHash: s.threadHash, title: this.title(s.threadKey), state: s.state, busy: false, runtime: s.runtime });
    }
    for (const s of this.manager.active) {
      const info = byKey.get(s.threadKey) ?? { threadKey: s.threadKey, threadHash: s.names.threadHash, title: this.title(s.threadKey), state: s.state === 'running' ? 'running' : 'new', busy: false };
      if (s.state === 'running') info.state = 'running';
      else if (s.state === 'stopped' && info.state === 'running') info.state = 'stopped';
      info.busy = s.busy;
      info.image = s.image;
      byKey.set(s.threadKey, info);
    }
    if (!byKey.has(this.activeKey)) {
      byKey.set(this.activeKey, { threadKey: this.activeKey, threadHash: threadHash(this.activeKey), title: this.title(this.activeKey), state: 'new', busy: false });
    }
    return [...byKey.values()];
  }

  /** The thread key of a thread hash (as used in `sandbox-session://<hash>/…` and the webview). */
  keyOfHash(hash: string): string | undefined {
    for (const s of this.manager.active) if (s.names.threadHash === hash) return s.threadKey;
    for (const s of this.summaries) if (s.threadHash === hash && s.threadKey) return s.threadKey;
    if (threadHash(this.activeKey) === hash) return this.activeKey;
    return undefined;
  }

  /** Thread hash → key, asking Docker when this window has not seen the session yet. */
  async resolveHash(hash: string): Promise<string | undefined> {
    return this.keyOfHash(hash) ?? (await this.refresh(), this.keyOfHash(hash));
  }

  /** The thread's executions (read from its history file when not in memory). */
  history(threadKey: string): Promise<ExecutionRecord[]> {
    return this.session(threadKey).readHistory();
  }

  dispose(): void {
    for (const d of this.detachers) d();
    this._onDidChangeSessions.dispose();
    this._onDidChangeActive.dispose();
    this._onSessionEvent.dispose();
  }
}

export function sessionUri(hash: string, path = ''): vscode.Uri {
  return vscode.Uri.from({ scheme: 'sandbox-session', authority: hash, path: '/' + path.replace(/^\/+/, '') });
}

export { threadHash };
