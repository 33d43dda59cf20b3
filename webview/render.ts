/**
 * Cells and outputs → DOM. Output content is only ever set as text, sanitised HTML, data: images,
 * or a cleaned Plotly figure drawn by plotly.js.
 */
import MarkdownIt from 'markdown-it';
import { ansiToFragment, stripAnsi } from './ansi';
import { plotlyOutput } from './plotly';
import { PanelCell, PanelFile, PanelOutput } from './protocol';
import { sanitizeHtml } from './sanitize';

const markdown = new MarkdownIt({ html: false, linkify: false, breaks: false });

export interface RenderContext {
  openFile(path: string): void;
  copy(code: string): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function text(value: unknown): string {
  if (Array.isArray(value)) return value.join('');
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

/** IPython's default repr (`<IPython.core.display.Latex object>`): shown only when nothing better is there. */
const DEFAULT_REPR = /^<[\w.]+( object)?( at 0x[0-9a-f]+)?>$/;

const PLOTLY = 'application/vnd.plotly.v1+json';

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

function image(mime: string, base64: string, alt: string): HTMLElement {
  const wrap = el('div', 'output-image');
  const img = el('img');
  img.alt = alt;
  img.src = `data:${mime};base64,${base64.replace(/\s+/g, '')}`;
  wrap.appendChild(img);
  return wrap;
}

function svgImage(svg: string): HTMLElement {
  // As an <img>, an SVG is a picture: its scripts never run and it loads nothing.
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return image('image/svg+xml', btoa(binary), 'SVG output');
}

function pre(content: string, className: string): HTMLElement {
  const p = el('pre', className);
  p.appendChild(ansiToFragment(content));
  return p;
}

/** One mime bundle: the richest representation we can show safely. */
function bundle(data: Record<string, unknown>, ctx: RenderContext): HTMLElement {
  // A Plotly figure, interactive (cleaned first; plotly.ts). If it is no figure or plotly fails,
  // the rest of the bundle is shown as if the figure were not there (its text form).
  if (data[PLOTLY] !== undefined) {
    const { [PLOTLY]: figure, ...rest } = data;
    return plotlyOutput(figure, () => bundle(Object.keys(rest).length ? rest : { 'text/plain': '(a Plotly chart that could not be shown)' }, ctx));
  }
  for (const mime of IMAGE_TYPES) {
    if (data[mime] !== undefined) return image(mime, text(data[mime]), stripAnsi(text(data['text/plain'] ?? 'image output')).slice(0, 200));
  }
  if (data['image/svg+xml'] !== undefined) return svgImage(text(data['image/svg+xml']));
  if (data['text/html'] !== undefined) {
    const div = el('div', 'output-html');
    div.appendChild(sanitizeHtml(text(data['text/html'])));
    return div;
  }
  if (data['text/markdown'] !== undefined) {
    const div = el('div', 'output-markdown');
    div.appendChild(sanitizeHtml(markdown.render(text(data['text/markdown'])), { links: true }));
    wireLinks(div, ctx);
    return div;
  }
  if (data['application/json'] !== undefined) return pre(JSON.stringify(data['application/json'], null, 2), 'output-json');
  const script = data['application/javascript'] ?? data['text/javascript'];
  if (script !== undefined) {
    // Code from the sandbox is shown, never run (the page's CSP would refuse it anyway).
    const div = el('div', 'output-code');
    div.appendChild(el('div', 'output-note', 'JavaScript output (shown as code, not run)'));
    div.appendChild(el('pre', 'output-text', text(script)));
    return div;
  }
  const plain = data['text/plain'] !== undefined ? text(data['text/plain']) : undefined;
  const informativePlain = plain !== undefined && !DEFAULT_REPR.test(plain.trim()) ? plain : undefined;
  if (data['text/latex'] !== undefined && informativePlain === undefined) return pre(text(data['text/latex']), 'output-text output-latex');
  if (plain !== undefined && (informativePlain !== undefined || Object.keys(data).length === 1)) return pre(plain, 'output-text');
  const mimes = Object.keys(data).filter((m) => m !== 'text/plain').join(', ');
  return el('div', 'output-note', `(output of type ${mimes} is not shown here)`);
}

/**
 * Links inside markdown: session paths open the file; nothing else navigates the panel. The
 * sanitiser left each link's target in `data-href` (an <a href> would be followed by VS Code's
 * webview host on any click, whatever this page does with the event).
 */
function wireLinks(root: HTMLElement, ctx: RenderContext): void {
  root.querySelectorAll('a').forEach((a) => {
    const href = a.dataset.href ?? '';
    const path = href.replace(/^(\.\/|\/mnt\/data\/|sandbox:\/mnt\/data\/)/, '');
    const opens = !!path && !/^[a-z][a-z0-9+.-]*:/i.test(path) && !path.startsWith('#');
    a.title = href;
    if (!opens) {
      a.classList.add('link-inert');
      return;
    }
    activate(a, () => ctx.openFile(decodePath(path)));
  });
}

/** A markdown link's path as the file's name (markdown-it percent-encodes what it must). */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** An element without href that acts as a link: click, Enter and Space, focusable. */
function activate(a: HTMLElement, run: () => void): void {
  a.setAttribute('role', 'link');
  a.tabIndex = 0;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    run();
  });
  a.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      run();
    }
  });
}

export function renderOutput(o: PanelOutput, ctx: RenderContext): HTMLElement {
  switch (o.output_type) {
    case 'stream':
      return pre(o.text, o.name === 'stderr' ? 'output-stream stderr' : 'output-stream');
    case 'display_data':
    case 'execute_result': {
      const wrap = el('div', `output-rich ${o.output_type}`);
      if (o.output_type === 'execute_result' && o.execution_count !== null) {
        wrap.dataset.prompt = `Out[${o.execution_count}]`;
      }
      wrap.appendChild(bundle(o.data ?? {}, ctx));
      return wrap;
    }
    case 'error': {
      const wrap = el('div', 'output-error');
      wrap.appendChild(el('div', 'error-title', `${o.ename}: ${stripAnsi(o.evalue)}`));
      if (o.traceback?.length) wrap.appendChild(pre(o.traceback.join('\n'), 'error-traceback'));
      return wrap;
    }
    default:
      return el('div', 'output-note', '(unknown output)');
  }
}

/** Append a stream chunk to the previous stream block of the same name (kernels send chunks). */
export function appendOutput(container: HTMLElement, o: PanelOutput, ctx: RenderContext): void {
  const last = container.lastElementChild as HTMLElement | null;
  if (o.output_type === 'stream' && last?.classList.contains('output-stream') && last.classList.contains('stderr') === (o.name === 'stderr')) {
    last.appendChild(ansiToFragment(o.text));
    return;
  }
  container.appendChild(renderOutput(o, ctx));
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const KIND_LABEL = { python: 'Python', shell: 'Shell', pdf: 'PDF report' } as const;
const STATUS_LABEL: Record<PanelCell['status'], string> = { running: 'running', ok: 'ok', error: 'error', timeout: 'timed out', interrupted: 'interrupted', killed: 'kernel lost' };

export function renderFiles(files: PanelFile[], ctx: RenderContext): HTMLElement {
  const div = el('div', 'cell-files');
  // The host leaves the kernel's saved outputs out (toPanelCell).
  for (const f of files) {
    // No href (see wireLinks): a file link is the panel's own button, the name only ever text.
    const a = el('a', 'file-link');
    a.dataset.path = f.path;
    const icon = el('span', `codicon codicon-${/^image\//.test(f.type ?? '') ? 'file-media' : f.path.endsWith('.pdf') ? 'file-pdf' : 'file'}`);
    a.append(icon, document.createTextNode(` ${f.path}`), el('span', 'file-meta', ` ${formatSize(f.size)} · ${f.change}`));
    activate(a, () => ctx.openFile(f.path));
    div.appendChild(a);
  }
  return div;
}

/** A whole cell. `index` is its 1-based position in the session. */
export function renderCell(cell: PanelCell, index: number, ctx: RenderContext): HTMLElement {
  const section = el('section', 'cell');
  section.dataset.id = cell.id;
  section.dataset.status = cell.status;
  section.dataset.kind = cell.kind;

  const head = el('div', 'cell-head');
  head.appendChild(el('span', 'cell-index', `[${index}]`));
  head.appendChild(el('span', `cell-kind kind-${cell.kind}`, KIND_LABEL[cell.kind] ?? cell.kind));
  const started = new Date(cell.started);
  head.appendChild(el('span', 'cell-time', Number.isNaN(started.getTime()) ? '' : started.toLocaleTimeString()));
  head.appendChild(el('span', 'cell-duration', formatDuration(cell.durationMs)));
  const spacer = el('span', 'spacer');
  head.appendChild(spacer);
  if (cell.status === 'running') {
    head.appendChild(document.createElement('vscode-progress-ring')).classList.add('cell-spinner');
  }
  const status = document.createElement('vscode-badge');
  status.className = `cell-status status-${cell.status}`;
  status.textContent = STATUS_LABEL[cell.status] ?? cell.status;
  head.appendChild(status);
  const copy = document.createElement('vscode-button') as HTMLElement;
  copy.setAttribute('icon', 'copy');
  copy.setAttribute('icon-only', '');
  copy.setAttribute('secondary', '');
  copy.title = 'Copy code';
  copy.setAttribute('aria-label', 'Copy code');
  copy.addEventListener('click', () => ctx.copy(cell.code));
  head.appendChild(copy);
  section.appendChild(head);

  const code = el('pre', `cell-code lang-${cell.kind === 'shell' ? 'bash' : 'python'}`);
  code.appendChild(el('code', undefined, cell.code));
  section.appendChild(code);

  const outputs = el('div', 'cell-outputs');
  for (const o of cell.outputs) appendOutput(outputs, o, ctx);
  section.appendChild(outputs);
  if (cell.files.length) section.appendChild(renderFiles(cell.files, ctx));
  return section;
}
