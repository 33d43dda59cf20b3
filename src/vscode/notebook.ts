/**
 * Notebooks on the sandbox: a NotebookController for VS Code's own .ipynb editor (`jupyter-notebook`,
 * no Jupyter extension needed). A notebook is one thread, keyed by its URI; its cells run as the
 * user's executePythonCode calls (audited as `vscode:user`), through the same ToolService path as
 * "Run Selection in Sandbox", with outputs shown live.
 *
 * Outputs are untrusted: the sandboxed code wrote them. VS Code renders notebook outputs in one
 * webview per notebook editor, isolated from the workbench and the extension host — but inside it
 * the built-in renderer inserts `text/html` (and `image/svg+xml`) as markup and, in a trusted
 * workspace, runs its scripts, and that webview may load from the network. Passed through, an output
 * could therefore send what the code computed to any host: the one thing the sandbox's `--network
 * none` exists to stop. There is no DOM on the host to sanitise with (webview/sanitize.ts needs one),
 * so nothing of an output reaches the renderer as markup: HTML becomes only the tables it holds,
 * rebuilt by tableHtml (table elements, numeric row/colspan, escaped text — never a copy of the
 * input's markup); SVG, Markdown, JavaScript, widget and chart JSON (Plotly, Vega: their specs may
 * name remote images and data) are left out in favour of the bundle's text (or PNG) form. Pictures
 * pass as bytes (PNG, JPEG, GIF, each checked to be one), shown by VS Code as an <img>.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { bundleText, coalesceStreams, errorMessage, isImageData, Logger, MimeBundle, mimeText, Output, tableHtml, ToolOutcome } from '../core';
import { Settings } from './config';
import { SessionsModel } from './sessions';
import { notebookThreadKey } from './threads';
import { ToolService } from './tools';

export const NOTEBOOK_CONTROLLER_ID = 'code-interpreter-sandbox';
export const NOTEBOOK_TYPE = 'jupyter-notebook';
export const RESTART_NOTEBOOK_KERNEL = 'codeInterpreter.restartNotebookKernel';

/** The picture types shown as images; their data must be base64 of bytes that are that picture. */
const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif'];

/**
 * The MIME types a notebook output may carry, richest first (VS Code shows the one its display order
 * prefers). Everything else in a bundle is dropped (see above) — also from the .ipynb when it is saved.
 */
export const NOTEBOOK_MIME_ORDER = ['text/html', ...IMAGE_MIMES, 'application/json', 'text/plain'] as const;

/** What VS Code's ipynb serializer reads back to save an output as the nbformat type it was. */
interface CellOutputMetadata {
  outputType: Output['output_type'];
  executionCount?: number | null;
  metadata?: Record<string, unknown>;
}

function imageItem(mime: string, value: unknown): vscode.NotebookCellOutputItem | undefined {
  const data = mimeText(value).replace(/\s+/g, '');
  return isImageData(mime, data) ? new vscode.NotebookCellOutputItem(Buffer.from(data, 'base64'), mime) : undefined;
}

/** Types whose text form (markdown or LaTeX source, HTML's text) says more than a default repr. */
const TEXT_FORMS = ['text/markdown', 'text/latex', 'text/html', 'application/javascript'];

/** The items of a display_data/execute_result bundle, richest first (empty for an empty bundle). */
export function bundleItems(data: MimeBundle): vscode.NotebookCellOutputItem[] {
  const items: vscode.NotebookCellOutputItem[] = [];
  for (const mime of NOTEBOOK_MIME_ORDER) {
    const value = data[mime];
    if (value === undefined || mime === 'text/plain') continue;
    if (mime === 'text/html') {
      const tables = tableHtml(mimeText(value));
      if (tables) items.push(vscode.NotebookCellOutputItem.text(tables, 'text/html'));
    } else if (mime === 'application/json') {
      items.push(vscode.NotebookCellOutputItem.json(value, 'application/json'));
    } else {
      const image = imageItem(mime, value);
      if (image) items.push(image);
    }
  }
  const plain = data['text/plain'] !== undefined ? mimeText(data['text/plain']) : undefined;
  const left = Object.keys(data).filter((m) => m !== 'text/plain' && !items.some((i) => i.mime === m));
  if (left.length && !items.length) {
    // Nothing richer could be shown: the text says what the output was, and what was left out.
    const body = left.some((m) => TEXT_FORMS.includes(m)) ? bundleText(data) : plain;
    const note = vscode.l10n.t('[{0} not shown: a notebook shows sandbox output as text, tables and pictures only]', left.join(', '));
    items.push(vscode.NotebookCellOutputItem.text([body, note].filter(Boolean).join('\n'), 'text/plain'));
  } else if (plain !== undefined) {
    items.push(vscode.NotebookCellOutputItem.text(plain, 'text/plain'));
  }
  return items;
}

/** One nbformat output as a notebook cell output (undefined for an empty bundle). */
export function cellOutput(o: Output): vscode.NotebookCellOutput | undefined {
  switch (o.output_type) {
    case 'stream':
      return new vscode.NotebookCellOutput([streamItem(o.name, o.text)], meta({ outputType: 'stream' }));
    case 'error':
      return new vscode.NotebookCellOutput([errorItem(o.ename, o.evalue, o.traceback.join('\n'))], meta({ outputType: 'error' }));
    case 'display_data':
    case 'execute_result': {
      const items = bundleItems(o.data);
      if (!items.length) return undefined;
      const m: CellOutputMetadata = { outputType: o.output_type, metadata: o.metadata };
      if (o.output_type === 'execute_result') m.executionCount = o.execution_count;
      return new vscode.NotebookCellOutput(items, meta(m));
    }
  }
}

function meta(m: CellOutputMetadata): Record<string, unknown> {
  return m as unknown as Record<string, unknown>;
}

function streamItem(name: 'stdout' | 'stderr', text: string): vscode.NotebookCellOutputItem {
  return name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
}

/** An error item (the traceback keeps IPython's ANSI colours: VS Code's error renderer shows them). */
function errorItem(name: string, message: string, stack?: string): vscode.NotebookCellOutputItem {
  return vscode.NotebookCellOutputItem.error({ name, message, stack });
}

/** A run's notes (kernel restarted, limits reached, a timeout) as one stderr output. */
export function notesOutput(notes: readonly string[]): vscode.NotebookCellOutput | undefined {
  if (!notes.length) return undefined;
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stderr(`${notes.join('\n')}\n`)], meta({ outputType: 'stream' }));
}

/** What an outcome adds after the outputs: its notes, or — when the call never ran — why. */
export function outcomeOutputs(outcome: ToolOutcome): vscode.NotebookCellOutput[] {
  if (!outcome.execution) {
    const name = outcome.status === 'unavailable' ? vscode.l10n.t('Sandbox unavailable') : outcome.status === 'rejected' ? vscode.l10n.t('Request refused') : vscode.l10n.t('Not run');
    return [new vscode.NotebookCellOutput([errorItem(name, outcome.text)], meta({ outputType: 'error' }))];
  }
  const notes = notesOutput(outcome.notes ?? []);
  return notes ? [notes] : [];
}

/**
 * Adjacent stream outputs of one name as one (text joined as it came: a carriage return is left for
 * the renderer, since the next chunk may go on the same line).
 */
export function joinStreams(outputs: readonly Output[]): Output[] {
  const joined: Output[] = [];
  for (const o of outputs) {
    const last = joined[joined.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) joined[joined.length - 1] = { ...last, text: last.text + o.text };
    else joined.push(o);
  }
  return joined;
}

/** A cell's outputs as they stream: batched every few milliseconds, a stream's text appended to its last output. */
class LiveOutputs {
  readonly received: Output[] = [];
  private pending: Output[] = [];
  private last?: { output: vscode.NotebookCellOutput; stream?: 'stdout' | 'stderr' };
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly execution: vscode.NotebookCellExecution, private readonly log: Logger) {}

  push(o: Output): void {
    this.received.push(o);
    this.pending.push(o);
    this.timer ??= setTimeout(() => void this.flush(), 40);
  }

  /** Everything received is shown (or failed to be, logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = joinStreams(this.pending);
    this.pending = [];
    this.chain = this.chain.then(() => this.show(batch)).catch((err) => this.log.warn(`notebook: an output was not shown: ${errorMessage(err)}`));
    return this.chain;
  }

  private async show(batch: Output[]): Promise<void> {
    let from = 0;
    const first = batch[0];
    if (first?.output_type === 'stream' && this.last?.stream === first.name) {
      await this.execution.appendOutputItems(streamItem(first.name, first.text), this.last.output);
      from = 1;
    }
    const outputs: vscode.NotebookCellOutput[] = [];
    for (const o of batch.slice(from)) {
      const output = cellOutput(o);
      if (!output) continue;
      outputs.push(output);
      this.last = { output, stream: o.output_type === 'stream' ? o.name : undefined };
    }
    if (outputs.length) await this.execution.appendOutput(outputs);
  }
}

export interface NotebookDeps {
  model: SessionsModel;
  tools: ToolService;
  settings: () => Settings;
  log: Logger;
  /** The Restart Kernel command's path (readiness, progress, the notification). */
  restartKernel: (threadKey: string) => Promise<void>;
  /** After a cell: the sessions tree and model refresh. */
  afterRun: (threadKey: string) => void;
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

  constructor(private readonly d: NotebookDeps) {
    this.controller = vscode.notebooks.createNotebookController(NOTEBOOK_CONTROLLER_ID, NOTEBOOK_TYPE, vscode.l10n.t('Code Interpreter Sandbox'));
    this.controller.supportedLanguages = ['python'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = vscode.l10n.t('Python in the local Docker sandbox (no network; files in /mnt/data)');
    this.controller.detail = vscode.l10n.t('One sandbox session per notebook: its files, and its variables while the container lives.');
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
  }

  register(): vscode.Disposable[] {
    return [
      this,
      vscode.commands.registerCommand(RESTART_NOTEBOOK_KERNEL, async (arg?: unknown) => {
        try {
          await this.restart(arg);
        } catch (err) {
          this.d.log.error(`${RESTART_NOTEBOOK_KERNEL} failed: ${errorMessage(err)}`);
          void vscode.window.showErrorMessage(errorMessage(err));
        }
      }),
    ];
  }

  dispose(): void {
    for (const runs of this.running.values()) for (const cts of runs) cts.cancel();
    this.controller.dispose();
  }

  private execute(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const key = notebookThreadKey(notebook.uri);
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
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    execution.executionOrder = count;
    execution.start(Date.now());
    const cancel = new vscode.CancellationTokenSource();
    const subs = [execution.token.onCancellationRequested(() => cancel.cancel()), interrupted.onCancellationRequested(() => cancel.cancel())];
    const live = new LiveOutputs(execution, this.d.log);
    let ok = false;
    try {
      await execution.clearOutput();
      const code = execution.cell.document.getText();
      if (!code.trim()) {
        ok = true;
        return ok;
      }
      const outcome = await this.d.tools.run({ name: 'executePythonCode', input: { pythonCode: code, timeoutSeconds: this.d.settings().pythonTimeoutSeconds } }, key, 'vscode:user', {
        token: cancel.token,
        onOutput: (o) => live.push(o),
      });
      await live.flush();
      // The record is what the kernel left (a clear_output, an updated display): shown when it differs.
      const final = outcome.execution?.outputs;
      if (final && JSON.stringify(final) !== JSON.stringify(live.received)) {
        await execution.replaceOutput(coalesceStreams(final).map(cellOutput).filter((o) => o !== undefined));
      }
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
      subs.forEach((s) => s.dispose());
      cancel.dispose();
      execution.end(ok, Date.now());
    }
  }

  /** The toolbar's interrupt: the running cell is interrupted, the rest of its run is not started. */
  private interrupt(notebook: vscode.NotebookDocument): void {
    const key = notebookThreadKey(notebook.uri);
    for (const run of this.running.get(key) ?? []) run.cancel();
  }

  /** The notebook's thread restarts its kernel (variables cleared, files kept); counts start again. */
  private async restart(arg: unknown): Promise<void> {
    const uri = notebookUriOf(arg) ?? vscode.window.activeNotebookEditor?.notebook.uri;
    if (!uri) throw new Error(vscode.l10n.t('Open a notebook first.'));
    const key = notebookThreadKey(uri);
    this.interrupt({ uri } as vscode.NotebookDocument);
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
