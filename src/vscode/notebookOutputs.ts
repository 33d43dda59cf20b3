/**
 * nbformat outputs as notebook cell outputs, for the sandbox's notebook controller.
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
import * as vscode from 'vscode';
import { bundleText, coalesceStreams, errorMessage, isImageData, Logger, MimeBundle, mimeText, Output, tableHtml, ToolOutcome } from '../core';

/** The picture types shown as images; their data must be base64 of bytes that are that picture. */
const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif'];

/**
 * The MIME types a notebook output may carry, richest first (VS Code shows the one its display order
 * prefers). Everything else in a bundle is dropped (see above) — also from the .ipynb when it is saved.
 */
export const NOTEBOOK_MIME_ORDER = ['text/html', ...IMAGE_MIMES, 'application/json', 'text/plain'] as const;

/** What VS Code's ipynb serializer reads back to save an output as the nbformat type it was. */
export interface CellOutputMetadata {
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

export function meta(m: CellOutputMetadata): Record<string, unknown> {
  return m as unknown as Record<string, unknown>;
}

export function streamItem(name: 'stdout' | 'stderr', text: string): vscode.NotebookCellOutputItem {
  return name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
}

/** An error item (the traceback keeps IPython's ANSI colours: VS Code's error renderer shows them). */
export function errorItem(name: string, message: string, stack?: string): vscode.NotebookCellOutputItem {
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
export class LiveOutputs {
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

  /**
   * The run ended: everything received is shown, then the record replaces it when it differs (the
   * record is what the kernel left: a clear_output, an updated display).
   */
  async finish(record: readonly Output[] | undefined): Promise<void> {
    await this.flush();
    if (record && JSON.stringify(record) !== JSON.stringify(this.received)) {
      await this.execution.replaceOutput(coalesceStreams(record).map(cellOutput).filter((o) => o !== undefined));
    }
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
