/**
 * Messages between the output panel (webview) and the extension host, typed both ways. This file
 * is shared by both sides: types only, no imports (the webview may not import core or vscode).
 */

/** nbformat v4 outputs, as the panel needs them (structurally the core's `Output`). */
export type MimeBundle = Record<string, unknown>;
export type PanelOutput =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: 'execute_result'; execution_count: number | null; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export type CellStatus = 'running' | 'ok' | 'error' | 'timeout' | 'interrupted' | 'killed';

export interface PanelFile {
  path: string;
  size: number;
  change: string;
  type?: string;
}

export interface PanelCell {
  id: string;
  kind: 'python' | 'shell' | 'pdf';
  code: string;
  started: string;
  durationMs?: number;
  status: CellStatus;
  outputs: PanelOutput[];
  files: PanelFile[];
}

export interface PanelSession {
  /** The thread hash: the only session id the webview sees. */
  id: string;
  title: string;
  state: 'running' | 'stopped' | 'no container' | 'new';
  busy: boolean;
}

/** One resource figure of the selected session (the host formats it; structurally the core's ResourceMeter). */
export interface PanelMeter {
  key: 'memory' | 'cpu' | 'pids' | 'disk';
  label: string;
  text: string;
  /** How full, 0–1 (absent: no limit, or no figure yet). */
  fraction?: number;
  /** Near (or past) its limit: shown in the warning colour. */
  near: boolean;
}

export type HostMessage =
  | { type: 'sessions'; sessions: PanelSession[]; selected: string | undefined }
  | { type: 'cells'; session: string; cells: PanelCell[]; reveal?: string }
  | { type: 'cellStart'; session: string; cell: PanelCell }
  /** Outputs of a running cell, in order (batched by the host). */
  | { type: 'outputs'; session: string; cell: string; outputs: PanelOutput[] }
  | { type: 'cellEnd'; session: string; cell: PanelCell }
  | { type: 'reveal'; session: string; cell: string }
  /** The selected session's memory, CPU, processes and files next to their limits (none: it does not run). */
  | { type: 'resources'; session: string; meters: PanelMeter[]; note?: string };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'selectSession'; session: string }
  | { type: 'openFile'; session: string; path: string }
  | { type: 'interrupt'; session: string }
  | { type: 'restartKernel'; session: string }
  | { type: 'exportNotebook'; session: string }
  | { type: 'copyCode'; code: string };

const ID = /^[0-9a-f]{16}$/;

/**
 * Check a message from the webview (untrusted: its page renders output of untrusted code).
 * Returns the message when its shape is exactly right, else undefined.
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  const keys = Object.keys(m).sort().join(',');
  const session = typeof m.session === 'string' && ID.test(m.session) ? m.session : undefined;
  switch (m.type) {
    case 'ready':
      return keys === 'type' ? { type: 'ready' } : undefined;
    case 'selectSession':
    case 'interrupt':
    case 'restartKernel':
    case 'exportNotebook':
      return keys === 'session,type' && session ? { type: m.type, session } : undefined;
    case 'openFile':
      return keys === 'path,session,type' && session && typeof m.path === 'string' && m.path.length > 0 && m.path.length <= 4096 ? { type: 'openFile', session, path: m.path } : undefined;
    case 'copyCode':
      return keys === 'code,type' && typeof m.code === 'string' && m.code.length <= 1_000_000 ? { type: 'copyCode', code: m.code } : undefined;
    default:
      return undefined;
  }
}
