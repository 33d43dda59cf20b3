/**
 * How dockerode reaches a resolved engine: a unix socket or named pipe, TCP with or without TLS,
 * or SSH — the Docker CLI's own SSH transport: the system `ssh` client runs
 * `docker system dial-stdio` on the remote host and the API is spoken over its stdio. Using the
 * system client (not an SSH library) means ~/.ssh/config, known_hosts checking, ssh-agent and
 * ProxyJump work exactly as they do for `docker -H ssh://…`.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Agent as HttpAgent, ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { TIMINGS } from '../policy/limits';
import { EngineAddress, EngineEndpoint } from './engine';

const SSH_IDLE_MS = TIMINGS.sshIdleMs;

export interface EngineConnection {
  options: Dockerode.DockerOptions;
  /** Close idle connections (SSH processes); safe to call more than once. */
  close(): void;
}

/** dockerode options for an endpoint, every field set so that docker-modem's own DOCKER_* defaults cannot leak in. */
export function connectionFor(e: EngineEndpoint): EngineConnection {
  const base = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined, username: undefined, agent: undefined } as Dockerode.DockerOptions;
  const a = e.address;
  switch (a.protocol) {
    case 'unix':
    case 'npipe':
      return { options: { ...base, socketPath: a.path }, close: () => undefined };
    case 'tcp': {
      if (!e.tls) return { options: { ...base, protocol: 'http', host: a.host, port: a.port || 2375 }, close: () => undefined };
      const agent = new HttpsAgent({ ca: e.tls.ca, cert: e.tls.cert, key: e.tls.key, rejectUnauthorized: e.tls.verify, keepAlive: false });
      return {
        options: { ...base, protocol: 'https', host: a.host, port: a.port || 2376, ca: e.tls.ca, cert: e.tls.cert, key: e.tls.key, agent } as Dockerode.DockerOptions,
        close: () => agent.destroy(),
      };
    }
    case 'ssh': {
      const agent = new SshDialAgent(a);
      // The URL's host and port only fill the Host header; every connection is an ssh process.
      return { options: { ...base, protocol: 'http', host: a.host, port: a.port ?? 22, agent } as Dockerode.DockerOptions, close: () => agent.destroy() };
    }
  }
}

/** The arguments the Docker CLI gives ssh (plus BatchMode: there is no terminal to answer a prompt). */
export function sshArgs(a: Extract<EngineAddress, { protocol: 'ssh' }>): string[] {
  const args = ['-o', 'ConnectTimeout=30', '-o', 'BatchMode=yes', '-T'];
  if (a.user) args.push('-l', a.user);
  if (a.port) args.push('-p', String(a.port));
  args.push('--', a.host, 'docker', 'system', 'dial-stdio');
  return args;
}

type SshSocket = Duplex & { idle?: NodeJS.Timeout };

/** An HTTP agent whose connections are `ssh … docker system dial-stdio` processes, kept alive between requests. */
class SshDialAgent extends HttpAgent {
  constructor(private readonly target: Extract<EngineAddress, { protocol: 'ssh' }>) {
    super({ keepAlive: true, maxFreeSockets: 4 });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const child = spawn('ssh', sshArgs(this.target), { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const socket = childSocket(child, `ssh://${this.target.user ? `${this.target.user}@` : ''}${this.target.host}${this.target.port ? `:${this.target.port}` : ''}`);
    callback?.(null, socket);
    return socket;
  }

  override keepSocketAlive(socket: SshSocket): boolean {
    const keep = (HttpAgent.prototype as unknown as { keepSocketAlive(s: Duplex): boolean }).keepSocketAlive.call(this, socket);
    clearTimeout(socket.idle);
    socket.idle = setTimeout(() => socket.destroy(), SSH_IDLE_MS);
    socket.idle.unref();
    return keep;
  }

  override reuseSocket(socket: SshSocket, request: ClientRequest): void {
    clearTimeout(socket.idle);
    super.reuseSocket(socket, request);
  }
}

/** A Duplex over a child's stdin/stdout that Node's HTTP client accepts as a socket. */
function childSocket(child: ChildProcessWithoutNullStreams, target: string): SshSocket {
  let stderr = '';
  let destroyedByUs = false;
  const socket = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk, _enc, cb) {
      child.stdin.write(chunk, cb);
    },
    final(cb) {
      child.stdin.end(cb);
    },
    destroy(err, cb) {
      destroyedByUs = true;
      clearTimeout((socket as SshSocket).idle);
      if (child.exitCode === null) child.kill();
      cb(err);
    },
  }) as SshSocket;
  child.stdout.on('data', (d: Buffer) => {
    if (!socket.push(d)) child.stdout.pause();
  });
  child.stdin.on('error', () => undefined); // EPIPE when ssh has gone: reported when it exits
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const e = Object.assign(new Error(err.code === 'ENOENT' ? `the ssh client was not found (${err.message})` : `ssh could not start: ${err.message}`, { cause: err }), { code: 'ESSH' });
    socket.destroy(e);
  });
  // End the stream only once ssh has exited, so that a failed login (its output ends before its
  // exit status is known) is reported with ssh's own words, not as a hang-up.
  child.on('close', (code, signal) => {
    if (destroyedByUs) return;
    if (code === 0) {
      socket.push(null);
      return;
    }
    const why = stderr.trim().split('\n').slice(-3).join(' ') || (signal ? `killed by ${signal}` : `exit status ${code}`);
    socket.destroy(Object.assign(new Error(`ssh to ${target} failed: ${why}`), { code: 'ESSH' }));
  });
  // What net.Socket offers and the HTTP client or agent may call.
  const s = socket as SshSocket & Record<string, unknown>;
  s.setKeepAlive = () => socket;
  s.setNoDelay = () => socket;
  s.setTimeout = (ms: number, cb?: () => void) => {
    s.timeout = ms;
    if (cb) socket.once('timeout', cb);
    return socket;
  };
  s.ref = () => {
    child.ref();
    for (const p of [child.stdin, child.stdout, child.stderr] as unknown as { ref?(): void }[]) p.ref?.();
    return socket;
  };
  s.unref = () => {
    child.unref();
    for (const p of [child.stdin, child.stdout, child.stderr] as unknown as { unref?(): void }[]) p.unref?.();
    return socket;
  };
  return socket;
}
