/**
 * The composition root: build the core and the services, register each surface with its
 * dependencies, and put every registration in context.subscriptions.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { AuditLog, Core, createCore, defaultStateDir, engineReport, TIMINGS } from '../core';
import { Commands } from './commands';
import { coreOptions, readSettings, RELOAD_SETTINGS, SECTION } from './config';
import { EnvironmentUi } from './environment';
import { SCHEME, SessionFileSystem, SessionTreeProvider } from './files';
import { channelLogger } from './log';
import { SandboxNotebooks } from './notebook';
import { NotebookThreads } from './notebookThreads';
import { OutputPanel, PANEL_VIEW_TYPE } from './panel';
import { registerParticipant } from './participant';
import { ResourceWatch } from './resources';
import { SessionsModel } from './sessions';
import { Setup } from './setup';
import { registerStatusBar } from './status';
import { ToolService } from './tools';

export interface ExtensionApi {
  /** For tests: the core and the services this window uses. */
  core: Core;
  model: SessionsModel;
  tools: ToolService;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const channel = vscode.window.createOutputChannel('Code Interpreter', { log: true });
  context.subscriptions.push(channel);
  const log = channelLogger(channel);
  let settings = readSettings();

  // The workspace's sandbox environment: its hooks see the core's first status, so it comes first.
  const environment = new EnvironmentUi(context, log);
  context.subscriptions.push(environment);
  // Audit log and history live where the CLI's do, so every surface shares them.
  const core = createCore({ log, ...coreOptions(settings), environment: environment.options(), historyDir: join(defaultStateDir(), 'history') });
  context.subscriptions.push({ dispose: () => void core.manager[Symbol.asyncDispose]() }, ...environment.attach(core));
  let audit = settings.audit.enabled ? new AuditLog(defaultStateDir(), settings.audit.code) : undefined;
  const auditFile = join(defaultStateDir(), 'audit.jsonl');

  // Retention: once the window has settled, remove stopped sessions older than the setting (0 keeps them).
  if (settings.retentionDays > 0) {
    const timer = setTimeout(() => {
      core.manager
        .prune({ olderThanDays: settings.retentionDays })
        .then((removed) => removed.length && log.info(`retention: removed ${removed.length} stopped session(s) older than ${settings.retentionDays} days`))
        .catch((err) => log.debug(`retention: not applied (${(err as Error).message})`));
    }, TIMINGS.retentionDelayMs);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }

  const model = new SessionsModel(core.manager, context.globalState, log);
  const setup = new Setup(core, log);
  const tools = new ToolService({ model, settings: () => settings, audit: () => audit, log, ready: () => setup.ensureReady() });
  context.subscriptions.push(model, ...tools.register());

  const fs = new SessionFileSystem(model);
  context.subscriptions.push(vscode.workspace.registerFileSystemProvider(SCHEME, fs, { isCaseSensitive: true, isReadonly: true }));

  let commands: Commands | undefined;
  // Memory and CPU of running sessions, read while the sessions view or the panel shows them.
  const resources = new ResourceWatch(model, log);
  const tree = new SessionTreeProvider(model, (key, files) => commands!.upload(key, files), environment, resources);
  let selecting = false;
  const view = vscode.window.createTreeView('codeInterpreter.sessions', { treeDataProvider: tree, dragAndDropController: tree, showCollapseAll: true, canSelectMany: false });
  const treeInterest = () => resources.setInterest('sessions view', view.visible ? () => model.list().map((i) => i.threadKey) : undefined);
  treeInterest();
  context.subscriptions.push(
    resources,
    view,
    view.onDidChangeVisibility(treeInterest),
    resources.onDidChange(() => tree.redraw()),
    view.onDidChangeSelection((e) => {
      const node = e.selection[0];
      if (node?.kind !== 'session') return;
      selecting = true; // the user picked it in the tree: the click itself expands or collapses it
      try {
        model.setActive(node.info.threadKey);
      } finally {
        selecting = false;
      }
    }),
    model.onDidChangeSessions(() => tree.redraw()),
    environment.onDidChange(() => tree.redraw()),
    // The active session is shown expanded, so its files are in view.
    model.onDidChangeActive((key) => {
      if (selecting) return;
      const node = tree.nodeOf(key);
      if (node && view.visible) void Promise.resolve(view.reveal(node, { expand: true, select: false, focus: false })).catch(() => undefined);
    }),
  );

  const panel = new OutputPanel(context.extensionUri, model, {
    openFile: (hash, path) => vscode.commands.executeCommand('codeInterpreter.openFile', hash, path) as Promise<void>,
    restartKernel: (key) => commands!.restartKernel(key),
    exportNotebook: async (key) => void (await commands!.exportNotebook(key, true)),
  }, log, resources);
  context.subscriptions.push(panel, vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panel.serializer()));

  let notebooks: SandboxNotebooks | undefined;
  commands = new Commands({
    model,
    tools,
    panel,
    tree,
    fs,
    setup,
    settings: () => settings,
    audit: () => audit,
    auditFile,
    log,
    engine: () => engineReport(core.docker, settings.runtime),
    environment: (image) => core.environment.record(image),
    openNotebook: (key) => notebooks!.openThread(key),
  });
  context.subscriptions.push(...commands.register());

  // After each execution: the tree and open editors of that session's files refresh.
  context.subscriptions.push(
    model.onSessionEvent((e) => {
      if (e.type !== 'execution-end') return;
      tree.refresh(e.threadKey);
      if (e.record.files.length) fs.changed(model.session(e.threadKey).names.threadHash, e.record.files.map((f) => f.path));
    }),
  );

  // Notebooks (.ipynb in VS Code's own editor) run on the sandbox: their own thread, or the chat thread they were opened from.
  notebooks = new SandboxNotebooks({
    model,
    tools,
    settings: () => settings,
    log,
    restartKernel: (key) => commands!.restartKernel(key),
    afterRun: (key) => commands!.afterRun(key),
    threads: new NotebookThreads(context.workspaceState),
    environment: (key) => core.environment.record(model.session(key).image),
    extensionId: context.extension.id,
  });
  context.subscriptions.push(...notebooks.register());

  registerParticipant(context, {
    model,
    tools,
    log,
    extensionUri: context.extensionUri,
    exportTo: (key) => commands!.exportNotebook(key, false),
    openNotebook: (key) => notebooks!.openThread(key),
    environment,
  });
  registerStatusBar(context, model, environment);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      settings = readSettings();
      if (e.affectsConfiguration(`${SECTION}.audit`)) audit = settings.audit.enabled ? new AuditLog(defaultStateDir(), settings.audit.code) : undefined;
      if (RELOAD_SETTINGS.some((k) => !k.startsWith(`${SECTION}.audit`) && e.affectsConfiguration(k))) {
        const reload = vscode.l10n.t('Reload Window');
        void vscode.window.showInformationMessage(vscode.l10n.t('Code Interpreter: new sandbox settings apply to new sessions after a reload.'), reload).then((c) => c === reload && vscode.commands.executeCommand('workbench.action.reloadWindow'));
      }
    }),
  );

  // First use: find sessions from earlier windows, and tell the user now if Docker is missing.
  void setup.checkDocker(true).then((ok) => {
    if (ok) void model.refresh();
  });
  log.info(`Code Interpreter ${context.extension.packageJSON.version as string} activated; sandbox image ${core.image.tag}; environment: ${environment.describe()}`);
  return { core, model, tools };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; containers stay for the next window (or their idle stop).
}
