/** Core's Logger, written to a LogOutputChannel (level, timestamps and filtering come from VS Code). */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { Logger } from '../core';

const HOME = homedir();

/** Home paths are redacted: logs get pasted into issues. */
function redact(text: string): string {
  return HOME && HOME !== '/' ? text.split(HOME).join('~') : text;
}

function format(message: string | Error, args: unknown[]): string {
  const head = message instanceof Error ? (message.stack ?? message.message) : message;
  const tail = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === 'string' ? a : JSON.stringify(a)));
  return redact([head, ...tail].join(' '));
}

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (m, ...a) => channel.trace(format(m, a)),
    debug: (m, ...a) => channel.debug(format(m, a)),
    info: (m, ...a) => channel.info(format(m, a)),
    warn: (m, ...a) => channel.warn(format(m, a)),
    error: (m, ...a) => channel.error(format(m, a)),
  } satisfies Logger;
}
