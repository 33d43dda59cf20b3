/**
 * Notebooks on the sandbox: a NotebookController for VS Code's own .ipynb editor (`jupyter-notebook`,
 * no Jupyter extension needed). A notebook is one thread — its own (keyed by its URI) or the chat
 * thread it was opened from (notebookThreads.ts) — whose cells run as the user's executePythonCode
 * calls (audited as `vscode:user`), through the same ToolService path as "Run Selection in Sandbox",
 * with outputs shown live (notebookOutputs.ts says what of an output is shown, and why). What others
 * run in that thread (the agent, a command) is appended to the open notebook as it runs.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { cellSource, errorMessage, ExecutionRecord, ExecutionStart, Logger, NotebookEnvironment, Output, ToolCall } from '../core';
import { Settings } from './config';
import { errorItem, LiveOutputs, outcomeOutputs } from './notebookOutputs';
import { NOTEBOOK_TYPE, NotebookThreads, threadNotebook } from './notebookThreads';
import { SessionEvent, SessionsModel } from './sessions';
import { notebookThreadKey } from './threads';
import { ToolService } from './tools';

export { bundleItems, cellOutput, joinStreams, notesOutput, outcomeOutputs } from './notebookOutputs';
export { NOTEBOOK_TYPE } from './notebookThreads';

export const NOTEBOOK_CONTROLLER_ID = 'code-interpreter-sandbox';
export const RESTART_NOTEBOOK_KERNEL = 'codeInterpreter.restartNotebookKernel';
export const ATTACH_NOTEBOOK = 'codeInterpreter.attachNotebook';

export interface NotebookDeps {
  model: SessionsModel;
  tools: ToolService;
  settings: () => Settings;
  log: Logger;
  /** The Restart Kernel command's path (readiness, progress, the notification). */
  restartKernel: (threadKey: string) => Promise<void>;
  /** After a cell: the sessions tree and model refresh. */
  afterRun: (threadKey: string) => void;
  /** Which thread a notebook runs in (its own, or the chat thread it was opened from). */
  threads: NotebookThreads;
  /** What a notebook opened from a thread records about its environment. */
  environment: (threadKey: string) => Promise<NotebookEnvironment | undefined>;
  /** This extension's id (to select its controller for a notebook it opens). */
  extensionId: string;
}

/** A cell that runs a shell command: `%%bash` or `%%sh` on its first line (as an export writes the thread's commands). */
export function cellCall(code: string, s: Pick<Settings, 'pythonTimeoutSeconds' | 'shellTimeoutSeconds'>): ToolCall {
  const shell = /^%%(?:bash|sh)[ \t]*\r?\n/.exec(code);
  if (shell) return { name: 'runShellCommand', input: { command: code.slice(shell[0].length), timeoutSeconds: s.shellTimeoutSeconds } };
  return { name: 'executePythonCode', input: { pythonCode: code, timeoutSeconds: s.pythonTimeoutSeconds } };
}

/** The controller, its restart command and the per-notebook state (execution counts, the running run). */
export class SandboxNotebooks implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  /** Execution counts, per notebook (reset by a kernel restart, as Jupyter does). */
  private readonly counts = new Map<string, number>();
  /** Runs of one notebook go one after another (the container's queue would too; this keeps the counts in order). */
  private readonly queues = new Map<string, Promise<void>>();
  /** The run-all in progress per notebook: an interrupt stops it and its queued cells. */
  private readonly running = new Map<string, Set<vscode.CancellationTokenSource>>();
  /** Executions this controller started (its cells): the others in a notebook's thread are appended to it. */
  private readonly own = new Set<string>();
  /** Executions of others being appended to open notebooks, by execution id. */
  private readonly mirrored = new Map<string, MirroredCell[]>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly d: NotebookDeps) {
    this.controller = vscode.notebooks.createNotebookController(NOTEBOOK_CONTROLLER_ID, NOTEBOOK_TYPE, vscode.l10n.t('Code Interpreter Sandbox'));
    this.controller.supportedLanguages = ['python'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = vscode.l10n.t('Python in the local Docker sandbox (no network; files in /mnt/data)');
    this.controller.detail = vscode.l10n.t('One sandbox session per notebook: its files, and its variables while the container lives.');
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
    this.subscriptions.push(d.model.onSessionEvent((e) => this.onSessionEvent(e)));
  }

  register(): vscode.Disposable[] {
    return [
      this,
      this.command(RESTART_NOTEBOOK_KERNEL, (arg) => this.restart(arg)),
      this.command(ATTACH_NOTEBOOK, (arg) => this.attach(arg)),
    ];
  }

  private command(id: string, run: (arg: unknown) => Promise<void>): vscode.Disposable {
    return vscode.commands.registerCommand(id, async (arg?: unknown) => {
      try {
        await run(arg);
      } catch (err) {
        this.d.log.error(`${id} failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(errorMessage(err));
      }
    });
  }

  dispose(): void {
    for (const runs of this.running.values()) for (const cts of runs) cts.cancel();
    this.subscriptions.forEach((s) => s.dispose());
    this.controller.dispose();
  }

  private execute(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const key = this.d.threads.keyOf(notebook);
    void this.d.model.setTitle(key, vscode.l10n.t('Notebook {0}', basename(notebook.uri.path)));
    const run = new vscode.CancellationTokenSource();
    const runs = this.running.get(key) ?? new Set();
    this.running.set(key, runs.add(run));
    // Queued at once (VS Code shows them pending), run one by one.
    const executions = cells.filter((c) => c.kind === vscode.NotebookCellKind.Code).map((cell) => this.controller.createNotebookCellExecution(cell));
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.runCells(key, executions, run.token)).finally(() => {
      runs.delete(run);
      run.dispose();
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    this.queues.set(key, next);
    return next;
  }

  private nextCount(key: string): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  private async runCells(key: string, executions: vscode.NotebookCellExecution[], interrupted: vscode.CancellationToken): Promise<void> {
    let stopped = false;
    for (const execution of executions) {
      // An error or an interrupt stops the rest of the run (as Jupyter does); those cells keep their outputs.
      if (stopped || interrupted.isCancellationRequested || execution.token.isCancellationRequested) {
        execution.end(undefined);
        continue;
      }
      stopped = !(await this.runCell(key, execution, interrupted));
    }
  }

  /** One cell; true when it ran to the end without an error. */
  private async runCell(key: string, execution: vscode.NotebookCellExecution, interrupted: vscode.CancellationToken): Promise<boolean> {
    execution.executionOrder = this.nextCount(key);
    execution.start(Date.now());
    const cancel = new vscode.CancellationTokenSource();
    const subs = [execution.token.onCancellationRequested(() => cancel.cancel()), interrupted.onCancellationRequested(() => cancel.cancel())];
    const live = new LiveOutputs(execution, this.d.log);
    let ok = false;
    let ownId: string | undefined;
    try {
      await execution.clearOutput();
      const code = execution.cell.document.getText();
      if (!code.trim()) {
        ok = true;
        return ok;
      }
      const outcome = await this.d.tools.run(cellCall(code, this.d.settings()), key, 'vscode:user', {
        token: cancel.token,
        onOutput: (o) => live.push(o),
        onStart: (id) => {
          ownId = id;
          this.own.add(id);
        },
      });
      await live.finish(outcome.execution?.outputs);
      const extra = outcomeOutputs(outcome);
      if (extra.length) await execution.appendOutput(extra);
      ok = outcome.status === 'ok';
      this.d.afterRun(key);
      return ok;
    } catch (err) {
      // The sandbox was not ready (no Docker, a failed build): what streamed stays, then why.
      this.d.log.error(`notebook: a cell failed to run: ${errorMessage(err)}`);
      await live.flush();
      await execution.appendOutput(new vscode.NotebookCellOutput([errorItem(vscode.l10n.t('Not run'), errorMessage(err))])).then(undefined, () => undefined);
      return false;
    } finally {
      if (ownId) this.own.delete(ownId);
      subs.forEach((s) => s.dispose());
      cancel.dispose();
      execution.end(ok, Date.now());
    }
  }

  /** What others run in a thread (the agent, a command) is appended to the notebooks open on it, as it runs. */
  private onSessionEvent(e: SessionEvent): void {
    if (e.type === 'execution-start') {
      if (this.own.has(e.execution.id)) return;
      const docs = this.d.threads.documentsOf(e.threadKey);
      if (!docs.length) return;
      const order = this.nextCount(e.threadKey);
      this.mirrored.set(e.execution.id, docs.map((doc) => new MirroredCell(this.controller, doc, e.execution, order, this.d.log)));
    } else if (e.type === 'output') {
      for (const m of this.mirrored.get(e.id) ?? []) m.push(e.output);
    } else if (e.type === 'execution-end') {
      for (const m of this.mirrored.get(e.record.id) ?? []) m.end(e.record);
      this.mirrored.delete(e.record.id);
    }
  }

  /** A thread opened as a notebook (or shown, when one is open on it already), bound to its live session. */
  async openThread(threadKey: string): Promise<vscode.NotebookEditor> {
    const open = this.d.threads.documentsOf(threadKey)[0];
    if (open) return vscode.window.showNotebookDocument(open);
    const records = await this.d.model.history(threadKey);
    const environment = await this.d.environment(threadKey).catch((err) => {
      this.d.log.warn(`notebook: the environment could not be recorded: ${errorMessage(err)}`);
      return undefined;
    });
    await this.d.threads.remember(threadKey);
    // The cells go in without their outputs, which are then set the way a run sets them: outputs
    // inside openNotebookDocument's data reach a remote window's renderer without their bytes (VS
    // Code 1.139 with code-server: "reading 'byteLength'"), while a cell execution's always arrive.
    const data = threadNotebook(threadKey, records, environment);
    const outputs = data.cells.map((c) => c.outputs ?? []);
    for (const c of data.cells) c.outputs = [];
    const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
    this.controller.updateNotebookAffinity(doc, vscode.NotebookControllerAffinity.Preferred);
    const editor = await vscode.window.showNotebookDocument(doc);
    await vscode.commands.executeCommand('notebook.selectKernel', { notebookEditor: editor, id: NOTEBOOK_CONTROLLER_ID, extension: this.d.extensionId });
    // Cell i is record i (threadNotebook writes one code cell per execution, in order, and no other).
    for (const [i, record] of records.entries()) {
      if (!outputs[i].length) continue;
      const execution = await this.executionOf(doc.cellAt(i));
      if (!execution) {
        this.d.log.warn(`notebook: the sandbox kernel is not ${doc.uri.toString(true)}'s; its cells are shown without their outputs`);
        break;
      }
      const started = Date.parse(record.started);
      execution.executionOrder = i + 1;
      execution.start(started);
      await execution.replaceOutput(outputs[i]);
      execution.end(record.status === 'ok', started + record.durationMs);
    }
    // The thread's next cell is numbered after the ones shown.
    this.counts.set(threadKey, Math.max(this.counts.get(threadKey) ?? 0, records.length));
    this.d.log.info(`notebook: opened ${threadKey} with ${records.length} cells`);
    return editor;
  }

  /** A cell execution, once this controller is the notebook's kernel (undefined after a few seconds without). */
  private async executionOf(cell: vscode.NotebookCell): Promise<vscode.NotebookCellExecution | undefined> {
    for (let tries = 0; tries < 50; tries++) {
      try {
        return this.controller.createNotebookCellExecution(cell);
      } catch {
        // The selection reaches the extension host a moment after notebook.selectKernel resolves.
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return undefined;
  }

  /** The toolbar's interrupt: the running cell is interrupted, the rest of its run is not started. */
  private interrupt(notebook: vscode.NotebookDocument): void {
    const key = this.d.threads.keyOf(notebook);
    for (const run of this.running.get(key) ?? []) run.cancel();
    // An agent's cell running in this notebook stops too (its caller is told it was interrupted).
    if ([...this.mirrored.values()].some((cells) => cells.some((c) => c.doc === notebook))) this.d.model.session(key).interrupt();
  }

  /** The notebook a command was given, or the active one. */
  private notebookOf(arg: unknown): vscode.NotebookDocument {
    const uri = notebookUriOf(arg) ?? vscode.window.activeNotebookEditor?.notebook.uri;
    const notebook = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri?.toString());
    if (!notebook) throw new Error(vscode.l10n.t('Open a notebook first.'));
    return notebook;
  }

  /** The picker: run the notebook in another thread's session (a chat's), or in its own again. */
  private async attach(arg: unknown): Promise<void> {
    const notebook = this.notebookOf(arg);
    const current = this.d.threads.keyOf(notebook);
    const own = notebookThreadKey(notebook.uri);
    await this.d.model.refresh();
    type Item = vscode.QuickPickItem & { key: string };
    const mark = (key: string) => (key === current ? vscode.l10n.t('(current)') : undefined);
    const items: Item[] = [
      { label: vscode.l10n.t("This notebook's own session"), description: mark(own), key: own },
      { label: '', kind: vscode.QuickPickItemKind.Separator, key: '' },
      ...this.d.model
        .list()
        .filter((s) => s.threadKey !== own)
        .map((s) => ({ label: s.title, description: [s.state, mark(s.threadKey)].filter(Boolean).join(' '), key: s.threadKey })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Run this notebook in which sandbox session?'), placeHolder: vscode.l10n.t("Its cells will share that session's variables and files") });
    if (!pick?.key || pick.key === current) return;
    this.interrupt(notebook);
    await this.d.threads.bind(notebook, pick.key === own ? undefined : pick.key);
    this.d.log.info(`notebook: ${notebook.uri.toString(true)} now runs in ${pick.key}`);
  }

  /** The notebook's thread restarts its kernel (variables cleared, files kept); counts start again. */
  private async restart(arg: unknown): Promise<void> {
    const notebook = this.notebookOf(arg);
    const key = this.d.threads.keyOf(notebook);
    this.interrupt(notebook);
    await this.d.restartKernel(key);
    this.counts.delete(key);
  }
}

/** The notebook a toolbar or palette command was given: `{ notebookEditor: { notebookUri } }`, a Uri, or nothing. */
export function notebookUriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const editor = (arg as { notebookEditor?: { notebookUri?: unknown } }).notebookEditor;
  if (editor?.notebookUri instanceof vscode.Uri) return editor.notebookUri;
  const uri = (arg as { notebookUri?: unknown; uri?: unknown }).notebookUri ?? (arg as { uri?: unknown }).uri;
  return uri instanceof vscode.Uri ? uri : undefined;
}

/**
 * An execution someone else started in a notebook's thread, appended to the notebook as a cell: shown
 * running with its outputs live when the sandbox's controller is the notebook's kernel, else given its
 * execution order and status when it ends (a cell execution needs the notebook's selected controller).
 */
class MirroredCell {
  private chain: Promise<void>;
  private cell?: vscode.NotebookCell;
  private execution?: vscode.NotebookCellExecution;
  private live?: LiveOutputs;

  constructor(
    private readonly controller: vscode.NotebookController,
    readonly doc: vscode.NotebookDocument,
    private readonly start: ExecutionStart,
    private readonly order: number,
    private readonly log: Logger,
  ) {
    this.chain = this.begin();
  }

  private async begin(): Promise<void> {
    const index = this.doc.cellCount;
    const edit = new vscode.WorkspaceEdit();
    edit.set(this.doc.uri, [vscode.NotebookEdit.insertCells(index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cellSource(this.start), 'python')])]);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('the notebook did not take the cell');
    this.cell = this.doc.cellAt(index);
    try {
      this.execution = this.controller.createNotebookCellExecution(this.cell);
    } catch {
      return; // another kernel is selected: the cell is filled in at the end
    }
    this.execution.executionOrder = this.order;
    this.execution.start(Date.parse(this.start.started) || Date.now());
    this.live = new LiveOutputs(this.execution, this.log);
  }

  private then(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch((err) => this.log.warn(`notebook: an agent cell was not shown: ${errorMessage(err)}`));
  }

  push(o: Output): void {
    this.then(() => this.live?.push(o));
  }

  end(record: ExecutionRecord): void {
    this.then(async () => {
      const ok = record.status === 'ok';
      if (this.execution && this.live) {
        await this.live.finish(record.outputs);
        this.execution.end(ok, (Date.parse(record.started) || Date.now()) + record.durationMs);
      } else if (this.cell && !this.cell.notebook.isClosed && this.cell.index >= 0) {
        // Without outputs: they would travel as openNotebookDocument's do (see openThread); the panel shows them.
        const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, this.cell.document.getText(), 'python');
        data.executionSummary = { executionOrder: this.order, success: ok };
        const edit = new vscode.WorkspaceEdit();
        edit.set(this.doc.uri, [vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(this.cell.index, this.cell.index + 1), [data])]);
        await vscode.workspace.applyEdit(edit);
      }
    });
  }
}
