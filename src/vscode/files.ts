/**
 * Session files in VS Code: a read-only FileSystemProvider (`sandbox-session://<threadHash>/<path>`)
 * so they open in VS Code's own editors and previewers, and the sidebar tree of sessions and their
 * files, with drag-and-drop upload. Every byte moves through the core (Docker's archive API).
 */
import { basename, posix } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, formatBytes, InputError, LIMITS, resourceBrief, resourceMeters, resourceSummary, UploadSource, validateSessionPath } from '../core';
import type { FileEntry as FileEntryLike } from '../core';
import type { EnvironmentView } from './environment';
import type { ResourceWatch } from './resources';
import { SessionInfo, SessionsModel, sessionUri } from './sessions';
import { inlineCode } from './tools';

export const SCHEME = 'sandbox-session';
/** Bytes a file may have to be opened in an editor. */
const MAX_OPEN_BYTES = LIMITS.maxOpenBytes;

/**
 * Whether a session path can be a URI. A file name that is not UTF-8 comes from the sandbox with
 * each undecodable byte as a lone surrogate (Python's surrogateescape); a vscode.Uri holding one
 * throws when the workbench prints it (encodeURIComponent), and one such row breaks the whole tree.
 */
export function isWellFormedPath(path: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(path);
}

/** A path for display: each lone surrogate (a non-UTF-8 byte) as U+FFFD. */
export function displayPath(path: string): string {
  return path.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Thread hash and session path of a `sandbox-session:` URI. */
export function parseSessionUri(uri: vscode.Uri): { hash: string; path: string } {
  if (uri.scheme !== SCHEME) throw vscode.FileSystemError.FileNotFound(uri);
  const raw = uri.path.replace(/^\/+/, '');
  return { hash: uri.authority, path: raw === '' ? '.' : validateSessionPath(raw, { allowRoot: true }) };
}

export class SessionFileSystem implements vscode.FileSystemProvider {
  private readonly _onDidChangeFile = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this._onDidChangeFile.event;

  constructor(private readonly model: SessionsModel) {}

  /** Tell open editors a session's files changed (after an execution or an upload). */
  changed(hash: string, paths: string[]): void {
    const uris = paths.filter(isWellFormedPath).map((p) => ({ type: vscode.FileChangeType.Changed, uri: sessionUri(hash, p) }));
    if (uris.length) this._onDidChangeFile.fire(uris);
  }

  private async locate(uri: vscode.Uri) {
    let parsed;
    try {
      parsed = parseSessionUri(uri);
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    const key = await this.model.resolveHash(parsed.hash);
    if (!key) throw vscode.FileSystemError.FileNotFound(uri);
    return { session: this.model.session(key), path: parsed.path };
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { session, path } = await this.locate(uri);
    if (path === '.') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    const where = await wrap(uri, () => session.files.resolve(path));
    if (!where.exists) throw vscode.FileSystemError.FileNotFound(uri);
    if (where.type === 'dir') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    const listing = await wrap(uri, () => session.files.list(path, 1));
    const entry = listing.entries.find((e) => e.type === 'file');
    const mtime = entry ? Date.parse(entry.mtime) || 0 : 0;
    return { type: vscode.FileType.File, ctime: mtime, mtime, size: entry?.size ?? 0, permissions: vscode.FilePermission.Readonly };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { session, path } = await this.locate(uri);
    const entries = await wrap(uri, () => session.files.list(path));
    return directChildren(entries.entries, path).map((e) => [posix.basename(e.path), e.type === 'dir' ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { session, path } = await this.locate(uri);
    return wrap(uri, () => session.files.download(path, MAX_OPEN_BYTES));
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}

async function wrap<T>(uri: vscode.Uri, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputError && /does not exist|not found|No such/i.test(err.message)) throw vscode.FileSystemError.FileNotFound(uri);
    throw vscode.FileSystemError.Unavailable(`${uri.path}: ${errorMessage(err)}`);
  }
}

/** Entries directly inside `dir` from a recursive listing (folders implied by deeper paths too). */
export function directChildren(entries: readonly FileEntryLike[], dir: string): FileEntryLike[] {
  const prefix = dir === '.' ? '' : `${dir}/`;
  const out = new Map<string, FileEntryLike>();
  for (const e of entries) {
    if (!e.path.startsWith(prefix) || e.path === dir) continue;
    const rest = e.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) out.set(rest, e);
    else if (!out.has(rest.slice(0, slash))) out.set(rest.slice(0, slash), { path: prefix + rest.slice(0, slash), type: 'dir', size: 0, mtime: e.mtime });
  }
  return [...out.values()].sort((a, b) => (a.type === 'dir') !== (b.type === 'dir') ? (a.type === 'dir' ? -1 : 1) : a.path.localeCompare(b.path));
}

export type TreeNode = { kind: 'session'; info: SessionInfo } | { kind: 'file'; threadKey: string; hash: string; entry: FileEntryLike } | { kind: 'message'; text: string; threadKey: string };

export class SessionTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.TreeDragAndDropController<TreeNode> {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  readonly dropMimeTypes = ['text/uri-list', 'files'];
  readonly dragMimeTypes: string[] = [];
  /** Cached listings per thread, dropped on refresh. */
  private readonly listings = new Map<string, Promise<FileEntryLike[]>>();

  constructor(
    private readonly model: SessionsModel,
    private readonly upload: (threadKey: string, files: UploadSource[]) => Promise<void>,
    /** Which sandbox environment sessions run on (a row's description and tooltip). */
    private readonly environment?: EnvironmentView,
    /** Memory and CPU of running sessions (a row's description and tooltip). */
    private readonly resources?: ResourceWatch,
  ) {}

  private loaded = false;

  /** What each session row showed last (its label, state, active mark), and the rows' order. */
  private readonly shown = new Map<string, string>();
  private shownKeys = '';

  /**
   * Redraw what changed (a state, a title, the active mark), keeping the file listings: only the
   * rows that changed are refreshed, unless sessions came or went. Rows that re-render under the
   * pointer for nothing would make the view flicker and lose clicks.
   */
  redraw(): void {
    const list = this.model.list();
    const keys = list.map((i) => i.threadKey).join('\n');
    if (keys !== this.shownKeys) {
      this._onDidChangeTreeData.fire();
      return;
    }
    for (const info of list) {
      const node = this.sessionNodes.get(info.threadKey);
      if (node && this.shown.get(info.threadKey) !== this.signature(info)) {
        node.info = info;
        this._onDidChangeTreeData.fire(node);
      }
    }
  }

  private signature(info: SessionInfo): string {
    return JSON.stringify([info.title, info.state, info.busy, info.threadKey === this.model.active, this.environment?.shortLabel(info.image), this.environment?.describe(info.image), this.figureState(info)]);
  }

  /**
   * What of the figures redraws a row: only a limit coming near (its icon's colour), never a new
   * reading. Redrawing a session row redraws its file rows too, and a redrawn row under the pointer
   * loses clicks, and a redrawn focused one takes the focus back from an open quick pick, closing it.
   * The figures are in the row's tooltip, made on hover with the reading of that moment.
   */
  private figureState(info: SessionInfo): string {
    return this.figures(info)?.near ? 'near' : '';
  }

  /** A running session's resource figures: a few words, a tooltip line, whether one is near its limit. */
  private figures(info: SessionInfo): { brief: string; line: string; near: boolean } | undefined {
    const r = info.state === 'running' ? this.resources?.get(info.threadKey) : undefined;
    if (!r) return undefined;
    return { brief: resourceBrief(r), line: resourceSummary(r), near: r.state === 'running' && resourceMeters(r).some((m) => m.near) };
  }

  /** Forget the file listings (of one session, or all) and redraw. */
  refresh(threadKey?: string): void {
    if (threadKey) {
      this.listings.delete(threadKey);
      const node = this.sessionNodes.get(threadKey);
      if (node && this.shownKeys.includes(threadKey)) {
        this._onDidChangeTreeData.fire(node);
        return;
      }
    } else this.listings.clear();
    this._onDidChangeTreeData.fire();
  }

  /** A session row's tooltip, when the pointer rests on it: its state, resource use, environment and key. */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind !== 'session') return item;
    const info = this.model.list().find((i) => i.threadKey === node.info.threadKey) ?? node.info;
    const state = stateText(info);
    const figures = this.figures(info);
    const envLine = this.environment ? `\n\n${this.environment.describe(info.image)}` : '';
    const runtimeLine = info.runtime ? `\n\n${vscode.l10n.t('Runtime: {0}', info.runtime === 'runsc' ? 'runsc (gVisor)' : info.runtime)}` : '';
    // The title (a chat prompt, a name an MCP client gave) and the key are text, never markdown.
    const tooltip = new vscode.MarkdownString('**').appendText(info.title).appendMarkdown('**\n\n').appendText(state);
    if (figures) tooltip.appendMarkdown('\n\n').appendText(figures.line);
    tooltip.appendMarkdown(`${envLine}${runtimeLine}\n\n`);
    item.tooltip = tooltip.appendMarkdown(inlineCode(info.threadKey.replace(/\s+/g, ' ')));
    return item;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.contextValue = 'message';
      return item;
    }
    if (node.kind === 'session') {
      const { info } = node;
      const active = info.threadKey === this.model.active;
      this.shown.set(info.threadKey, this.signature(info));
      const item = new vscode.TreeItem(info.title, active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `session:${info.threadHash}`;
      const state = stateText(info);
      const env = this.environment?.shortLabel(info.image);
      const figures = this.figures(info);
      item.description = [state, active ? vscode.l10n.t('active') : '', env ?? ''].filter(Boolean).join(' · ');
      const warn = figures?.near ? new vscode.ThemeColor('list.warningForeground') : undefined;
      item.iconPath = new vscode.ThemeIcon(info.busy ? 'sync~spin' : info.state === 'running' ? 'vm-running' : 'vm-outline', warn);
      // The tooltip is made on hover (resolveTreeItem), with the figures of that moment.
      item.contextValue = `session.${info.state === 'running' ? 'running' : 'stopped'}${info.busy ? '.busy' : ''}`;
      item.resourceUri = sessionUri(info.threadHash);
      return item;
    }
    const { entry, hash } = node;
    const isDir = entry.type === 'dir';
    const item = new vscode.TreeItem(displayPath(basename(entry.path)), isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `file:${hash}:${entry.path}`;
    const addressable = isWellFormedPath(entry.path);
    if (addressable) item.resourceUri = sessionUri(hash, entry.path);
    item.iconPath = isDir ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
    item.contextValue = isDir ? 'folder' : addressable ? 'file' : 'file.unnamed';
    if (!isDir) {
      item.description = formatBytes(entry.size);
      item.tooltip = `/mnt/data/${displayPath(entry.path)}\n${formatBytes(entry.size)} · ${entry.mtime}${addressable ? '' : `\n${vscode.l10n.t('The name is not valid UTF-8: rename the file in the sandbox to open it here.')}`}`;
      if (addressable) item.command = { command: 'codeInterpreter.openFile', title: vscode.l10n.t('Open'), arguments: [node] };
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      if (!this.loaded) {
        // The first time: ask Docker for sessions from earlier windows (later: refresh command, events).
        this.loaded = true;
        await this.model.refresh();
      }
      // A stable order (Docker's creation order, then sessions not started yet): selecting a
      // session must not move rows under the pointer.
      const list = this.model.list();
      this.shownKeys = list.map((i) => i.threadKey).join('\n');
      return list.map((info) => this.sessionNode(info));
    }
    if (node.kind === 'message') return [];
    const threadKey = node.kind === 'session' ? node.info.threadKey : node.threadKey;
    const hash = node.kind === 'session' ? node.info.threadHash : node.hash;
    const dir = node.kind === 'session' ? '.' : node.entry.path;
    if (node.kind === 'session' && node.info.state === 'new' && (await this.model.history(threadKey)).length === 0) {
      return [{ kind: 'message', text: vscode.l10n.t('Not started yet — run code or drop files here'), threadKey }];
    }
    let entries: FileEntryLike[];
    try {
      entries = await this.listing(threadKey);
    } catch (err) {
      return [{ kind: 'message', text: errorMessage(err), threadKey }];
    }
    const children = directChildren(entries, dir).filter((e) => !basename(e.path).startsWith('.'));
    if (children.length === 0 && dir === '.') return [{ kind: 'message', text: vscode.l10n.t('No files yet'), threadKey }];
    return children.map((entry) => ({ kind: 'file', threadKey, hash, entry }));
  }

  /** One node object per session (TreeView.reveal finds elements by identity). */
  private readonly sessionNodes = new Map<string, Extract<TreeNode, { kind: 'session' }>>();

  sessionNode(info: SessionInfo): Extract<TreeNode, { kind: 'session' }> {
    const node = this.sessionNodes.get(info.threadKey);
    if (node) {
      node.info = info;
      return node;
    }
    const fresh = { kind: 'session' as const, info };
    this.sessionNodes.set(info.threadKey, fresh);
    return fresh;
  }

  /** The node of a session, if the tree has shown it. */
  nodeOf(threadKey: string): TreeNode | undefined {
    return this.sessionNodes.get(threadKey);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'session') return undefined;
    return this.sessionNodes.get(node.threadKey);
  }

  private listing(threadKey: string): Promise<FileEntryLike[]> {
    let p = this.listings.get(threadKey);
    if (!p) {
      p = this.model
        .session(threadKey)
        .files.list('.', LIMITS.maxViewListEntries)
        .then((r) => r.entries);
      p.catch(() => this.listings.delete(threadKey));
      this.listings.set(threadKey, p);
    }
    return p;
  }

  async handleDrop(target: TreeNode | undefined, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    const threadKey = target ? (target.kind === 'session' ? target.info.threadKey : target.threadKey) : this.model.active;
    const files: UploadSource[] = [];
    const uriList = await dataTransfer.get('text/uri-list')?.asString();
    if (uriList) {
      for (const line of uriList.split(/\r?\n/)) {
        const text = line.trim();
        if (!text || text.startsWith('#') || token.isCancellationRequested) continue;
        const uri = vscode.Uri.parse(text);
        if (uri.scheme === SCHEME) continue;
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.type & vscode.FileType.Directory) {
          void vscode.window.showWarningMessage(vscode.l10n.t('{0} is a folder; drop files, not folders.', basename(uri.path)));
          continue;
        }
        files.push(workspaceFile(uri, stat));
      }
    } else {
      // Files dragged from the operating system.
      for (const [, item] of dataTransfer) {
        const file = item.asFile();
        if (file && !token.isCancellationRequested) files.push({ name: file.name, read: () => file.data(), from: file.uri?.fsPath ?? file.name });
      }
    }
    if (files.length) await this.upload(threadKey, files);
  }
}

/** A workspace file (any file system VS Code has) as the core reads an upload: its size first, its bytes when needed. */
export function workspaceFile(uri: vscode.Uri, stat: vscode.FileStat): UploadSource {
  return { name: basename(uri.path), size: stat.size, read: () => vscode.workspace.fs.readFile(uri), from: uri.scheme === 'file' ? uri.fsPath : uri.toString(true) };
}

/** A session's state, in words. */
function stateText(info: SessionInfo): string {
  if (info.busy) return vscode.l10n.t('running code');
  if (info.state === 'running') return vscode.l10n.t('running');
  if (info.state === 'stopped') return vscode.l10n.t('stopped');
  return info.state === 'new' ? vscode.l10n.t('not started') : vscode.l10n.t('files only');
}
