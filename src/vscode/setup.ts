/**
 * First use: Docker reachable? The sandbox image built? A missing or stopped Docker gets a
 * notification that says how to fix it; the image build (minutes, once) gets a progress
 * notification whose full log streams into the log channel.
 */
import * as vscode from 'vscode';
import { Core, errorMessage, InterpreterError, TIMINGS } from '../core';

const DOCS = 'https://docs.docker.com/engine/install/';

export class Setup {
  private dockerOk = false;
  private imageOk = false;
  private building?: Promise<void>;
  private lastWarning = 0;

  constructor(
    private readonly core: Core,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Ping Docker; on failure tell the user (at most once a minute) what to do. */
  async checkDocker(interactive: boolean): Promise<boolean> {
    try {
      await this.core.docker.ping();
      this.dockerOk = true;
      return true;
    } catch (err) {
      this.dockerOk = false;
      this.log.warn(`Docker is not reachable: ${errorMessage(err)}`);
      if (interactive && Date.now() - this.lastWarning > TIMINGS.dockerWarningIntervalMs) {
        this.lastWarning = Date.now();
        void this.explainDocker(err);
      }
      return false;
    }
  }

  private async explainDocker(err: unknown): Promise<void> {
    const fix = err instanceof InterpreterError && err.fix ? ` ${err.fix}` : '';
    const what = err instanceof InterpreterError ? err.message.replace(/\s*\([^()]*\)$/, '') : vscode.l10n.t('Docker is not running or not reachable.');
    const retry = vscode.l10n.t('Retry');
    const install = vscode.l10n.t('Install Docker');
    const showLog = vscode.l10n.t('Show Log');
    const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Code Interpreter needs Docker: {0}{1}', what, fix), retry, install, showLog);
    if (choice === retry) {
      this.lastWarning = 0;
      if (await this.checkDocker(true)) void vscode.window.showInformationMessage(vscode.l10n.t('Docker is reachable now.'));
    } else if (choice === install) void vscode.env.openExternal(vscode.Uri.parse(DOCS));
    else if (choice === showLog) this.log.show();
  }

  /** Before a session is used: Docker up and the image there (built with progress when not). */
  async ensureReady(): Promise<void> {
    if (!this.dockerOk && !(await this.checkDocker(true))) return; // the tool reports the failure too
    if (this.imageOk) return;
    if (await this.core.image.exists().catch(() => false)) {
      this.imageOk = true;
      return;
    }
    await this.build(false).catch(() => undefined);
  }

  /** Build (or, with `force`, rebuild) the sandbox image with a progress notification. */
  build(force: boolean): Promise<void> {
    this.building ??= Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: force ? vscode.l10n.t('Rebuilding the Code Interpreter sandbox image') : vscode.l10n.t('Building the Code Interpreter sandbox image (first use, a few minutes)'), cancellable: false },
        async (progress) => {
          const onLine = (line: string) => {
            const step = /^Step \d+\/\d+/.exec(line)?.[0];
            progress.report({ message: (step ?? line).slice(0, 120) });
          };
          this.log.info(`building the sandbox image ${this.core.image.tag}`);
          try {
            if (force) await this.core.image.build(onLine);
            else await this.core.image.ensure(onLine);
            this.imageOk = true;
            void vscode.window.showInformationMessage(vscode.l10n.t('The sandbox image {0} is ready.', this.core.image.tag));
          } catch (err) {
            this.log.error(`image build failed: ${errorMessage(err)}`);
            const showLog = vscode.l10n.t('Show Log');
            void vscode.window.showErrorMessage(vscode.l10n.t('Building the sandbox image failed: {0}', errorMessage(err)), showLog).then((c) => c === showLog && this.log.show());
            throw err;
          }
        },
      ),
    ).finally(() => {
      this.building = undefined;
    });
    return this.building;
  }
}
