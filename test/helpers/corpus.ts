/**
 * The notebook corpus (test/corpus/*.py): notebook-style cell sequences in the "percent" format
 * (`# %%` starts a cell, as in Jupytext and VS Code), each sequence run in order in one thread.
 *
 * A cell succeeds unless it says otherwise. `# expect:` lines at the top of a cell state what
 * must be seen instead or as well:
 *   # expect: error ZeroDivisionError   the cell fails with this exception (ename), or UsageError
 *   # expect: images 2                  exactly this many PNG/JPEG images (charts)
 *   # expect: svg                       an image/svg+xml output
 *   # expect: html                      a text/html output (table, Styler, HTML object)
 *   # expect: markdown | latex | json | javascript   an output of that MIME type
 *   # expect: text <regex>              the text a model reads matches this regex (flags: i, m)
 *   # expect: no-text <regex>           ... and does not match this one
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Output, ToolOutcome } from '../../src/core';

export interface CorpusCell {
  /** file:line of the cell's first line, for messages. */
  where: string;
  code: string;
  expectError?: string;
  images?: number;
  mimes: string[];
  text: RegExp[];
  noText: RegExp[];
}

export interface CorpusSequence {
  name: string;
  cells: CorpusCell[];
}

const MIME_WORDS: Record<string, string> = {
  svg: 'image/svg+xml', html: 'text/html', markdown: 'text/markdown', latex: 'text/latex',
  json: 'application/json', javascript: 'application/javascript',
};

export function parseSequence(name: string, source: string): CorpusSequence {
  const cells: CorpusCell[] = [];
  const lines = source.split('\n');
  let start = -1;
  const flush = (end: number) => {
    if (start < 0) return;
    const body = lines.slice(start + 1, end);
    const cell: CorpusCell = { where: `${name}:${start + 2}`, code: '', mimes: [], text: [], noText: [] };
    const code: string[] = [];
    for (const line of body) {
      const m = /^# expect: (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        code.push(line);
        continue;
      }
      const [, what, arg = ''] = m;
      if (what === 'error') cell.expectError = arg.trim();
      else if (what === 'images') cell.images = Number(arg);
      else if (what === 'image') cell.images = 1;
      else if (what === 'text') cell.text.push(new RegExp(arg, 'im'));
      else if (what === 'no-text') cell.noText.push(new RegExp(arg, 'im'));
      else if (MIME_WORDS[what]) cell.mimes.push(MIME_WORDS[what]);
      else throw new Error(`${cell.where}: unknown expectation "${line}"`);
    }
    cell.code = code.join('\n').trim();
    if (cell.code) cells.push(cell);
  };
  lines.forEach((line, i) => {
    if (/^# %%/.test(line)) {
      flush(i);
      start = i;
    }
  });
  flush(lines.length);
  return { name, cells };
}

export function loadCorpus(dir: string): CorpusSequence[] {
  return readdirSync(dir).filter((f) => f.endsWith('.py')).sort().map((f) => parseSequence(f, readFileSync(join(dir, f), 'utf8')));
}

function richOutputs(outputs: readonly Output[]) {
  return outputs.filter((o): o is Extract<Output, { data: unknown }> => o.output_type === 'display_data' || o.output_type === 'execute_result');
}

/**
 * Why a cell did not do what it was meant to, as a short cause ("NameError: name 'x' is not
 * defined", "expected 1 image, got 0"), or undefined when it did.
 */
export function checkCell(cell: CorpusCell, o: ToolOutcome): string | undefined {
  const errors = o.outputs.filter((x): x is Extract<Output, { output_type: 'error' }> => x.output_type === 'error');
  const usage = /^UsageError: .*/m.exec(o.text);
  const failure = errors[0] ? `${errors[0].ename}: ${errors[0].evalue.split('\n')[0]}` : usage ? usage[0] : undefined;
  if (cell.expectError) {
    if (o.status !== 'error') return `expected ${cell.expectError}, but the cell ended "${o.status}"`;
    const got = errors[0]?.ename ?? (usage ? 'UsageError' : undefined);
    if (got !== cell.expectError) return `expected ${cell.expectError}, got ${failure ?? 'no error output'}`;
  } else if (o.status !== 'ok' || failure) {
    return failure ?? `status ${o.status}: ${o.text.slice(0, 200)}`;
  }
  const rich = richOutputs(o.outputs);
  if (cell.images !== undefined && o.images.length !== cell.images) return `expected ${cell.images} image(s), got ${o.images.length}`;
  for (const mime of cell.mimes) {
    if (!rich.some((r) => r.data[mime] !== undefined)) return `expected a ${mime} output, got ${rich.map((r) => Object.keys(r.data).join('+')).join(', ') || 'none'}`;
  }
  for (const re of cell.text) if (!re.test(o.text)) return `model text does not match /${re.source}/: ${JSON.stringify(o.text.slice(0, 300))}`;
  for (const re of cell.noText) if (re.test(o.text)) return `model text matches /${re.source}/ but must not`;
  return undefined;
}

