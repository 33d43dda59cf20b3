/** Core's Logger, written to a LogOutputChannel (level, timestamps and filtering come from VS Code). */
import * as vscode from 'vscode';
import { Logger, redactingLogger } from '../core';

/** What the extension logs through: the core's redacting logger, and a way to show the channel ("Show Log"). */
export interface ExtensionLog extends Logger {
  show(): void;
}

export function channelLogger(channel: vscode.LogOutputChannel): ExtensionLog {
  return { ...redactingLogger((level, line) => channel[level](line)), show: () => channel.show() } satisfies ExtensionLog;
}
