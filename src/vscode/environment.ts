/**
 * The workspace's sandbox environment (apt.txt, requirements.txt, wheels/) in VS Code: the core's
 * EnvironmentImage does the work; this adapter asks before a first build, shows builds as progress
 * notifications, explains failures with a way to the failing line, offers a rebuild when the files
 * change, honours workspace trust, and adds a package a tool result named (the chat's button).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import {
  Core,
  describePlan,
  ENV_FILES,
  ENV_REPOSITORY,
  EnvironmentError,
  EnvironmentHooks,
  EnvironmentImageOptions,
  EnvironmentSpec,
  EnvironmentStatus,
  errorMessage,
  InterpreterError,
  LIMITS,
  PackageHint,
  readEnvironment,
} from '../core';
import { environmentDir, readSettings, SECTION } from './config';
import type { ExtensionLog } from './log';

export const REBUILD_COMMAND = 'codeInterpreter.rebuildEnvironment';
export const ADD_PACKAGE_COMMAND = 'codeInterpreter.addEnvironmentPackage';

/** Spec hashes the user approved to build, per workspace (newest last). */
const APPROVED_KEY = 'codeInterpreter.environment.approved';
const MAX_APPROVED = LIMITS.maxApprovedEnvironments;
/** Folders whose "ignored: the workspace is not trusted" message was shown in this workspace. */
const TOLD_UNTRUSTED_KEY = 'codeInterpreter.environment.toldUntrusted';

export type { PackageHint };

type PackageFile = typeof ENV_FILES.apt | typeof ENV_FILES.requirements;

/** The argument of codeInterpreter.addEnvironmentPackage (the chat's "Add … to this workspace's sandbox" button). */
export interface AddPackageArgs {
  name: string;
  file: PackageFile;
  /** The chat request to ask again once the environment is rebuilt. */
  prompt?: string;
}

/** Which file and name a hint adds: the Debian package when known (Debian's build of the module), else pip's. */
export function packageToAdd(hint: PackageHint | undefined): { name: string; file: PackageFile } | undefined {
  if (hint?.apt) return { name: hint.apt, file: ENV_FILES.apt };
  if (hint?.pip) return { name: hint.pip, file: ENV_FILES.requirements };
  return undefined;
}

/** Names the command writes: one token a line, as the core's parser reads them (no options, URLs or spaces). */
const NAME_PATTERN: Record<PackageFile, RegExp> = {
  [ENV_FILES.apt]: /^[a-z0-9][a-z0-9+.-]+$/,
  [ENV_FILES.requirements]: /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?([<>=!~]=?[A-Za-z0-9.*+!-]+)?$/,
};

function isAddPackageArgs(arg: unknown): arg is AddPackageArgs {
  if (typeof arg !== 'object' || arg === null) return false;
  const a = arg as Record<string, unknown>;
  return (a.file === ENV_FILES.apt || a.file === ENV_FILES.requirements) && typeof a.name === 'string' && (a.prompt === undefined || typeof a.prompt === 'string');
}

/** What the status bar, the sessions view and the participant read. */
export interface EnvironmentView {
  readonly onDidChange: vscode.Event<void>;
  /** A few words for a tree row (undefined: the built-in image, nothing worth saying). */
  shortLabel(image?: string): string | undefined;
  /** One sentence (Markdown) for tooltips: which image, from where, and why when it is not the declared one. */
  describe(image?: string): string;
  /** Whether a "add this package" button can work here (a folder to write into). */
  readonly canAddPackages: boolean;
  /** A sentence for the model naming what the workspace's environment adds (undefined: nothing). */
  forModel(): string | undefined;
}

export class EnvironmentUi implements EnvironmentView, vscode.Disposable {
  private core?: Core;
  private dir: string | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  /** The open "Building the sandbox environment…" notification. */
  private notification?: { report(line: string): void; done(): void };
  /** Hashes declined in this window (asked again in the next one, or approved by a rebuild). */
  private readonly declined = new Set<string>();
  private asking?: Promise<boolean>;
  /** Failures already shown (a cached failure is reported again by every new session's ensure). */
  private readonly toldFailures = new Set<string>();
  private changeShown = false;
  private watcher?: vscode.Disposable;
  private debounce?: NodeJS.Timeout;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: ExtensionLog,
  ) {
    this.dir = environmentDir(readSettings());
  }

  /** What createCore takes: the folder, no auto-reload (the watcher offers a rebuild), trust, the hooks. */
  options(): EnvironmentImageOptions {
    return { dir: this.dir, autoReload: false, disabledReason: this.disabledReason(), hooks: this.hooks() };
  }

  private disabledReason(): string | undefined {
    if (vscode.workspace.isTrusted || !this.dir) return undefined;
    return vscode.l10n.t('the workspace is not trusted, so its environment files in {0} are ignored (trust the workspace to use them)', this.displayDir());
  }

  /** The folder as the user knows it: relative to the workspace when inside it. */
  private displayDir(dir = this.dir): string {
    if (!dir) return '';
    const root = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const rel = root ? relative(root, dir) : '';
    return root && rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
  }

  private hooks(): EnvironmentHooks {
    return {
      approve: (spec, plan) => this.approve(spec, plan),
      // The core writes every line to the log channel itself; the notification shows the latest
      // one that says something (not Docker's layer bookkeeping).
      progress: (line) => {
        if (!/^\s*--->|^Removing intermediate container|^\s*$/.test(line)) this.notification?.report(line.trim());
      },
      onStatus: (status) => this.onStatus(status),
    };
  }

  /** Called once the core exists: commands, the file watcher, trust and settings. */
  attach(core: Core): vscode.Disposable[] {
    this.core = core;
    if (!vscode.workspace.isTrusted) void this.tellUntrusted(false);
    this.rewatch();
    return [
      vscode.commands.registerCommand(REBUILD_COMMAND, () => this.guard('rebuildEnvironment', () => this.rebuild())),
      vscode.commands.registerCommand(ADD_PACKAGE_COMMAND, (arg: unknown) => this.guard('addEnvironmentPackage', () => this.addPackage(arg))),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info(`workspace trusted: the sandbox environment in ${this.dir ?? '(no folder)'} is used from now on`);
        core.environment.configure({ disabledReason: undefined });
      }),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.environment.path`) && this.relocate()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.relocate()),
      { dispose: () => this.watcher?.dispose() },
    ];
  }

  private async guard(id: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error(`codeInterpreter.${id} failed: ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }

  /** The setting or the workspace folders changed: point the core at the new folder. */
  private relocate(): void {
    const dir = environmentDir(readSettings());
    if (dir === this.dir || !this.core) return;
    this.log.info(`sandbox environment folder: ${dir ?? '(none)'}`);
    this.dir = dir;
    this.core.environment.configure({ dir, disabledReason: this.disabledReason() });
    this.rewatch();
    if (!vscode.workspace.isTrusted) void this.tellUntrusted(false);
  }

  // ---------------------------------------------------------------- status

  get status(): EnvironmentStatus | undefined {
    return this.core?.environment.status;
  }

  get canAddPackages(): boolean {
    return !!this.dir;
  }

  private onStatus(status: EnvironmentStatus): void {
    if (status.state === 'building') this.startNotification();
    else this.notification?.done();
    if (status.state === 'failed') void this.tellFailure(status.error);
    this._onDidChange.fire();
  }

  shortLabel(image?: string): string | undefined {
    const s = this.status;
    if (image && s && image !== s.tag) return image.startsWith(`${ENV_REPOSITORY}:`) ? vscode.l10n.t('env {0} (old)', image.split(':')[1].slice(0, 8)) : vscode.l10n.t('built-in image (old)');
    if (!s) return undefined;
    switch (s.state) {
      case 'builtin':
        return s.reason ? vscode.l10n.t('built-in image') : undefined;
      case 'pending':
        return vscode.l10n.t('env not built yet');
      case 'building':
        return vscode.l10n.t('building env…');
      case 'ready':
        return vscode.l10n.t('env {0}', s.spec.hash.slice(0, 8));
      case 'failed':
        return vscode.l10n.t('env failed');
      case 'declined':
        return vscode.l10n.t('env not approved');
    }
  }

  forModel(): string | undefined {
    const s = this.status;
    if (!s || (s.state !== 'ready' && s.state !== 'pending' && s.state !== 'building')) return undefined;
    const parts: string[] = [];
    if (s.spec.apt.length) parts.push(`Debian packages ${s.spec.apt.map((a) => a.text).join(', ')}`);
    if (s.spec.requirements.length) parts.push(`Python packages ${s.spec.requirements.map((r) => r.text).join(', ')}`);
    else if (s.spec.wheels.length) parts.push(`Python wheels ${s.spec.wheels.map((w) => w.name).join(', ')}`);
    return parts.length ? `This workspace's sandbox environment adds: ${parts.join('; ')}.` : undefined;
  }

  describe(image?: string): string {
    const s = this.status;
    if (!s) return vscode.l10n.t('Sandbox image: built-in.');
    const dir = this.displayDir(('spec' in s && s.spec?.dir) || this.dir);
    const on = (tag: string) => (tag.startsWith(`${ENV_REPOSITORY}:`) ? vscode.l10n.t('the previous environment image `{0}`', tag) : vscode.l10n.t('the built-in image'));
    let text: string;
    switch (s.state) {
      case 'builtin':
        text = s.reason ? vscode.l10n.t('Sandbox image: built-in — {0}.', s.reason) : vscode.l10n.t('Sandbox image: built-in (no environment files in {0}).', dir || vscode.l10n.t('an open folder'));
        break;
      case 'pending':
        text = vscode.l10n.t('Sandbox environment from `{0}`: not built yet (built on first use).', dir);
        break;
      case 'building':
        text = vscode.l10n.t('Sandbox environment from `{0}`: building `{1}`…', dir, s.tag);
        break;
      case 'ready':
        text = vscode.l10n.t('Sandbox environment `{0}` from `{1}`.', s.tag, dir);
        break;
      case 'failed':
        text = vscode.l10n.t('Sandbox environment from `{0}` failed to build; sessions run on {1}. {2}', dir, on(s.tag), s.error.message);
        break;
      case 'declined':
        text = vscode.l10n.t('Sandbox environment from `{0}` not approved; sessions run on {1}. Run "Code Interpreter: Rebuild Sandbox Environment" to build it.', dir, on(s.tag));
        break;
    }
    if (image && image !== s.tag && s.state !== 'building' && s.state !== 'pending') text += ' ' + vscode.l10n.t('This session still runs on `{0}` and moves on its next call.', image);
    return text;
  }

  // ---------------------------------------------------------------- approval

  private approvedHashes(): string[] {
    return this.context.workspaceState.get<string[]>(APPROVED_KEY, []);
  }

  private async remember(hash: string): Promise<void> {
    this.declined.delete(hash);
    const list = this.approvedHashes().filter((h) => h !== hash);
    list.push(hash);
    await this.context.workspaceState.update(APPROVED_KEY, list.slice(-MAX_APPROVED));
  }

  private approve(spec: EnvironmentSpec, plan: string[]): Promise<boolean> {
    if (this.approvedHashes().includes(spec.hash)) return Promise.resolve(true);
    if (this.declined.has(spec.hash)) return Promise.resolve(false);
    this.asking ??= this.ask(spec, plan).finally(() => (this.asking = undefined));
    return this.asking;
  }

  private async ask(spec: EnvironmentSpec, plan: string[]): Promise<boolean> {
    const build = vscode.l10n.t('Build');
    const builtin = vscode.l10n.t('Use Built-in Image');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Build the sandbox environment declared in {0}?', this.displayDir(spec.dir)),
      {
        modal: true,
        detail: [
          ...plan,
          '',
          vscode.l10n.t('The image is built once, with network only where apt.txt or a pip index needs it; sessions stay without network. You are asked once for these files.'),
        ].join('\n'),
      },
      build,
      builtin,
    );
    if (choice === build) {
      await this.remember(spec.hash);
      return true;
    }
    this.declined.add(spec.hash);
    this.log.info(`sandbox environment ${spec.hash} from ${spec.dir}: not approved; sessions use the built-in image`);
    return false;
  }

  // ---------------------------------------------------------------- progress and failures

  private startNotification(): void {
    if (this.notification) return;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let latest = '';
    let report: (line: string) => void = (line) => (latest = line);
    const handle = {
      report: (line: string) => report(line),
      done: () => {
        if (this.notification === handle) this.notification = undefined;
        finish();
      },
    };
    this.notification = handle;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Building the sandbox environment…'), cancellable: false }, async (progress) => {
      report = (line) => progress.report({ message: line.length > 120 ? `${line.slice(0, 119)}…` : line });
      if (latest) report(latest);
      await finished;
    });
  }

  /** The failure, once per message, with a way to the log and to the line it names. */
  private async tellFailure(err: unknown): Promise<void> {
    const message = errorMessage(err);
    if (this.toldFailures.has(message)) return;
    this.toldFailures.add(message);
    const where = this.locate(err);
    const showLog = vscode.l10n.t('Show Log');
    const open = where ? vscode.l10n.t('Open {0}', where.label) : undefined;
    const text = err instanceof InterpreterError ? err.explanation : vscode.l10n.t('The sandbox environment could not be built: {0}', message);
    const choice = await vscode.window.showErrorMessage(text, ...(open ? [open] : []), showLog);
    if (choice === showLog) this.log.show();
    else if (choice && choice === open && where) {
      const position = new vscode.Position(Math.max(0, (where.line ?? 1) - 1), 0);
      await vscode.window.showTextDocument(where.uri, { selection: new vscode.Range(position, position) });
    }
  }

  /** The declaration file (and line) a failure points at (the core's EnvironmentError). */
  private locate(err: unknown): { uri: vscode.Uri; line?: number; label: string } | undefined {
    const dir = this.dir;
    if (!dir || !(err instanceof EnvironmentError) || !err.where) return undefined;
    const file = err.where.file;
    if (file !== ENV_FILES.apt && file !== ENV_FILES.requirements) return undefined; // a wheel: nothing to open in an editor
    return { uri: vscode.Uri.file(join(dir, file)), line: err.where.line, label: file };
  }

  // ---------------------------------------------------------------- trust

  private async tellUntrusted(always: boolean): Promise<void> {
    const dir = this.dir;
    if (!dir || !Object.values(ENV_FILES).some((f) => existsSync(join(dir, f)))) return;
    const told = this.context.workspaceState.get<string[]>(TOLD_UNTRUSTED_KEY, []);
    if (!always && told.includes(dir)) return;
    await this.context.workspaceState.update(TOLD_UNTRUSTED_KEY, [...told.filter((d) => d !== dir), dir]);
    const manage = vscode.l10n.t('Manage Workspace Trust');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Code Interpreter ignores the sandbox environment in {0} because this workspace is not trusted: sessions run on the built-in image. Trust the workspace to build and use it.', this.displayDir()),
      manage,
    );
    if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  }

  // ---------------------------------------------------------------- the files changing

  private rewatch(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    const dir = this.dir;
    if (!dir) return;
    // Inside a workspace folder the pattern hangs off the folder, so a .code-interpreter created later is seen too.
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir));
    const files = `{${ENV_FILES.apt},${ENV_FILES.requirements},${ENV_FILES.wheels},${ENV_FILES.wheels}/**}`;
    const rel = folder ? relative(folder.uri.fsPath, dir).split('\\').join('/') : '';
    const pattern = folder ? new vscode.RelativePattern(folder, rel ? `${rel}/${files}` : files) : new vscode.RelativePattern(vscode.Uri.file(dir), files);
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const changed = () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.filesChanged(), 800);
    };
    this.watcher = vscode.Disposable.from(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed), { dispose: () => clearTimeout(this.debounce) });
  }

  private async filesChanged(): Promise<void> {
    const core = this.core;
    const dir = this.dir;
    if (!core || !dir || !vscode.workspace.isTrusted || this.changeShown) return;
    // Only what gets installed counts (not comments), and not a change already read (our own edit).
    let hash: string | undefined;
    let invalid = false;
    try {
      hash = readEnvironment(dir, core.image.tag)?.hash;
    } catch {
      invalid = true;
    }
    if (!invalid && hash === core.environment.declared?.hash) return;
    this.changeShown = true;
    const rebuild = vscode.l10n.t('Rebuild Sandbox Environment');
    try {
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('The sandbox environment files changed. Sessions keep their current image until it is rebuilt.'),
        rebuild,
      );
      if (choice === rebuild) await vscode.commands.executeCommand(REBUILD_COMMAND);
    } finally {
      this.changeShown = false;
    }
  }

  // ---------------------------------------------------------------- commands

  /** Re-read the files and build them now (approving them), with progress. True when the image is ready. */
  async rebuild(): Promise<boolean> {
    const core = this.core;
    if (!core) return false;
    if (!vscode.workspace.isTrusted) {
      await this.tellUntrusted(true);
      return false;
    }
    if (!this.dir) {
      throw new Error(vscode.l10n.t('There is no sandbox environment folder: open a folder (its .code-interpreter holds apt.txt, requirements.txt, wheels/) or set {0}.environment.path.', SECTION));
    }
    this.toldFailures.clear();
    core.environment.reload(); // a malformed file is reported by the status it sets
    const spec = core.environment.declared;
    if (!spec) {
      if (core.environment.status.state !== 'failed') {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('{0} declares no packages (apt.txt, requirements.txt or wheels/): sessions run on the built-in image.', this.displayDir()),
        );
      }
      return false;
    }
    await this.remember(spec.hash); // an explicit rebuild is the approval
    this.log.info(`rebuilding the sandbox environment from ${spec.dir}:\n${describePlan(spec).join('\n')}`);
    this.startNotification();
    try {
      const tag = await core.environment.build();
      void vscode.window.showInformationMessage(vscode.l10n.t('The sandbox environment {0} is ready. Threads move to it on their next call (files are kept, Python variables are reset).', tag));
      return true;
    } catch (err) {
      void this.tellFailure(err);
      return false;
    } finally {
      this.notification?.done();
    }
  }

  /** The chat's button: add a package to apt.txt or requirements.txt (after confirming), rebuild, ask again. */
  async addPackage(arg: unknown): Promise<void> {
    if (!isAddPackageArgs(arg)) throw new Error(vscode.l10n.t('No package to add: use the button in a Code Interpreter chat response.'));
    const { name, file, prompt } = arg;
    if (!NAME_PATTERN[file].test(name)) throw new Error(vscode.l10n.t('"{0}" is not a package name {1} can hold.', name, file));
    if (!vscode.workspace.isTrusted) {
      const manage = vscode.l10n.t('Manage Workspace Trust');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('This workspace is not trusted, so its sandbox environment is not used. Trust the workspace first, then add {0}.', name), manage);
      if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    const dir = this.dir;
    const core = this.core;
    if (!dir || !core) throw new Error(vscode.l10n.t('Open a folder (or set {0}.environment.path) to give this workspace its own sandbox packages.', SECTION));
    const target = join(dir, file);
    const current = core.environment.declared;
    const pending = current && !this.approvedHashes().includes(current.hash) ? [vscode.l10n.t('Also built, as declared there now:'), ...describePlan(current)] : [];
    const add = vscode.l10n.t('Add and Rebuild');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Add {0} to {1}?', name, this.displayDir(target)),
      {
        modal: true,
        detail: [
          file === ENV_FILES.apt
            ? vscode.l10n.t('The Debian package {0} is installed from the Debian mirror when the sandbox environment is rebuilt.', name)
            : vscode.l10n.t('The Python package {0} is installed by pip (from wheels/ when that folder exists, else from your pip index) when the sandbox environment is rebuilt.', name),
          vscode.l10n.t('Sessions stay without network. Threads move to the new image on their next call: files are kept, Python variables are reset.'),
          ...(prompt ? [vscode.l10n.t('Then your request is asked again.')] : []),
          ...(pending.length ? ['', ...pending] : []),
        ].join('\n'),
      },
      add,
    );
    if (choice !== add) return;
    await this.appendLine(target, name);
    this.log.info(`added ${name} to ${target}`);
    if (!(await this.rebuild())) return;
    if (prompt?.trim()) await vscode.commands.executeCommand('workbench.action.chat.open', { query: `@interpreter ${prompt}` });
  }

  /** Append `name` as a line (creating the folder and file); nothing when a line already names it. */
  private async appendLine(path: string, name: string): Promise<void> {
    const uri = vscode.Uri.file(path);
    let text = '';
    try {
      text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    } catch (err) {
      if (!(err instanceof vscode.FileSystemError) || err.code !== 'FileNotFound') throw err;
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(dirname(path)));
    }
    const present = text.split(/\r?\n/).some((l) => l.replace(/(^|\s)#.*$/, '').trim().split(/\s+/).includes(name));
    if (present) return;
    const sep = text && !text.endsWith('\n') ? '\n' : '';
    await vscode.workspace.fs.writeFile(uri, Buffer.from(`${text}${sep}${name}\n`, 'utf8'));
  }

  dispose(): void {
    this.notification?.done();
    this.watcher?.dispose();
    this._onDidChange.dispose();
  }
}
