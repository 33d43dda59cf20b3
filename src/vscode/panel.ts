/**
 * The output panel: a webview that renders the active session's executions as cells, live. The
 * page runs under a nonce CSP with localResourceRoots limited to dist/ and media/; the host waits
 * for its 'ready' before posting, and validates every message it sends back.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type ExecutionRecord, isUserFile, type Logger, resourceMeters } from '../core';
import { HostMessage, PanelCell, PanelOutput, PanelSession, parseWebviewMessage, WebviewMessage } from '../../webview/protocol';
import type { ResourceWatch } from './resources';
import { SessionEvent, SessionsModel } from './sessions';

export const PANEL_VIEW_TYPE = 'codeInterpreter.outputPanel';

/** An execution as the panel shows it (the kernel's saved outputs are not among its files). */
export function toPanelCell(r: ExecutionRecord): PanelCell {
  return { id: r.id, kind: r.kind, code: r.code, started: r.started, durationMs: r.durationMs, status: r.status, outputs: r.outputs, files: r.files.filter((f) => isUserFile(f.path)) };
}

/** How long live outputs wait to be posted together. */
const OUTPUT_BATCH_MS = 40;

export interface PanelActions {
  openFile(hash: string, path: string): Promise<void>;
  restartKernel(threadKey: string): Promise<void>;
  exportNotebook(threadKey: string): Promise<void>;
}

export class OutputPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private panelDisposables: vscode.Disposable[] = [];
  /** Executions in progress, per thread, so a re-render shows them too. */
  private readonly running = new Map<string, Map<string, PanelCell>>();
  private pendingReveal?: string;
  private sessionsTimer?: NodeJS.Timeout;
  /**
   * Live outputs not yet posted, for one cell: a cell may print thousands, and one message each
   * costs the workbench (which relays every message to the webview) in time with their number.
   */
  private outbox?: { session: string; cell: string; outputs: PanelOutput[] };
  private outboxTimer?: NodeJS.Timeout;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: SessionsModel,
    private readonly actions: PanelActions,
    private readonly log: Logger,
    private readonly resources?: ResourceWatch,
  ) {
    this.disposables.push(
      ...(resources ? [resources.onDidChange((key) => key === model.active && this.postResources())] : []),
      model.onSessionEvent((e) => this.onSessionEvent(e)),
      model.onDidChangeSessions(() => this.scheduleSessions()),
      model.onDidChangeActive(() => this.postAll()),
    );
  }

  /** The serializer that brings the panel back after a reload. */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel) => {
        this.attach(panel);
      },
    };
  }

  show(opts: { threadHash?: string; execution?: string; preserveFocus?: boolean } = {}): void {
    if (opts.threadHash) {
      const key = this.model.keyOfHash(opts.threadHash);
      if (key) this.model.setActive(key);
    }
    this.pendingReveal = opts.execution;
    if (this.panel) {
      this.panel.reveal(undefined, opts.preserveFocus);
      if (this.ready) this.postAll();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, vscode.l10n.t('Code Interpreter'), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: opts.preserveFocus ?? false }, this.options());
    this.attach(panel);
  }

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html(panel.webview);
    this.panelDisposables = [
      panel.webview.onDidReceiveMessage((raw) => void this.onMessage(raw)),
      // The active session's figures are read while the panel is visible, not otherwise.
      panel.onDidChangeViewState(() => this.watchResources()),
      { dispose: () => this.resources?.setInterest('output panel', undefined) },
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
      }),
    ];
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    // No 'unsafe-eval' and no inline style: plotly.js (dist/plotly.min.js, its strict bundle, which the
    // page loads with this nonce when it shows a Plotly figure) needs neither (webview/plotly.ts).
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      "connect-src 'none'",
      "frame-src 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('dist', 'codicons', 'codicon.css')}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${asset('media', 'panel.css')}" nonce="${nonce}">
<title>Code Interpreter</title>
</head>
<body>
<div id="app" data-nonce="${nonce}" data-plotly="${asset('dist', 'plotly.min.js')}"></div>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }

  private watchResources(): void {
    this.resources?.setInterest('output panel', this.panel?.visible ? () => [this.model.active] : undefined);
  }

  /** The active session's resource figures (none while it does not run). */
  private postResources(): void {
    const r = this.resources?.get(this.model.active);
    const session = this.activeHash();
    if (r?.state === 'running') this.post({ type: 'resources', session, meters: resourceMeters(r) });
    else this.post({ type: 'resources', session, meters: [], note: r?.state === 'unavailable' ? r.reason : undefined });
  }

  private post(message: HostMessage): void {
    if (message.type !== 'outputs') this.flushOutputs();
    if (!this.panel || !this.ready) return;
    void this.panel.webview.postMessage(message);
  }

  private queueOutput(session: string, cell: string, output: PanelOutput): void {
    if (this.outbox && (this.outbox.session !== session || this.outbox.cell !== cell)) this.flushOutputs();
    (this.outbox ??= { session, cell, outputs: [] }).outputs.push(output);
    this.outboxTimer ??= setTimeout(() => this.flushOutputs(), OUTPUT_BATCH_MS);
  }

  /** Posts the queued outputs (before any other message, so the webview sees them in order). */
  private flushOutputs(): void {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = undefined;
    const box = this.outbox;
    this.outbox = undefined;
    if (box) this.post({ type: 'outputs', ...box });
  }

  private sessions(): PanelSession[] {
    return this.model.list().map((s) => ({ id: s.threadHash, title: s.title, state: s.state, busy: s.busy }));
  }

  private activeHash(): string {
    return this.model.session(this.model.active).names.threadHash;
  }

  private scheduleSessions(): void {
    if (!this.ready) return;
    clearTimeout(this.sessionsTimer);
    this.sessionsTimer = setTimeout(() => this.post({ type: 'sessions', sessions: this.sessions(), selected: this.activeHash() }), 50);
  }

  /** Bumped by each postAll: the cells of a newer one win over an older one still reading its history. */
  private postAllSeq = 0;

  private postAll(): void {
    const key = this.model.active;
    const hash = this.activeHash();
    this.post({ type: 'sessions', sessions: this.sessions(), selected: hash });
    const seq = ++this.postAllSeq;
    void this.model.history(key).then((records) => seq === this.postAllSeq && this.postCells(key, hash, records));
  }

  /** The selected session's cells: its history, then what still runs (events meanwhile are in both). */
  private postCells(key: string, hash: string, records: ExecutionRecord[]): void {
    const cells = records.map(toPanelCell);
    const done = new Set(cells.map((c) => c.id));
    for (const c of this.running.get(key)?.values() ?? []) if (!done.has(c.id)) cells.push(c);
    this.post({ type: 'cells', session: hash, cells, reveal: this.pendingReveal });
    this.pendingReveal = undefined;
    this.postResources();
  }

  private onSessionEvent(e: SessionEvent): void {
    const running = this.running.get(e.threadKey) ?? new Map<string, PanelCell>();
    this.running.set(e.threadKey, running);
    const hash = this.model.session(e.threadKey).names.threadHash;
    const selected = e.threadKey === this.model.active;
    switch (e.type) {
      case 'execution-start': {
        const cell: PanelCell = { ...e.execution, status: 'running', outputs: [], files: [] };
        running.set(cell.id, cell);
        if (selected) this.post({ type: 'cellStart', session: hash, cell });
        break;
      }
      case 'output':
        running.get(e.id)?.outputs.push(e.output);
        if (selected) this.queueOutput(hash, e.id, e.output);
        break;
      case 'execution-end':
        running.delete(e.record.id);
        if (this.outbox?.cell === e.record.id) this.outbox = undefined; // the cell comes whole
        if (selected) this.post({ type: 'cellEnd', session: hash, cell: toPanelCell(e.record) });
        break;
      case 'deleted':
        this.running.delete(e.threadKey);
        if (selected) this.postAll();
        break;
      case 'busy':
        break;
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message: WebviewMessage | undefined = parseWebviewMessage(raw);
    if (!message) {
      this.log.warn(`output panel: ignored an invalid message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      this.watchResources();
      this.postAll();
      return;
    }
    if (message.type === 'copyCode') {
      await vscode.env.clipboard.writeText(message.code);
      return;
    }
    const key = this.model.keyOfHash(message.session);
    if (!key) {
      this.log.warn(`output panel: unknown session ${message.session}`);
      return;
    }
    try {
      switch (message.type) {
        case 'selectSession':
          this.model.setActive(key);
          break;
        case 'openFile':
          await this.actions.openFile(message.session, message.path);
          break;
        case 'interrupt':
          this.model.session(key).interrupt();
          break;
        case 'restartKernel':
          await this.actions.restartKernel(key);
          break;
        case 'exportNotebook':
          await this.actions.exportNotebook(key);
          break;
      }
    } catch (err) {
      void vscode.window.showErrorMessage((err as Error).message);
    }
  }

  dispose(): void {
    clearTimeout(this.sessionsTimer);
    clearTimeout(this.outboxTimer);
    for (const d of this.disposables) d.dispose();
    this.panel?.dispose();
  }
}
