/**
 * Cut text to a character budget keeping its head and tail, with a marker that says how much was
 * cut and, when known, where the whole text was saved.
 */
export function truncateMiddle(text: string, maxChars: number, savedTo?: string, extraOmittedChars = 0): string {
  if (text.length <= maxChars && extraOmittedChars === 0) return text;
  const omitted = Math.max(0, text.length - maxChars) + extraOmittedChars;
  const where = savedTo ? `; the whole output is in ${savedTo} (read it with readSessionFile)` : '';
  const marker = `\n[... ${omitted.toLocaleString('en-US')} characters cut${where} ...]\n`;
  if (text.length <= maxChars) {
    // Everything we hold fits, but the producer already dropped a middle part.
    const half = Math.floor(text.length / 2);
    return text.slice(0, half) + marker + text.slice(half);
  }
  const budget = Math.max(0, maxChars);
  const head = Math.ceil(budget * 0.6);
  const tail = budget - head;
  return text.slice(0, head) + marker + (tail > 0 ? text.slice(text.length - tail) : '');
}

/** Bytes as a short human string: 1.5 KB, 12 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Characters a file name may not carry into a model's text as they are: C0 and C1 controls and DEL
 * (a newline would start a line of its own, an ANSI escape would recolour a terminal), line and
 * paragraph separators, bidirectional overrides and marks, the byte-order mark, and lone UTF-16
 * surrogates (a name's non-UTF-8 byte, as Python's surrogateescape hands it over).
 */
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * An untrusted name (a session path) as a model may read it: on one line, each unsafe character
 * escaped (`\n`, `\x1b`, `\u202e`; a non-UTF-8 byte as `\xff`), and cut in the middle to
 * `maxChars` (head and tail kept, `…` between) so its extension stays visible. A plain name is
 * returned unchanged.
 */
export function nameForModel(name: string, maxChars: number): string {
  const escaped = name.replace(UNSAFE_IN_NAME, (ch) => {
    const named = NAMED_ESCAPES[ch];
    if (named) return named;
    const c = ch.charCodeAt(0);
    if (c >= 0xdc80 && c <= 0xdcff) return `\\x${(c - 0xdc00).toString(16).padStart(2, '0')}`;
    return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
  if (escaped.length <= maxChars) return escaped;
  const budget = Math.max(0, maxChars - 1);
  let head = Math.ceil(budget * 0.6);
  let tail = budget - head;
  // Never half a surrogate pair (lone ones were escaped above).
  if (head > 0 && /[\ud800-\udbff]/.test(escaped[head - 1])) head--;
  if (tail > 0 && /[\udc00-\udfff]/.test(escaped[escaped.length - tail])) tail--;
  return escaped.slice(0, head) + '…' + (tail > 0 ? escaped.slice(escaped.length - tail) : '');
}
