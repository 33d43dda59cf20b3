/**
 * A session's executions as a Jupyter notebook (nbformat 4.5): one code cell per execution, its
 * outputs copied as they are. Shell commands become `%%bash` cells, so the notebook runs in Jupyter.
 */
import { ExecutionRecord, Output } from './nbformat';

export interface NotebookCell {
  id: string;
  cell_type: 'code' | 'markdown';
  metadata: Record<string, unknown>;
  source: string[];
  execution_count?: number | null;
  outputs?: Output[];
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

/** What the cells ran on, so the notebook can be re-run later on the same packages. */
export interface NotebookEnvironment {
  /** The image tag and its id (content digest). */
  image: string;
  imageId?: string;
  /** The folder the workspace environment was declared in, and the hash of what it installs. */
  source?: string;
  hash?: string;
  /** The exact packages: `deb name=version` and `py name==version` lines. */
  packages: string[];
}

export interface ExportOptions {
  /** Recorded in the notebook's metadata (`code_interpreter.environment`). */
  environment?: NotebookEnvironment;
  /** A heading for the first (markdown) cell; no heading cell when absent. */
  title?: string;
  /** When the export was made (defaults to now); shown in the heading cell. */
  exportedAt?: Date;
}

/** Split text into nbformat's list of lines, each keeping its newline. */
export function toLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

/** nbformat 4.5 cell ids: 1–64 characters of [A-Za-z0-9_-], unique in the notebook. */
function cellId(base: string, used: Set<string>): string {
  let id = base.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64) || 'cell';
  for (let n = 2; used.has(id); n++) id = `${base.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 58) || 'cell'}-${n}`;
  used.add(id);
  return id;
}

/** A cell's source for an execution: its code, a shell command as a `%%bash` cell. */
export function cellSource(record: Pick<ExecutionRecord, 'kind' | 'code'>): string {
  if (record.kind === 'shell') return `%%bash\n${record.code}`;
  return record.code;
}

export function toNotebook(records: readonly ExecutionRecord[], options: ExportOptions = {}): Notebook {
  const used = new Set<string>();
  const cells: NotebookCell[] = [];
  if (options.title !== undefined) {
    const when = (options.exportedAt ?? new Date()).toISOString();
    cells.push({
      id: cellId('title', used),
      cell_type: 'markdown',
      metadata: {},
      source: toLines(`# ${options.title}\n\nExported from Code Interpreter on ${when}. Outputs are as they were when the code ran in the sandbox (working directory \`/mnt/data\`).`),
    });
  }
  let count = 0;
  for (const record of records) {
    count++;
    cells.push({
      id: cellId(record.id, used),
      cell_type: 'code',
      execution_count: count,
      metadata: {
        code_interpreter: {
          execution: record.id,
          session: record.session,
          kind: record.kind,
          status: record.status,
          started: record.started,
          durationMs: record.durationMs,
          files: record.files,
        },
      },
      source: toLines(cellSource(record)),
      outputs: record.outputs.map((o) => structuredClone(o)),
    });
  }
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python', file_extension: '.py', mimetype: 'text/x-python' },
      ...(options.environment ? { code_interpreter: { environment: options.environment } } : {}),
    },
    cells,
  };
}

/** The notebook as the text of an .ipynb file (Jupyter's own 1-space indent and trailing newline). */
export function exportNotebook(records: readonly ExecutionRecord[], options: ExportOptions = {}): string {
  return JSON.stringify(toNotebook(records, options), null, 1) + '\n';
}
