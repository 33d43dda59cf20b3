/**
 * First use: the core's readiness (Docker reachable, the sandbox image there) in VS Code's words. A
 * missing or stopped Docker gets a notification that says how to fix it; an image build (minutes,
 * once) gets a progress notification, opened when the build's first line arrives, while its full log
 * goes to the log channel.
 */
import * as vscode from 'vscode';
import { Core, EngineUnavailableError, errorMessage, InterpreterError, TIMINGS } from '../core';
import type { ExtensionLog } from './log';

const DOCS = 'https://docs.docker.com/engine/install/';

/** A progress notification that opens on the first line reported to it. */
interface BuildNotification {
  report(line: string): void;
  /** Whether a line arrived (a build ran). */
  readonly opened: boolean;
  close(): void;
}

export class Setup {
  private isReady = false;
  private checking?: Promise<void>;
  private building?: Promise<void>;
  private lastWarning = 0;

  constructor(
    private readonly core: Core,
    private readonly log: ExtensionLog,
  ) {}

  /** At start-up: is the engine there? On failure tell the user (at most once a minute) what to do. No build starts here. */
  async checkDocker(interactive: boolean): Promise<boolean> {
    try {
      await this.core.ready(undefined, { engineOnly: true });
      return true;
    } catch (err) {
      this.dockerFailed(err, interactive);
      return false;
    }
  }

  private dockerFailed(err: unknown, interactive: boolean): void {
    this.log.warn(`Docker is not reachable: ${errorMessage(err)}`);
    if (interactive && Date.now() - this.lastWarning > TIMINGS.dockerWarningIntervalMs) {
      this.lastWarning = Date.now();
      void this.explainDocker(err);
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

  /**
   * Before a session is used: the core's ready (Docker up, the image there, built with a progress
   * notification when it is not). Failures are shown here and reported by the tool as well, so this
   * never throws.
   */
  ensureReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async check(): Promise<void> {
    const notification = this.notification(vscode.l10n.t('Building the Code Interpreter sandbox image (first use, a few minutes)'));
    try {
      await this.core.ready((line) => notification.report(line));
      this.isReady = true;
      if (notification.opened) void vscode.window.showInformationMessage(vscode.l10n.t('The sandbox image {0} is ready.', this.core.image.tag));
    } catch (err) {
      if (err instanceof EngineUnavailableError) this.dockerFailed(err, true);
      else this.buildFailed(err);
    } finally {
      notification.close();
    }
  }

  /** Rebuild the built-in sandbox image (the command), with a progress notification. */
  build(): Promise<void> {
    this.building ??= (async () => {
      const notification = this.notification(vscode.l10n.t('Rebuilding the Code Interpreter sandbox image'), true);
      try {
        await this.core.image.build((line) => notification.report(line));
        void vscode.window.showInformationMessage(vscode.l10n.t('The sandbox image {0} is ready.', this.core.image.tag));
      } catch (err) {
        this.buildFailed(err);
        throw err;
      } finally {
        notification.close();
      }
    })().finally(() => (this.building = undefined));
    return this.building;
  }

  private buildFailed(err: unknown): void {
    this.log.error(`image build failed: ${errorMessage(err)}`);
    const showLog = vscode.l10n.t('Show Log');
    void vscode.window.showErrorMessage(vscode.l10n.t('Building the sandbox image failed: {0}', errorMessage(err)), showLog).then((c) => c === showLog && this.log.show());
  }

  /** A progress notification, opened now (`eager`) or when the first line arrives. */
  private notification(title: string, eager = false): BuildNotification {
    let report: ((message: string) => void) | undefined;
    let latest = '';
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const open = () => {
      this.log.info(`building the sandbox image ${this.core.image.tag}`);
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: false }, async (progress) => {
        report = (message) => progress.report({ message });
        if (latest) report(latest);
        await finished;
      });
    };
    const handle = {
      opened: false,
      report: (line: string) => {
        if (!handle.opened) {
          handle.opened = true;
          open();
        }
        latest = (/^Step \d+\/\d+/.exec(line)?.[0] ?? line).slice(0, 120);
        report?.(latest);
      },
      close: () => finish(),
    };
    if (eager) {
      handle.opened = true;
      open();
    }
    return handle;
  }
}
