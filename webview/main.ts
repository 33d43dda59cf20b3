/** The output panel's page: renders cells for the selected session and talks to the host. */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { HostMessage, PanelCell, PanelOutput, PanelSession, WebviewMessage } from './protocol';
import { appendOutput, renderCell, RenderContext } from './render';
import { createResourceMeters } from './resources';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode: VsCodeApi = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage: (m) => console.log('postMessage', m) };

let sessions: PanelSession[] = [];
let selected: string | undefined;
let cells: PanelCell[] = [];

const app = document.getElementById('app')!;
app.innerHTML = '';

const toolbar = document.createElement('header');
toolbar.className = 'toolbar';
const label = document.createElement('span');
label.className = 'toolbar-label';
label.textContent = 'Session';
const picker = document.createElement('vscode-single-select') as HTMLElement & { value: string };
picker.id = 'session-picker';
picker.setAttribute('aria-label', 'Session');
const state = document.createElement('vscode-badge');
state.id = 'session-state';
const spacer = document.createElement('span');
spacer.className = 'spacer';

function button(id: string, icon: string, text: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.setAttribute('icon', icon);
  b.setAttribute('secondary', '');
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}
const send = (type: 'interrupt' | 'restartKernel' | 'exportNotebook') => () => selected && vscode.postMessage({ type, session: selected });
const interrupt = button('interrupt', 'debug-stop', 'Interrupt', send('interrupt'));
const restart = button('restart', 'debug-restart', 'Restart kernel', send('restartKernel'));
const exportNb = button('export', 'notebook', 'Export .ipynb', send('exportNotebook'));
const meters = createResourceMeters();
toolbar.append(label, picker, state, spacer, interrupt, restart, exportNb, meters.element);

const list = document.createElement('main');
list.id = 'cells';
app.append(toolbar, list);

picker.addEventListener('change', () => {
  const value = picker.value;
  if (value && value !== selected) vscode.postMessage({ type: 'selectSession', session: value });
});

const ctx: RenderContext = {
  openFile: (path) => selected && vscode.postMessage({ type: 'openFile', session: selected, path }),
  copy: (code) => vscode.postMessage({ type: 'copyCode', code }),
};

const STATE_TEXT: Record<PanelSession['state'], string> = { running: 'running', stopped: 'stopped', 'no container': 'files only', new: 'not started' };

function renderSessions(): void {
  picker.replaceChildren(
    ...sessions.map((s) => {
      const o = document.createElement('vscode-option') as HTMLElement & { value: string; selected: boolean };
      o.setAttribute('value', s.id);
      o.textContent = s.title;
      if (s.id === selected) o.setAttribute('selected', '');
      return o;
    }),
  );
  if (selected) picker.value = selected;
  const s = sessions.find((x) => x.id === selected);
  state.textContent = s ? (s.busy ? 'running code' : STATE_TEXT[s.state]) : '';
  const busy = !!s?.busy || cells.some((c) => c.status === 'running');
  interrupt.toggleAttribute('disabled', !busy);
  exportNb.toggleAttribute('disabled', !cells.some((c) => c.status !== 'running'));
  restart.toggleAttribute('disabled', !s || s.state === 'new');
}

function renderEmpty(): void {
  const empty = document.createElement('div');
  empty.className = 'empty';
  const h = document.createElement('h2');
  h.textContent = 'No executions yet';
  const p = document.createElement('p');
  p.textContent = 'Code this session runs appears here as cells: ask @interpreter in the chat, let an agent use the Code Interpreter tools, or run “Code Interpreter: Run Selection in Sandbox” on some Python.';
  empty.append(h, p);
  list.replaceChildren(empty);
}

function renderAll(reveal?: string): void {
  appended = 0;
  if (cells.length === 0) renderEmpty();
  else list.replaceChildren(...cells.map((c, i) => renderCell(c, i + 1, ctx)));
  renderSessions();
  if (reveal) scrollTo(reveal);
  else window.scrollTo({ top: document.body.scrollHeight });
}

function scrollTo(id: string): void {
  const node = list.querySelector(`section.cell[data-id="${CSS.escape(id)}"]`);
  if (node) {
    node.scrollIntoView({ block: 'start' });
    node.classList.add('flash');
    setTimeout(() => node.classList.remove('flash'), 1500);
  }
}

function nearBottom(): boolean {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
}

function cellNode(id: string): HTMLElement | null {
  return list.querySelector(`section.cell[data-id="${CSS.escape(id)}"]`);
}

function replaceCell(cell: PanelCell): void {
  const i = cells.findIndex((c) => c.id === cell.id);
  const follow = nearBottom();
  if (i === -1) {
    cells.push(cell);
    if (cells.length === 1) list.replaceChildren();
    list.appendChild(renderCell(cell, cells.length, ctx));
  } else {
    cells[i] = cell;
    cellNode(cell.id)?.replaceWith(renderCell(cell, i + 1, ctx));
  }
  renderSessions();
  if (follow) window.scrollTo({ top: document.body.scrollHeight });
}

/**
 * Outputs arrive in small batches (a cell may send thousands): they are appended in larger ones,
 * with one look at the scroll position and one scroll per batch. Each look is a layout that costs
 * time in the number of outputs shown, so the pause between batches grows with it: appending one
 * by one took minutes for 10,000 outputs, and so did a batch every 30 ms when they trickle in
 * (under gVisor), with the workbench beside the panel frozen meanwhile.
 */
let pending: { cell: string; output: PanelOutput }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;
/** Outputs appended since the last full render. */
let appended = 0;

function queueOutput(cell: string, output: PanelOutput): void {
  pending.push({ cell, output });
  flushTimer ??= setTimeout(flushOutputs, Math.min(1000, 30 + appended / 5));
}

function flushOutputs(): void {
  flushTimer = undefined;
  const batch = pending;
  pending = [];
  if (batch.length === 0) return;
  appended += batch.length;
  const follow = nearBottom();
  let container: HTMLElement | null | undefined;
  let containerOf: string | undefined;
  for (const { cell, output } of batch) {
    if (cell !== containerOf) {
      container = cellNode(cell)?.querySelector<HTMLElement>('.cell-outputs');
      containerOf = cell;
    }
    if (container) appendOutput(container, output, ctx);
  }
  if (follow) window.scrollTo({ top: document.body.scrollHeight });
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'sessions':
      sessions = m.sessions;
      if (m.selected !== selected) meters.show([]);
      selected = m.selected;
      renderSessions();
      break;
    case 'cells':
      selected = m.session;
      cells = m.cells;
      pending = [];
      renderAll(m.reveal);
      break;
    case 'cellStart':
      if (m.session === selected) replaceCell(m.cell);
      break;
    case 'outputs': {
      if (m.session !== selected) break;
      const cell = cells.find((c) => c.id === m.cell);
      if (!cell) break;
      for (const output of m.outputs) {
        cell.outputs.push(output);
        queueOutput(m.cell, output);
      }
      break;
    }
    case 'cellEnd':
      if (m.session === selected) {
        pending = pending.filter((p) => p.cell !== m.cell.id); // the cell comes whole
        replaceCell(m.cell);
      }
      break;
    case 'reveal':
      if (m.session === selected) scrollTo(m.cell);
      break;
    case 'resources':
      if (m.session === selected) meters.show(m.meters, m.note);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
