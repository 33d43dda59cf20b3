/** Jupyter nbformat v4 output objects: the one output type from kernel to UI to .ipynb. */

export type MimeBundle = Record<string, string | string[] | unknown>;

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}

export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export type ExecutionKind = 'python' | 'shell' | 'pdf';
export type ExecutionStatus = 'ok' | 'error' | 'timeout' | 'interrupted' | 'killed';

/** A file created or changed by an execution, relative to /mnt/data. */
export interface FileChange {
  path: string;
  size: number;
  mtime: string;
  change: 'created' | 'modified';
  /** A MIME type guessed from the name. */
  type?: string;
}

/** One execution, as the panel shows it and as a notebook cell is exported. */
export interface ExecutionRecord {
  id: string;
  session: string;
  kind: ExecutionKind;
  code: string;
  started: string;
  durationMs: number;
  status: ExecutionStatus;
  outputs: Output[];
  files: FileChange[];
}

/**
 * Join adjacent stream outputs of the same name (kernels send them in chunks) and apply their
 * carriage returns, as Jupyter's front ends do: a progress bar redrawn with `\r` keeps its last state.
 */
export function coalesceStreams(outputs: readonly Output[]): Output[] {
  const result: Output[] = [];
  for (const o of outputs) {
    const last = result[result.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
      result[result.length - 1] = { ...last, text: last.text + o.text };
    } else {
      result.push(o);
    }
  }
  return result.map((o) => (o.output_type === 'stream' && /[\r\b]/.test(o.text) ? { ...o, text: applyCarriageReturns(o.text) } : o));
}

/**
 * Terminal line-editing characters in stream text, resolved the way a terminal (and JupyterLab)
 * shows them: `\r\n` is a newline, `\r` returns to the start of the line so that what follows
 * overwrites it, `\b` steps back one character.
 */
export function applyCarriageReturns(text: string): string {
  return text.replace(/\r+\n/g, '\n').split('\n').map((line) => {
    if (!/[\r\b]/.test(line)) return line;
    const chars: string[] = [];
    let cursor = 0;
    for (const ch of line) {
      if (ch === '\r') cursor = 0;
      else if (ch === '\b') cursor = Math.max(0, cursor - 1);
      else chars[cursor++] = ch;
    }
    return chars.join('');
  }).join('\n');
}

/** The text of one stream across a list of outputs. */
export function streamText(outputs: readonly Output[], name: 'stdout' | 'stderr'): string {
  let text = '';
  for (const o of outputs) if (o.output_type === 'stream' && o.name === name) text += o.text;
  return text;
}

/** A mime bundle value as one string (nbformat allows a list of lines). */
export function mimeText(value: unknown): string {
  if (Array.isArray(value)) return value.join('');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
