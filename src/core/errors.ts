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
  constructor(message: string, fix?: string, options?: { cause?: unknown }) {
    super(message, 'input', fix, options);
    this.name = 'InputError';
  }
}

export class InfrastructureError extends InterpreterError {
  constructor(message: string, fix?: string, options?: { cause?: unknown }) {
    super(message, 'infrastructure', fix, options);
    this.name = 'InfrastructureError';
  }
}

/** The Docker engine did not answer: what `Core.ready` throws before it looks at any image. */
export class EngineUnavailableError extends InfrastructureError {
  constructor(err: unknown) {
    super(err instanceof InterpreterError ? err.message : `Docker is not reachable: ${errorMessage(err)}`, err instanceof InterpreterError ? err.fix : undefined, { cause: err });
    this.name = 'EngineUnavailableError';
  }
}

export const DOCKER_FIX =
  'Start Docker (Docker Desktop, `sudo systemctl start docker`, or Podman with its Docker-compatible socket) and try again; set DOCKER_HOST if the engine is not on the default socket.';

/** Error codes that mean "nothing answered at that endpoint" (socket, TCP, TLS or SSH). */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTSOCK', 'ESSH', 'EPROTO']);

function isTlsFailure(code: string | undefined): boolean {
  return !!code && (/^ERR_(TLS|SSL)_/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code));
}

/**
 * Turn an error from dockerode or the connection into one that says what to do. `engine` names
 * the endpoint that was tried and where it came from (see sandbox/engine.ts), with its own fix.
 */
export function explainDockerError(err: unknown, doing: string, engine?: { where: string; fix: string }): InterpreterError {
  if (err instanceof InterpreterError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const detail = e?.json?.message ?? e?.message ?? String(err);
  const at = engine ? ` at ${engine.where}` : '';
  if (isTlsFailure(e?.code)) {
    return new InfrastructureError(
      `Docker is not reachable${at}: the TLS handshake failed. (${doing}: ${detail})`,
      'Check the TLS files (DOCKER_CERT_PATH with DOCKER_TLS_VERIFY=1, or the context\'s ca/cert/key): the CA must have signed the engine\'s certificate and the engine must accept the client certificate.',
      { cause: err },
    );
  }
  if (e?.code && UNREACHABLE.has(e.code)) {
    const what = e.code === 'EACCES' ? `Docker is not reachable${at}: permission denied on its socket.` : `Docker is not running or not reachable${at}.`;
    let fix = e.code === 'EACCES' ? 'Add your user to the `docker` group (then log in again) or use rootless Docker/Podman.' : DOCKER_FIX;
    if (e.code === 'ESSH') fix = 'Check that `ssh HOST docker version` works without a prompt (a key in ssh-agent or ~/.ssh, the host in known_hosts, docker on the remote PATH).';
    if (engine && e.code !== 'EACCES') fix = `${e.code === 'ESSH' ? fix : 'Start Docker (Docker Desktop, `sudo systemctl start docker`, or Podman with its Docker-compatible socket) and try again.'} ${engine.fix}`;
    return new InfrastructureError(`${what} (${doing}: ${detail})`, fix, { cause: err });
  }
  return new InfrastructureError(`Docker failed while ${doing}: ${detail}`, 'Check `docker info`; if Docker was restarted, try again.', { cause: err });
}

export function errorMessage(err: unknown): string {
  if (err instanceof InterpreterError) return err.explanation;
  if (err instanceof Error) return err.message;
  return String(err);
}
