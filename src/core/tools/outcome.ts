import { ExecutionRecord, ExecutionStatus, mimeText, Output, streamText } from '../notebook/nbformat';
import { ATTACHED_IMAGE_MIMES, bundleText, hasImage } from '../notebook/plaintext';
import { LIMITS } from '../policy/limits';
import { truncateMiddle } from '../policy/truncate';
import { findPackageHint, hintText, PackageHint } from '../environment/hints';
import { ExecutionResult } from '../session/session';
import { filesReport } from './filesReport';
import { isImageData, mimeFromName } from './mime';

/** How a tool call ended. `rejected`: bad input; `unavailable`: Docker or the sandbox failed. */
export type ToolStatus = 'ok' | 'error' | 'timeout' | 'interrupted' | 'rejected' | 'unavailable';

export interface ToolImage {
  mimeType: 'image/png' | 'image/jpeg';
  /** base64 */
  data: string;
  /** The session file it came from, when there is one. */
  path?: string;
}

export interface ToolFile {
  path: string;
  size: number;
  type: string;
  change?: 'created' | 'modified' | 'saved' | 'uploaded';
  /** Where a file was written on the host (getSessionFile with saveTo). */
  hostPath?: string;
}

/** What every tool returns: `text` is what a model sees; `outputs` are the full nbformat outputs. */
export interface ToolOutcome {
  tool: string;
  status: ToolStatus;
  text: string;
  outputs: Output[];
  images: ToolImage[];
  files: ToolFile[];
  execution?: ExecutionRecord;
  /** Structured data for UIs (listings, matches), when the tool has any. */
  data?: unknown;
  /** A missing module or command, and the package that provides it (the "add to the sandbox" offer). */
  hint?: PackageHint;
  /**
   * What an execution's outputs do not say, as sentences (also in `text`): a timeout or an
   * interrupt, a kernel restart, lost variables, a limit reached, where full output was saved.
   */
  notes?: string[];
}

export function outcome(tool: string, status: ToolStatus, text: string, extra: Partial<ToolOutcome> = {}): ToolOutcome {
  return { tool, status, text, outputs: [], images: [], files: [], ...extra };
}

/**
 * The images a result may hand on as image parts (real PNG/JPEG: bytes that are no picture would be
 * shown broken and may make a model's API refuse the whole request), and a line saying how many were
 * left out (naming their types with `nameTypes`).
 */
export function attachableImages(images: readonly ToolImage[], opts: { nameTypes?: boolean } = {}): { images: ToolImage[]; note?: string } {
  const valid = images.filter((img) => isImageData(img.mimeType, img.data));
  const n = images.length - valid.length;
  if (n === 0) return { images: valid };
  const what = opts.nameTypes ? [...new Set(images.filter((img) => !valid.includes(img)).map((i) => i.mimeType))].join('/') : 'image';
  return { images: valid, note: `[${n} image output${n === 1 ? ' was' : 's were'} not valid ${what} data and ${n === 1 ? 'is' : 'are'} not attached]` };
}

function statusFromExecution(s: ExecutionStatus): ToolStatus {
  if (s === 'killed') return 'error';
  return s;
}

const STATUS_LINE: Record<ExecutionStatus, (seconds: number) => string> = {
  ok: () => '',
  error: () => '',
  timeout: (s) => `Execution timed out after ${s} s and was interrupted.`,
  interrupted: () => 'Execution was interrupted (cancelled).',
  killed: () => 'Execution ended abnormally.',
};

/** Images found in outputs (display_data / execute_result PNG or JPEG). */
export function imagesOf(outputs: readonly Output[]): ToolImage[] {
  const images: ToolImage[] = [];
  for (const o of outputs) {
    if (o.output_type !== 'display_data' && o.output_type !== 'execute_result') continue;
    for (const mime of ATTACHED_IMAGE_MIMES) {
      const value = o.data[mime];
      if (value !== undefined) {
        images.push({ mimeType: mime, data: mimeText(value).replace(/\s+/g, '') });
        break;
      }
    }
  }
  return images;
}

/**
 * Items (each already cut) held to `budget` characters together: as many as fit from the start
 * (three fifths of it) and from the end (the rest: the result and the error come last), and one
 * line for those between.
 */
export function keepEnds(items: readonly string[], budget: number): string[] {
  const size = (list: readonly string[]) => list.reduce((n, t) => n + t.length + 1, 0);
  if (size(items) <= budget) return [...items];
  const headBudget = Math.floor(budget * 0.6);
  const head: string[] = [];
  let used = 0;
  for (const item of items) {
    const cut = truncateMiddle(item, Math.max(0, headBudget - 200));
    if (used + cut.length + 1 > headBudget && head.length > 0) break;
    head.push(cut);
    used += cut.length + 1;
  }
  const tail: string[] = [];
  used = 0;
  for (let i = items.length - 1; i >= head.length; i--) {
    const cut = truncateMiddle(items[i], Math.max(0, budget - headBudget - 200));
    if (used + cut.length + 1 > budget - headBudget && tail.length > 0) break;
    tail.unshift(cut);
    used += cut.length + 1;
  }
  const between = items.length - head.length - tail.length;
  if (between === 0) return [...head, ...tail];
  const skipped = items.slice(head.length, items.length - tail.length).reduce((n, t) => n + t.length, 0);
  return [...head, `[... ${between.toLocaleString('en-US')} more output${between === 1 ? '' : 's'} (${skipped.toLocaleString('en-US')} characters) not shown here; the output panel shows every output ...]`, ...tail];
}

/** Shape an execution into the text a model reads: cut streams, results, errors, images, files, notes. */
export function describeExecution(tool: string, result: ExecutionResult, timeoutSeconds: number, extraLines: string[] = []): ToolOutcome {
  const { record, notes, streams, gaps } = result;
  const lines: string[] = [];
  const statusLine = STATUS_LINE[record.status](timeoutSeconds);
  if (statusLine) lines.push(statusLine);
  if (result.exitCode !== undefined && result.exitCode !== 0) lines.push(`Exit code: ${result.exitCode}`);

  const stdout = streamText(record.outputs, 'stdout');
  const stderr = streamText(record.outputs, 'stderr');
  if (stdout) {
    lines.push(truncateMiddle(stdout.replace(/\n$/, ''), LIMITS.modelStdoutChars, streams.stdout?.savedTo ?? undefined, gaps.stdout ?? 0));
  }
  if (stderr) {
    lines.push('stderr:\n' + truncateMiddle(stderr.replace(/\n$/, ''), LIMITS.modelStderrChars, streams.stderr?.savedTo ?? undefined, gaps.stderr ?? 0));
  }
  // Results, displays, pictures and errors in their order, each cut; together held to a budget
  // (a loop of display() calls makes thousands), the first and the last kept.
  const rich: string[] = [];
  let imageCount = 0;
  for (const o of record.outputs) {
    if (o.output_type === 'execute_result' || o.output_type === 'display_data') {
      if (hasImage(o.data)) {
        imageCount++;
        rich.push(
          imageCount <= LIMITS.maxImagesPerResult
            ? `[image ${imageCount}: a chart/picture is attached to this result]`
            : `[image ${imageCount}: a chart/picture, not attached (at most ${LIMITS.maxImagesPerResult} a result); the output panel shows it]`,
        );
      } else {
        const text = bundleText(o.data);
        const prefix = o.output_type === 'execute_result' ? `Out[${o.execution_count ?? ''}]: ` : '';
        if (text) rich.push(prefix + truncateMiddle(text, LIMITS.modelStdoutChars));
      }
    } else if (o.output_type === 'error') {
      const tb = o.traceback.join('\n');
      rich.push(truncateMiddle(tb || `${o.ename}: ${o.evalue}`, LIMITS.modelStderrChars));
    }
  }
  lines.push(...keepEnds(rich, LIMITS.modelOutputsChars));
  const files = record.files.map((f) => ({ path: f.path, size: f.size, type: f.type ?? mimeFromName(f.path), change: f.change }));
  // Named up to a few dozen, the rest counted by folder: the whole list is `files`, not the text.
  const report = filesReport(files).text;
  if (report) lines.push(report);
  const hint = record.status === 'ok' && record.kind !== 'shell' ? undefined : findPackageHint(record, result.exitCode);
  if (hint) lines.push(hintText(hint));
  lines.push(...extraLines, ...notes);
  if (lines.length === 0) lines.push(record.status === 'ok' ? '(no output)' : 'The execution produced no output.');
  return {
    tool,
    status: statusFromExecution(record.status),
    text: lines.join('\n'),
    outputs: record.outputs,
    images: imagesOf(record.outputs).slice(0, LIMITS.maxImagesPerResult),
    files,
    execution: record,
    notes: [statusLine, ...notes].filter(Boolean),
    ...(hint ? { hint } : {}),
  };
}
