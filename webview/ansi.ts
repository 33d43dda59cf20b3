/** ANSI SGR colours (IPython tracebacks, colourful shell tools) → spans with theme classes. */
const ESCAPE = /\x1b\[([0-9;]*)m/g;
/**
 * Every other escape is dropped, never shown or acted on: CSI sequences (cursor movement, screen
 * clears, modes), OSC strings ended by BEL or ST (window titles, OSC 8 hyperlinks: their text stays,
 * their URL goes), DCS/SOS/PM/APC strings, character-set and other two-byte escapes, and a lone ESC.
 * An OSC or DCS without its end loses only its introducer (its text stays visible).
 */
const OTHER_ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,8192}(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]{0,8192}\x1b\\|\x1b[ -/]+[0-~]|\x1b[0-~]?/g;
const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
}

function apply(style: Style, codes: number[]): Style {
  const s = { ...style };
  if (codes.length === 0) codes = [0];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) {
      delete s.fg;
      delete s.bg;
      s.bold = s.italic = s.underline = false;
    } else if (c === 1) s.bold = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) s.bold = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = NAMES[c - 30];
    else if (c >= 90 && c <= 97) s.fg = `bright-${NAMES[c - 90]}`;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = NAMES[c - 40];
    else if (c >= 100 && c <= 107) s.bg = `bright-${NAMES[c - 100]}`;
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0; // 256/true colour: ignored
  }
  return s;
}

/** Text with ANSI codes → a fragment of text nodes and classed spans (never HTML parsing). */
export function ansiToFragment(text: string, doc: Document = document): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  let style: Style = {};
  let last = 0;
  const push = (chunk: string) => {
    if (!chunk) return;
    chunk = chunk.replace(OTHER_ESCAPES, '');
    const classes = [style.fg && `ansi-${style.fg}`, style.bg && `ansi-bg-${style.bg}`, style.bold && 'ansi-bold', style.italic && 'ansi-italic', style.underline && 'ansi-underline'].filter(Boolean) as string[];
    if (classes.length === 0) fragment.appendChild(doc.createTextNode(chunk));
    else {
      const span = doc.createElement('span');
      span.className = classes.join(' ');
      span.textContent = chunk;
      fragment.appendChild(span);
    }
  };
  for (const m of text.matchAll(ESCAPE)) {
    push(text.slice(last, m.index));
    style = apply(style, m[1].split(';').filter(Boolean).map(Number));
    last = (m.index ?? 0) + m[0].length;
  }
  push(text.slice(last));
  return fragment;
}

export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, '').replace(OTHER_ESCAPES, '');
}
