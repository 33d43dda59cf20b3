/**
 * Errors that carry their fix. `kind` maps to the CLI's exit status and to the way a tool result
 * explains the failure: `input` (the caller can correct the call), `infrastructure` (Docker or the
 * sandbox is unavailable), `execution` (the user's code failed).
 */
export type ErrorKind = 'input' | 'infrastructure' | 'execution';

export class InterpreterError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InterpreterError';
  }

  /** The message and, when there is one, the fix — what a person or a model reads. */
  get explanation(): string {
    return this.fix ? `${this.message} ${this.fix}` : this.message;
  }
}

export class InputError extends InterpreterError {
  constructor(message: string, fix?: string) {
    super(message, 'input', fix);
    this.name = 'InputError';
  }
}

export class InfrastructureError extends InterpreterError {
  constructor(message: string, fix?: string, options?: { cause?: unknown }) {
    super(message, 'infrastructure', fix, options);
    this.name = 'InfrastructureError';
  }
}

export const DOCKER_FIX =
  'Start Docker (Docker Desktop, `sudo systemctl start docker`, or Podman with its Docker-compatible socket) and try again; set DOCKER_HOST if the engine is not on the default socket.';

/** Turn an error from dockerode or the socket into one that says what to do. */
export function explainDockerError(err: unknown, doing: string): InterpreterError {
  if (err instanceof InterpreterError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const detail = e?.json?.message ?? e?.message ?? String(err);
  if (e?.code === 'ENOENT' || e?.code === 'ECONNREFUSED' || e?.code === 'EACCES' || e?.code === 'ECONNRESET' || e?.code === 'EPIPE') {
    const what = e.code === 'EACCES' ? 'Docker is not reachable: permission denied on its socket.' : 'Docker is not running or not reachable.';
    const fix = e.code === 'EACCES' ? 'Add your user to the `docker` group (then log in again) or use rootless Docker/Podman.' : DOCKER_FIX;
    return new InfrastructureError(`${what} (${doing}: ${detail})`, fix, { cause: err });
  }
  return new InfrastructureError(`Docker failed while ${doing}: ${detail}`, 'Check `docker info`; if Docker was restarted, try again.', { cause: err });
}

export function errorMessage(err: unknown): string {
  if (err instanceof InterpreterError) return err.explanation;
  if (err instanceof Error) return err.message;
  return String(err);
}
