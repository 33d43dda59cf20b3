import { homedir } from 'node:os';

/** The logger core writes to; the CLI prints to stderr, the extension adapts a LogOutputChannel. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export type LogLevel = keyof Logger;

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A log line: errors as their stacks, other values as JSON, the home folder as `~` (logs get pasted into issues). */
export function logLine(message: string | Error, args: readonly unknown[], home: string = homedir()): string {
  const head = message instanceof Error ? (message.stack ?? message.message) : message;
  const tail = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === 'string' ? a : JSON.stringify(a)));
  const text = [head, ...tail].join(' ');
  return home && home !== '/' ? text.split(home).join('~') : text;
}

/** The Logger every adapter logs through: each line formatted and redacted (logLine), then written by `write`. */
export function redactingLogger(write: (level: LogLevel, line: string) => void): Logger {
  const at = (level: LogLevel) => (message: string | Error, ...args: unknown[]) => write(level, logLine(message, args));
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
