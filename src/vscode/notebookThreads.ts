/**
 * Which thread a notebook runs in, and a chat thread opened as a notebook. A notebook's own thread is
 * keyed by its URI; "Open as Notebook" (the sessions view, `@interpreter /notebook`) builds a new
 * notebook from a thread's history whose metadata names that thread (`code_interpreter.thread`), so
 * it keeps running there when saved under any name, and after a reload.
 *
 * A name in a file is not enough: a .ipynb from a cloned repository could name another thread and
 * reach its files and variables. The metadata is honoured only for threads the user opened as a
 * notebook in this workspace (kept in its workspaceState); any other notebook runs in its own thread.
 */
import * as vscode from 'vscode';
import { ExecutionRecord, Notebook, NotebookEnvironment, toNotebook } from '../core';
import { cellOutput } from './notebookOutputs';
import { notebookThreadKey } from './threads';

export const NOTEBOOK_TYPE = 'jupyter-notebook';
const OPENED_KEY = 'codeInterpreter.notebookThreads';
/** Threads remembered as opened (the oldest is forgotten first). */
const MAX_OPENED = 200;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The thread a notebook's metadata names. VS Code's ipynb serializer keeps the file's top-level
 * metadata as `metadata.metadata` (older builds: `metadata.custom.metadata`).
 */
export function threadInMetadata(metadata: unknown): string | undefined {
  const m = record(metadata);
  const ipynb = record(m?.metadata) ?? record(record(m?.custom)?.metadata);
  const thread = record(ipynb?.code_interpreter)?.thread;
  return typeof thread === 'string' && thread.length > 0 && thread.length <= 600 ? thread : undefined;
}

/** An nbformat notebook as VS Code's NotebookData; outputs through cellOutput, so only what is safe to show. */
export function notebookData(nb: Notebook): vscode.NotebookData {
  const cells = nb.cells.map((c) => {
    const source = c.source.join('');
    if (c.cell_type === 'markdown') return new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, source, 'markdown');
    const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, 'python');
    cell.outputs = (c.outputs ?? []).map(cellOutput).filter((o) => o !== undefined);
    const status = record(record(c.metadata)?.code_interpreter)?.status;
    cell.executionSummary = { executionOrder: c.execution_count ?? undefined, success: status === undefined ? undefined : status === 'ok' };
    cell.metadata = { metadata: c.metadata };
    return cell;
  });
  const data = new vscode.NotebookData(cells);
  data.metadata = { nbformat: nb.nbformat, nbformat_minor: nb.nbformat_minor, metadata: nb.metadata };
  return data;
}

/** A thread's executions as a notebook bound to it (an empty code cell when it has run nothing yet). */
export function threadNotebook(threadKey: string, records: readonly ExecutionRecord[], environment?: NotebookEnvironment): vscode.NotebookData {
  const nb = toNotebook(records, { environment });
  nb.metadata.code_interpreter = { ...record(nb.metadata.code_interpreter), thread: threadKey };
  const data = notebookData(nb);
  if (!data.cells.length) data.cells.push(new vscode.NotebookCellData(vscode.NotebookCellKind.Code, '', 'python'));
  return data;
}

/** The binding of notebooks to threads, for this workspace. */
export class NotebookThreads {
  constructor(private readonly memento: vscode.Memento) {}

  private opened(): string[] {
    return this.memento.get<string[]>(OPENED_KEY, []);
  }

  /** The thread a notebook runs in: the one it was opened from (if opened here), else its own. */
  keyOf(notebook: vscode.NotebookDocument): string {
    const named = threadInMetadata(notebook.metadata);
    return named && this.opened().includes(named) ? named : notebookThreadKey(notebook.uri);
  }

  /** The thread was opened as a notebook here: notebooks that name it run in it from now on. */
  async remember(threadKey: string): Promise<void> {
    const opened = [...this.opened().filter((k) => k !== threadKey), threadKey];
    await this.memento.update(OPENED_KEY, opened.slice(-MAX_OPENED));
  }

  /**
   * Run a notebook in a thread (undefined: its own): the thread is remembered and written to the
   * notebook's metadata (saved with it), as when the thread was opened as a notebook.
   */
  async bind(notebook: vscode.NotebookDocument, threadKey: string | undefined): Promise<void> {
    if (threadKey) await this.remember(threadKey);
    const metadata = { ...notebook.metadata };
    const ipynb = { ...record(metadata.metadata) };
    const ours: Record<string, unknown> = { ...record(ipynb.code_interpreter) };
    if (threadKey) ours.thread = threadKey;
    else delete ours.thread;
    ipynb.code_interpreter = ours;
    metadata.metadata = ipynb;
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [vscode.NotebookEdit.updateNotebookMetadata(metadata)]);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(vscode.l10n.t('The notebook could not be changed (is it read-only?).'));
  }

  /** The open .ipynb documents that run in a thread. */
  documentsOf(threadKey: string): vscode.NotebookDocument[] {
    return vscode.workspace.notebookDocuments.filter((d) => d.notebookType === NOTEBOOK_TYPE && !d.isClosed && this.keyOf(d) === threadKey);
  }
}
