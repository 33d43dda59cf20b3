/**
 * The file report: the files a call created or changed, as the text a model reads. A few files are
 * named one by one; many are named up to LIMITS.reportNamedFiles and the rest counted by folder, so
 * one command that writes 3,000 files costs the model's context a few hundred characters, not
 * 146,000. The whole report is held to LIMITS.reportChars whatever the names are (they come from the
 * sandbox: any length, newlines, escapes). The complete list stays in the outcome's `files` (the
 * panel, the sessions view, `--json` and the audit read that, never this text).
 */
import { LIMITS } from '../policy/limits';
import { formatBytes, nameForModel } from '../policy/truncate';
import type { ToolFile } from './outcome';

/** How an execution's report starts (the CLI picks the line out by it). */
export const FILES_HEADING = 'Files created or changed in /mnt/data: ';

export interface FilesReport {
  /** The report ('' when there are no files). */
  text: string;
  /** The files the text names, in its order. */
  named: ToolFile[];
}

export interface FilesReportOptions {
  /** What the report starts with (default FILES_HEADING). */
  heading?: string;
  /** `full`: size, type and change after each name (default); `size`: the size only. */
  detail?: 'full' | 'size';
  /** Characters the whole report may take (default LIMITS.reportChars). */
  budget?: number;
}

const naturally = new Intl.Collator('en', { numeric: true });
const count = (n: number): string => n.toLocaleString('en-US');
const CHANGES = ['created', 'modified', 'saved', 'uploaded'] as const;

/**
 * The order files are named in (the first are the ones a model most likely wants): those the tool
 * itself handed over (a PDF saved, a file uploaded) first; then visible before hidden (a path with a
 * part starting with `.`, such as `.outputs/` or `.cache/`); then shallower before deeper (what was
 * written at the top of /mnt/data before what a job wrote into folders); then by path, numbers in
 * names compared as numbers (`d/2` before `d/10`).
 */
export function reportOrder(files: readonly ToolFile[]): ToolFile[] {
  const keyed = files.map((f) => ({
    f,
    handed: f.change === 'saved' || f.change === 'uploaded' ? 0 : 1,
    hidden: /(^|\/)\./.test(f.path) ? 1 : 0,
    depth: f.path.split('/').length,
  }));
  keyed.sort((a, b) => a.handed - b.handed || a.hidden - b.hidden || a.depth - b.depth || naturally.compare(a.f.path, b.f.path));
  return keyed.map((k) => k.f);
}

/** The report on `files` (see the module's comment), at most `budget` characters. */
export function filesReport(files: readonly ToolFile[], opts: FilesReportOptions = {}): FilesReport {
  if (files.length === 0) return { text: '', named: [] };
  const heading = opts.heading ?? FILES_HEADING;
  const budget = opts.budget ?? LIMITS.reportChars;
  const ordered = reportOrder(files);
  const entry = (f: ToolFile): string => {
    const name = nameForModel(f.path, LIMITS.reportNameChars);
    const detail = opts.detail === 'size' ? [formatBytes(f.size)] : [formatBytes(f.size), f.type, f.change].filter(Boolean);
    return `${name} (${detail.join(', ')})`;
  };
  const entries = ordered.slice(0, LIMITS.reportNamedFiles).map(entry);

  // Few files: each named, as the report always was.
  if (ordered.length <= LIMITS.reportNamedFiles) {
    const text = heading + entries.join('; ');
    if (text.length <= budget) return { text, named: ordered };
  }
  // Many (or very long names): the most that fit named, the rest counted by folder.
  const total = tally(ordered);
  const opening = `${heading}${count(ordered.length)} files (${changes(total)}; ${formatBytes(total.bytes)} in all).`;
  for (let k = entries.length; k >= 0; k--) {
    const parts = [opening];
    if (k > 0) parts.push(`Named here: ${entries.slice(0, k).join('; ')}.`);
    if (k < ordered.length) parts.push(`The other ${count(ordered.length - k)}: ${folders(ordered.slice(k))}. listSessionFiles lists them (give a folder as its path).`);
    const text = parts.join(' ');
    if (text.length <= budget) return { text, named: ordered.slice(0, k) };
  }
  // Not reached with the limits' numbers (a report naming no file is far shorter): held anyway.
  return { text: opening.length <= budget ? opening : opening.slice(0, Math.max(0, budget - 1)) + '…', named: [] };
}

interface Tally {
  files: number;
  bytes: number;
  /** Files per change ('' for none). */
  changes: Map<string, number>;
}

function tally(files: readonly ToolFile[]): Tally {
  const t: Tally = { files: 0, bytes: 0, changes: new Map() };
  for (const f of files) add(t, f);
  return t;
}

function add(t: Tally, f: ToolFile): void {
  t.files++;
  t.bytes += f.size;
  const c = f.change ?? '';
  t.changes.set(c, (t.changes.get(c) ?? 0) + 1);
}

/** "2,970 created, 30 modified" (changes in a fixed order; files with none as "other"). */
function changes(t: Tally): string {
  const known: string[] = CHANGES.filter((c) => t.changes.has(c));
  const other = [...t.changes.keys()].filter((c) => !known.includes(c)).reduce((n, c) => n + t.changes.get(c)!, 0);
  return [...known.map((c) => `${count(t.changes.get(c)!)} ${c}`), ...(other ? [`${count(other)} other`] : [])].join(', ');
}

/**
 * Files counted by their top-level folder, each folder shown as the deepest one its files share
 * (`out/run1/` when everything under `out/` is in it); the largest groups first, at most
 * LIMITS.reportFolders of them, then one line for the other folders.
 */
function folders(files: readonly ToolFile[]): string {
  const groups = new Map<string, Tally & { common: string[] | undefined }>();
  for (const f of files) {
    const slash = f.path.indexOf('/');
    const top = slash < 0 ? '' : f.path.slice(0, slash);
    let g = groups.get(top);
    if (!g) groups.set(top, (g = { files: 0, bytes: 0, changes: new Map(), common: undefined }));
    add(g, f);
    const dir = f.path.split('/').slice(0, -1);
    if (g.common === undefined) g.common = dir;
    else {
      let i = 0;
      while (i < g.common.length && i < dir.length && g.common[i] === dir[i]) i++;
      g.common.length = i;
    }
  }
  const sorted = [...groups.values()].sort((a, b) => b.files - a.files || naturally.compare((a.common ?? []).join('/'), (b.common ?? []).join('/')));
  const shown = sorted.slice(0, LIMITS.reportFolders).map((g) => {
    const where = g.common && g.common.length ? `in ${nameForModel(g.common.join('/'), LIMITS.reportFolderChars)}/` : 'at the top level';
    return `${count(g.files)} ${where} (${changes(g)}, ${formatBytes(g.bytes)})`;
  });
  const others = sorted.slice(LIMITS.reportFolders);
  if (others.length) {
    const t = others.reduce((acc, g) => ({ files: acc.files + g.files, bytes: acc.bytes + g.bytes, changes: merge(acc.changes, g.changes) }), { files: 0, bytes: 0, changes: new Map<string, number>() });
    shown.push(`and ${count(t.files)} in ${count(others.length)} more folders (${changes(t)}, ${formatBytes(t.bytes)})`);
  }
  return shown.join('; ');
}

function merge(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0) + v);
  return a;
}
