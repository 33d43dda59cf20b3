/** Command palette, tree and editor actions. Each command works on a session chosen by its argument or the active one. */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { AuditLog, EngineReport, errorMessage, exportNotebook, formatBytes, formatEngineReport, LIMITS, NotebookEnvironment, ToolCall, UploadSource, uploadTooLarge, userFiles, validateSessionPath } from '../core';
import { Settings } from './config';
import { SessionFileSystem, SessionTreeProvider, TreeNode, workspaceFile } from './files';
import type { ExtensionLog } from './log';
import { OutputPanel } from './panel';
import { Setup } from './setup';
import { SessionsModel, sessionUri } from './sessions';
import { ToolService } from './tools';

export interface CommandDeps {
  model: SessionsModel;
  tools: ToolService;
  panel: OutputPanel;
  tree: SessionTreeProvider;
  fs: SessionFileSystem;
  setup: Setup;
  settings: () => Settings;
  audit: () => AuditLog | undefined;
  auditFile: string;
  log: ExtensionLog;
  /** Resolve and ask the Docker engine (the core's engineReport). */
  engine: () => Promise<EngineReport>;
  /** What a notebook export records about the environment (image id, frozen packages). */
  environment: (image?: string) => Promise<NotebookEnvironment>;
  /** Open a thread as a notebook bound to its session. */
  openNotebook: (threadKey: string) => Promise<unknown>;
}

/** The argument shapes commands receive: a tree node, a chat/panel link, an Explorer Uri, or nothing. */
type Target = TreeNode | { threadHash?: string; execution?: string } | vscode.Uri | undefined;

/**
 * Text from a session, a file name or an error, for a notification. VS Code's notifications turn
 * `[label](command:…)` (or https:, file:) into a link that runs or opens it, and `$(name)` into an
 * icon: a file the sandbox named `[Open](command:…).csv` would otherwise become a command link in
 * "Saved …". A zero-width space after `]` keeps the link from forming; `\$(` shows `$(` as text.
 */
export function notificationText(text: string): string {
  return text.replace(/\]\(/g, ']\u200b(').replace(/\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g, '\\$&');
}

function isNode(arg: unknown): arg is TreeNode {
  return typeof arg === 'object' && arg !== null && 'kind' in arg && ['session', 'file', 'message'].includes((arg as TreeNode).kind);
}

export class Commands {
  constructor(private readonly d: CommandDeps) {}

  register(): vscode.Disposable[] {
    const c = (id: string, fn: (...args: any[]) => unknown) =>
      vscode.commands.registerCommand(`codeInterpreter.${id}`, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          this.d.log.error(`codeInterpreter.${id} failed: ${errorMessage(err)}`);
          void vscode.window.showErrorMessage(notificationText(errorMessage(err)));
          return undefined;
        }
      });
    return [
      c('runSelection', () => this.runSelection()),
      c('runFile', (uri?: vscode.Uri) => this.runFile(uri)),
      c('runShellCommand', (arg?: Target) => this.runShellCommand(arg)),
      c('uploadFile', (arg?: Target, all?: vscode.Uri[]) => this.uploadFile(arg, all)),
      c('downloadFile', (arg?: Target) => this.downloadFile(arg)),
      c('newSession', () => this.newSession()),
      c('restartKernel', (arg?: Target) => this.restartKernel(this.key(arg))),
      c('interrupt', (arg?: Target) => this.interrupt(arg)),
      c('stopSession', (arg?: Target) => this.stopSession(arg)),
      c('deleteSession', (arg?: Target) => this.deleteSession(arg)),
      c('exportNotebook', (arg?: Target) => this.exportNotebook(this.key(arg), true)),
      c('openAsNotebook', (arg?: Target) => this.d.openNotebook(this.key(arg))),
      c('rebuildImage', () => this.d.setup.build()),
      c('showAuditLog', () => this.showAuditLog()),
      c('showEngine', () => this.showEngine()),
      c('openOutputPanel', (arg?: Target) => this.openOutputPanel(arg)),
      c('refreshFiles', () => this.refresh()),
      c('openFile', (arg?: Target, path?: string) => this.openFile(arg, path)),
      c('saveFileAs', (arg?: Target) => this.downloadFile(arg)),
      c('deleteFile', (arg?: Target) => this.deleteFile(arg)),
    ];
  }

  /** The engine in use (context, endpoint, where it came from, version, runtimes) in the log, and a summary. */
  async showEngine(): Promise<void> {
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Code Interpreter: asking the Docker engine') }, () => this.d.engine());
    this.d.log.info(formatEngineReport(report));
    const showLog = vscode.l10n.t('Show Log');
    const choice = report.reachable
      ? await vscode.window.showInformationMessage(
          vscode.l10n.t('Docker engine: {0} {1} at {2} (context "{3}").', report.product ?? 'Docker', report.version ?? '', report.endpoint ?? '', report.context ?? ''),
          showLog,
        )
      : await vscode.window.showErrorMessage(report.error ?? vscode.l10n.t('The Docker engine is not reachable.'), showLog);
    if (choice === showLog) this.d.log.show();
  }

  /** The thread a command acts on. */
  private key(arg: Target): string {
    if (isNode(arg)) return arg.kind === 'session' ? arg.info.threadKey : arg.threadKey;
    if (arg && !(arg instanceof vscode.Uri) && typeof arg === 'object' && typeof arg.threadHash === 'string') {
      const key = this.d.model.keyOfHash(arg.threadHash);
      if (key) return key;
    }
    return this.d.model.active;
  }

  private async run(call: ToolCall, key: string, what: string): Promise<void> {
    this.d.panel.show({ threadHash: this.d.model.session(key).names.threadHash, preserveFocus: true });
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Code Interpreter: {0}', what) }, () => this.d.tools.run(call, key, 'vscode:user'));
    this.afterRun(key);
    if (outcome.status === 'unavailable' || outcome.status === 'rejected') void vscode.window.showErrorMessage(notificationText(outcome.text));
  }

  afterRun(key: string): void {
    this.d.tree.refresh(key);
    void this.d.model.refresh();
  }

  private async runSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error(vscode.l10n.t('Open a Python file and select some code first.'));
    const parts = editor.selections.filter((s) => !s.isEmpty).map((s) => editor.document.getText(s));
    const code = parts.length ? parts.join('\n') : editor.document.lineAt(editor.selection.active.line).text;
    if (!code.trim()) throw new Error(vscode.l10n.t('The selection is empty.'));
    await this.runCode(code, editor.document.languageId);
  }

  private async runFile(uri?: vscode.Uri): Promise<void> {
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!doc) throw new Error(vscode.l10n.t('Open a Python file first.'));
    await this.runCode(doc.getText(), doc.languageId);
  }

  private async runCode(code: string, languageId: string): Promise<void> {
    const key = this.d.model.active;
    if (languageId === 'shellscript') await this.run({ name: 'runShellCommand', input: { command: code, timeoutSeconds: this.d.settings().shellTimeoutSeconds } }, key, vscode.l10n.t('running shell'));
    else await this.run({ name: 'executePythonCode', input: { pythonCode: code, timeoutSeconds: this.d.settings().pythonTimeoutSeconds } }, key, vscode.l10n.t('running Python'));
  }

  private async runShellCommand(arg: Target): Promise<void> {
    const key = this.key(arg);
    const command = await vscode.window.showInputBox({
      title: vscode.l10n.t('Run a shell command in {0}', this.d.model.title(key)),
      prompt: vscode.l10n.t('Runs with bash in /mnt/data inside the sandbox (no network).'),
      placeHolder: 'ls -la; wc -l *.csv',
      ignoreFocusOut: true,
    });
    if (!command?.trim()) return;
    await this.run({ name: 'runShellCommand', input: { command, timeoutSeconds: this.d.settings().shellTimeoutSeconds } }, key, vscode.l10n.t('running shell'));
  }

  /** Upload host files into a session (the user picked or dropped them: that is the consent). */
  async upload(key: string, files: readonly UploadSource[]): Promise<void> {
    const { uploads } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Uploading to {0}', this.d.model.title(key)) }, (progress) =>
      this.d.tools.upload(key, files, 'vscode:user', { onFile: (f) => progress.report({ message: f.name }) }),
    );
    this.d.fs.changed(this.d.model.session(key).names.threadHash, uploads.flatMap((u) => u.outcome.files.map((f) => f.path)));
    this.afterRun(key);
    for (const { source, outcome } of uploads) {
      const tooLarge = uploadTooLarge(outcome);
      if (tooLarge) void vscode.window.showWarningMessage(vscode.l10n.t('{0} is {1}; the upload limit is {2}.', notificationText(source.name), formatBytes(tooLarge.size), formatBytes(tooLarge.limit)));
      else if (outcome.status !== 'ok') throw new Error(outcome.text);
    }
  }

  private async uploadFile(arg: Target, all?: vscode.Uri[]): Promise<void> {
    let uris: vscode.Uri[] | undefined;
    if (arg instanceof vscode.Uri) uris = all?.length ? all : [arg];
    else {
      uris = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: vscode.l10n.t('Upload to sandbox'), defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    }
    if (!uris?.length) return;
    const key = this.key(arg instanceof vscode.Uri ? undefined : arg);
    const files: UploadSource[] = [];
    for (const uri of uris) {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type & vscode.FileType.Directory) continue;
      files.push(workspaceFile(uri, stat));
    }
    await this.upload(key, files);
  }

  /** A file in a session: from the node, or picked from the active session's listing. */
  private async pickFile(arg: Target, title: string): Promise<{ key: string; path: string } | undefined> {
    if (isNode(arg) && arg.kind === 'file') return { key: arg.threadKey, path: arg.entry.path };
    const key = this.key(arg);
    const files = userFiles((await this.d.model.session(key).files.list('.', LIMITS.maxViewListEntries)).entries);
    if (files.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no files yet.', notificationText(this.d.model.title(key))));
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: f.path, description: formatBytes(f.size), detail: f.mtime })),
      { title, placeHolder: vscode.l10n.t('A file in /mnt/data') },
    );
    return pick ? { key, path: pick.label } : undefined;
  }

  private async downloadFile(arg: Target): Promise<void> {
    const file = await this.pickFile(arg, vscode.l10n.t('Save a sandbox file as…'));
    if (!file) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Save /mnt/data/{0} as', file.path), defaultUri: folder ? vscode.Uri.joinPath(folder, basename(file.path)) : undefined, saveLabel: vscode.l10n.t('Save') });
    if (!target) return;
    const outcome = await this.d.tools.saveAs(
      file.key,
      file.path,
      async (data) => {
        await vscode.workspace.fs.writeFile(target, data);
        return { label: vscode.workspace.asRelativePath(target), hostPath: target.scheme === 'file' ? target.fsPath : target.toString(true) };
      },
      'vscode:user',
    );
    if (outcome.status !== 'ok') throw new Error(outcome.text);
    const open = vscode.l10n.t('Open');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Saved {0} ({1}).', notificationText(vscode.workspace.asRelativePath(target)), formatBytes(outcome.files[0]?.size ?? 0)), open);
    if (choice === open) await vscode.commands.executeCommand('vscode.open', target);
  }

  private async openFile(arg: Target, path?: string): Promise<void> {
    if (isNode(arg) && arg.kind === 'file') {
      await vscode.commands.executeCommand('vscode.open', sessionUri(arg.hash, arg.entry.path));
      return;
    }
    if (typeof arg === 'string' && path) {
      await vscode.commands.executeCommand('vscode.open', sessionUri(arg, validateSessionPath(path)));
      return;
    }
    const file = await this.pickFile(arg, vscode.l10n.t('Open a sandbox file'));
    if (file) await vscode.commands.executeCommand('vscode.open', sessionUri(this.d.model.session(file.key).names.threadHash, file.path));
  }

  private async deleteFile(arg: Target): Promise<void> {
    const file = await this.pickFile(arg, vscode.l10n.t('Delete a sandbox file'));
    if (!file) return;
    const del = vscode.l10n.t('Delete');
    const ok = await vscode.window.showWarningMessage(vscode.l10n.t('Delete /mnt/data/{0} from {1}?', file.path, this.d.model.title(file.key)), { modal: true }, del);
    if (ok !== del) return;
    await this.d.model.session(file.key).files.remove(file.path);
    this.afterRun(file.key);
  }

  private async newSession(): Promise<void> {
    const name = await vscode.window.showInputBox({ title: vscode.l10n.t('New sandbox session'), prompt: vscode.l10n.t('A name for the session (optional)'), placeHolder: vscode.l10n.t('e.g. Sales analysis') });
    if (name === undefined) return;
    const key = `manual:${randomUUID()}`;
    await this.d.model.setTitle(key, name.trim() || vscode.l10n.t('Session {0}', new Date().toLocaleString()), true);
    this.d.model.session(key);
    this.d.model.setActive(key);
    this.d.tree.refresh();
  }

  async restartKernel(key: string): Promise<void> {
    await this.d.setup.ensureReady();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Restarting the Python kernel of {0}', this.d.model.title(key)) }, () => this.d.model.session(key).restartKernel());
    void vscode.window.showInformationMessage(vscode.l10n.t('Kernel restarted: variables cleared, files kept.'));
    this.afterRun(key);
  }

  private interrupt(arg: Target): void {
    const key = this.key(arg);
    const session = this.d.model.session(key);
    if (!session.busy) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not running any code.', notificationText(this.d.model.title(key))));
      return;
    }
    session.interrupt();
  }

  private async stopSession(arg: Target): Promise<void> {
    const key = this.key(arg);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Stopping {0} (files are kept)', this.d.model.title(key)) }, () => this.d.model.session(key).stop());
    this.afterRun(key);
  }

  private async deleteSession(arg: Target): Promise<void> {
    const key = this.key(arg);
    const del = vscode.l10n.t('Delete Session');
    const ok = await vscode.window.showWarningMessage(vscode.l10n.t('Delete {0}? Its container and every file in its /mnt/data are removed.', this.d.model.title(key)), { modal: true }, del);
    if (ok !== del) return;
    await this.d.model.session(key).delete();
    this.afterRun(key);
  }

  /** Write the thread's executions as a notebook; with `ask`, where the user chooses. */
  async exportNotebook(key: string, ask: boolean): Promise<vscode.Uri | undefined> {
    const records = await this.d.model.history(key);
    if (records.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has not run any code in this window yet.', notificationText(this.d.model.title(key))));
      return undefined;
    }
    const title = this.d.model.title(key);
    const stem = (title.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'session').toLowerCase();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    let target: vscode.Uri | undefined;
    if (ask || !folder) {
      target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export {0} as a notebook', title), defaultUri: folder ? vscode.Uri.joinPath(folder, `${stem}.ipynb`) : undefined, filters: { [vscode.l10n.t('Jupyter Notebook')]: ['ipynb'] } });
    } else {
      target = vscode.Uri.joinPath(folder, `${stem}.ipynb`);
      for (let n = 2; await exists(target); n++) target = vscode.Uri.joinPath(folder, `${stem}-${n}.ipynb`);
    }
    if (!target) return undefined;
    // The environment makes the notebook re-runnable on the same packages; an export never fails for want of it.
    const environment = await this.d.environment(this.d.model.session(key).image).catch((err) => {
      this.d.log.warn(`export: the environment could not be recorded: ${errorMessage(err)}`);
      return undefined;
    });
    await vscode.workspace.fs.writeFile(target, Buffer.from(exportNotebook(records, { title, environment }), 'utf8'));
    this.d.log.info(`exported ${records.length} executions of ${key} to ${target.toString(true)}`);
    if (ask) {
      const open = vscode.l10n.t('Open');
      if ((await vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} cells to {1}.', records.length, notificationText(vscode.workspace.asRelativePath(target))), open)) === open) {
        await vscode.commands.executeCommand('vscode.open', target);
      }
    }
    return target;
  }

  private async showAuditLog(): Promise<void> {
    const uri = vscode.Uri.file(this.d.auditFile);
    if (!(await exists(uri))) {
      void vscode.window.showInformationMessage(this.d.audit() ? vscode.l10n.t('No tool call has been logged yet ({0}).', this.d.auditFile) : vscode.l10n.t('The audit log is turned off (setting codeInterpreter.audit.enabled).'));
      return;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    const end = doc.lineAt(Math.max(0, doc.lineCount - 1)).range.end;
    editor.revealRange(new vscode.Range(end, end));
  }

  private openOutputPanel(arg: Target): void {
    if (isNode(arg)) {
      const key = this.key(arg);
      this.d.panel.show({ threadHash: this.d.model.session(key).names.threadHash });
      return;
    }
    const link = arg && !(arg instanceof vscode.Uri) && typeof arg === 'object' ? arg : undefined;
    const threadHash = typeof link?.threadHash === 'string' && /^[0-9a-f]{16}$/.test(link.threadHash) ? link.threadHash : undefined;
    const execution = typeof link?.execution === 'string' && link.execution.length < 100 ? link.execution : undefined;
    this.d.panel.show({ threadHash, execution });
  }

  private async refresh(): Promise<void> {
    await this.d.model.refresh();
    this.d.tree.refresh();
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
