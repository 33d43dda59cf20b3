/**
 * A rich output's text form, for readers that take text only (a model's tool result, a terminal):
 * the most informative representation in its mime bundle, never its markup run or rendered.
 */
import { MimeBundle, mimeText } from './nbformat';

/** IPython's default repr (`<IPython.core.display.HTML object>`, `<__main__.Report at 0x7f…>`) says nothing. */
const DEFAULT_REPR = /^<[\w.]+( object)?( at 0x[0-9a-f]+)?>$/;

/** The picture formats a tool result attaches as image parts (what vision models take). */
export const ATTACHED_IMAGE_MIMES = ['image/png', 'image/jpeg'] as const;

/** What the reader gets for a bundle whose picture it can't see (no PNG/JPEG beside it). */
const NOT_ATTACHED: Record<string, string> = {
  'image/svg+xml': '[an SVG image, shown to the user; not attached here]',
  'application/vnd.plotly.v1+json': '[an interactive Plotly chart, shown to the user; not attached here — draw it with matplotlib for a picture]',
  'application/vnd.vega.v5+json': '[a Vega chart; not attached here]',
  'application/vnd.vegalite.v5+json': '[a Vega-Lite chart; not attached here]',
  'application/vnd.jupyter.widget-view+json': '[an interactive widget: it needs a notebook frontend, which the sandbox does not have]',
};

/** Does the bundle carry a picture that is attached to tool results as an image part? */
export function hasImage(data: MimeBundle): boolean {
  return ATTACHED_IMAGE_MIMES.some((m) => data[m] !== undefined);
}

/**
 * The bundle as text. Images are left to the caller (they travel as image parts); HTML becomes
 * its text (a table keeps rows and columns); JavaScript is shown as code and marked as not run.
 */
export function bundleText(data: MimeBundle): string {
  const plain = data['text/plain'] !== undefined ? mimeText(data['text/plain']) : undefined;
  const informativePlain = plain !== undefined && !DEFAULT_REPR.test(plain.trim()) ? plain : undefined;
  if (data['text/markdown'] !== undefined) return mimeText(data['text/markdown']);
  if (data['text/latex'] !== undefined && informativePlain === undefined) return mimeText(data['text/latex']);
  if (data['application/javascript'] !== undefined || data['text/javascript'] !== undefined) {
    return '[JavaScript output, shown as code and never run]\n' + mimeText(data['application/javascript'] ?? data['text/javascript']);
  }
  if (data['text/html'] !== undefined && informativePlain === undefined) return htmlToText(mimeText(data['text/html']));
  if (data['application/json'] !== undefined && informativePlain === undefined) return JSON.stringify(data['application/json'], null, 2);
  if (!hasImage(data)) {
    const note = Object.keys(NOT_ATTACHED).find((m) => data[m] !== undefined);
    if (note) return [informativePlain, NOT_ATTACHED[note]].filter(Boolean).join('\n');
  }
  if (plain !== undefined) return plain;
  const mimes = Object.keys(data);
  return mimes.length ? `[output of type ${mimes.join(', ')}]` : '';
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', times: '×', divide: '÷', minus: '−', plusmn: '±',
  middot: '·', hellip: '…', mdash: '—', ndash: '–', deg: '°', le: '≤', ge: '≥', ne: '≠', asymp: '≈', infin: '∞',
  copy: '©', reg: '®', trade: '™', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶', bull: '•',
  laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', larr: '←', rarr: '→', uarr: '↑', darr: '↓',
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', mu: 'μ', pi: 'π', sigma: 'σ', Sigma: 'Σ', Delta: 'Δ', check: '✓',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Untrusted HTML as plain text: scripts and styles dropped, block ends as newlines, table cells
 * separated by " | " so a styled table (pandas Styler) still reads as a table. Nothing is parsed
 * into a document or executed.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|template|head)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\/t[dh]\s*>\s*(?=<t[dh]\b)/gi, ' | ')
    .replace(/<(p|div|h[1-6]|table|pre|blockquote)\b[^>]*>/gi, '\n')
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h[1-6]|table|caption|pre|blockquote|dt|dd)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''))
    .join('\n')
    .trim();
}

const TABLE_TAGS = new Set(['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td']);

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The tables of untrusted HTML (a DataFrame's `_repr_html_`), rebuilt for a renderer that would run
 * the HTML it is given (VS Code's notebook output renderer does): only table elements come out, with
 * no attribute but a numeric `rowspan`/`colspan`, and every text as escaped text. Nothing of the
 * input is copied as markup, so a parse that the input fools yields wrong cells, never a script, a
 * handler, a style or a URL. Undefined when there is no table (the caller then shows text instead).
 */
export function tableHtml(html: string): string | undefined {
  if (!/<table\b/i.test(html)) return undefined;
  const source = html.replace(/<(script|style|template|head|title|textarea|noscript|svg|math|iframe|object)\b[\s\S]*?<\/\1\s*>/gi, '').replace(/<!--[\s\S]*?-->/g, '');
  let out = '';
  let text = '';
  const flush = () => {
    // Whitespace between elements is dropped; text outside a cell still shows, as text.
    if (text.trim()) out += escapeHtml(decodeEntities(text));
    text = '';
  };
  for (const m of source.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*)>|[^<]+|</g)) {
    const name = m[2]?.toLowerCase();
    if (name === undefined) {
      text += m[0];
      continue;
    }
    if (!TABLE_TAGS.has(name)) continue; // any other element: the tag goes, its text stays
    flush();
    if (m[1]) {
      out += `</${name}>`;
      continue;
    }
    let attributes = '';
    for (const a of (m[3] ?? '').matchAll(/(?:^|\s)(rowspan|colspan)\s*=\s*["']?(\d{1,4})(?=["'\s/]|$)/gi)) attributes += ` ${a[1].toLowerCase()}="${Number(a[2])}"`;
    out += `<${name}${attributes}>`;
  }
  flush();
  return out;
}
