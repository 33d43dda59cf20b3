/** The status bar item: the active session, a spinner while it runs code, and the sandbox environment in its tooltip. */
import * as vscode from 'vscode';
import type { EnvironmentView } from './environment';
import { SessionsModel } from './sessions';

export function registerStatusBar(context: vscode.ExtensionContext, model: SessionsModel, environment: EnvironmentView): void {
  const item = vscode.window.createStatusBarItem('codeInterpreter.status', vscode.StatusBarAlignment.Left, 50);
  item.name = vscode.l10n.t('Code Interpreter');
  item.command = 'codeInterpreter.openOutputPanel';
  let shown = false;
  const update = () => {
    const key = model.active;
    const session = model.session(key);
    const title = model.title(key);
    const busy = session.busy;
    const runtime = model.list().find((s) => s.threadKey === key)?.runtime;
    item.text = busy ? `$(sync~spin) ${title}` : `$(beaker) ${title}`;
    item.tooltip = new vscode.MarkdownString(
      (busy
        ? vscode.l10n.t('Code Interpreter: **{0}** is running code. Click to open the output panel.', title)
        : vscode.l10n.t('Code Interpreter: active session **{0}**. Click to open the output panel.', title)) +
        '\n\n' +
        environment.describe(session.image) +
        (runtime ? '\n\n' + vscode.l10n.t('Runtime: {0}', runtime === 'runsc' ? 'runsc (gVisor)' : runtime) : ''),
    );
    item.backgroundColor = undefined;
    void vscode.commands.executeCommand('setContext', 'codeInterpreter.busy', busy);
    // Shown once the extension has been used in this window (or a session is found).
    if (shown) return;
    if (busy || model.list().some((s) => s.state !== 'new')) show();
    else void session.readHistory().then((h) => h.length > 0 && show());
  };
  const show = () => {
    if (shown) return;
    shown = true;
    item.show();
  };
  update();
  context.subscriptions.push(item, model.onDidChangeSessions(update), model.onDidChangeActive(update), model.onSessionEvent((e) => e.type === 'busy' && update()), environment.onDidChange(update));
}
