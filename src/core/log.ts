/** The logger core writes to; the CLI prints to stderr, the extension adapts a LogOutputChannel. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Cancellation as the core sees it: an AbortSignal (VS Code tokens are adapted to it). */
export type Cancellation = AbortSignal;
