/**
 * Engines reached other ways than the default socket, for the remote tier: a TLS endpoint, an SSH
 * endpoint, and a mount namespace in which the default socket is hidden. All of them lead to the
 * machine's one dockerd (restarting it with new listeners would disrupt everything else using it).
 * Missing tools are failures that say what to install — never skips.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, Server as TlsServer } from 'node:tls';
import { tempDir } from './env';

export const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** The real engine's socket as this process sees it. */
export function upstreamSocket(): string {
  const h = process.env.DOCKER_HOST;
  if (h && !h.startsWith('unix://')) assert.fail(`The remote tier forwards to a local unix socket; DOCKER_HOST is ${h}. Unset it (or point it at a unix socket) and run again.`);
  return h ? h.slice('unix://'.length) : '/var/run/docker.sock';
}

function need(tool: string, fix: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (r.status !== 0) assert.fail(`The remote tier needs ${tool}: ${fix}`);
  return r.stdout.trim();
}

export function needRoot(why: string): void {
  if (process.getuid?.() !== 0) assert.fail(`The remote tier must run as root: ${why}. Run it with sudo (CI runs as root).`);
  need('unshare', 'apt-get install util-linux');
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface Certs {
  dir: string;
  /** ca.pem, cert.pem, key.pem: what DOCKER_CERT_PATH holds for a client. */
  clientDir: string;
  /** A CA that signed nothing here, for the refusal case. */
  otherCaDir: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeCerts(): Certs {
  need('openssl', 'apt-get install openssl');
  const dir = tempDir();
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=code-interpreter test CA');
  ssl('req', '-x509', ...ec, '-keyout', 'other-ca-key.pem', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=unrelated CA');
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ]) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'client'}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}-cert.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const clientDir = join(dir, 'client');
  const otherCaDir = join(dir, 'other');
  for (const d of [clientDir, otherCaDir]) mkdirSync(d);
  copyFileSync(join(dir, 'ca.pem'), join(clientDir, 'ca.pem'));
  copyFileSync(join(dir, 'client-cert.pem'), join(clientDir, 'cert.pem'));
  copyFileSync(join(dir, 'client-key.pem'), join(clientDir, 'key.pem'));
  copyFileSync(join(dir, 'other-ca.pem'), join(otherCaDir, 'ca.pem'));
  copyFileSync(join(dir, 'client-cert.pem'), join(otherCaDir, 'cert.pem'));
  copyFileSync(join(dir, 'client-key.pem'), join(otherCaDir, 'key.pem'));
  return { dir, clientDir, otherCaDir };
}

/**
 * The engine over mutual TLS on 127.0.0.1: what `dockerd --tlsverify -H tcp://…` serves, as a
 * TLS-terminating relay to the engine's socket (dockerd's listeners are fixed at its start).
 */
export async function startTlsEndpoint(certs: Certs): Promise<{ port: number; server: TlsServer; close(): Promise<void> }> {
  const upstream = upstreamSocket();
  /** Both ends of every relayed connection, so close() can end them (an HTTP agent keeps idle ones). */
  const open = new Set<{ destroy(): void }>();
  const server = createTlsServer(
    {
      key: readFileSync(join(certs.dir, 'server-key.pem')),
      cert: readFileSync(join(certs.dir, 'server-cert.pem')),
      ca: readFileSync(join(certs.dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: true,
    },
    (down) => {
      const up = netConnect({ path: upstream, allowHalfOpen: true });
      open.add(down);
      open.add(up);
      down.on('close', () => open.delete(down));
      up.on('close', () => open.delete(up));
      down.pipe(up).on('error', () => down.destroy());
      up.pipe(down).on('error', () => up.destroy());
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    },
  );
  // Raw connections too: one whose handshake failed (a test of a wrong CA) still counts for server.close().
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connections still open (a session agent's attach, the client's idle keep-alive ones) end here.
        for (const socket of open) socket.destroy();
      }),
  };
}

export interface SshEndpoint {
  port: number;
  /** A home directory holding .ssh/{id_ed25519,known_hosts} for the client side. */
  home: string;
  /** The same, with an empty known_hosts (the host key is not trusted). */
  untrustedHome: string;
  process: ChildProcess;
  close(): void;
}

/** Debian's sshd on a loopback port, with a host key and a client key this test made. */
export async function startSshd(): Promise<SshEndpoint> {
  const sshd = existsSync('/usr/sbin/sshd') ? '/usr/sbin/sshd' : assert.fail('The remote tier needs sshd: apt-get install openssh-server (scripts/provision-docker.sh installs it).');
  need('ssh', 'apt-get install openssh-client');
  const dir = tempDir();
  chmodSync(dir, 0o755);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  const child = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 50 && !/Server listening/.test(log); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(log, /Server listening/, `sshd did not start: ${log}`);
  const home = (trusted: boolean) => {
    const h = tempDir();
    mkdirSync(join(h, '.ssh'), { mode: 0o700 });
    copyFileSync(join(dir, 'client_key'), join(h, '.ssh', 'id_ed25519'));
    chmodSync(join(h, '.ssh', 'id_ed25519'), 0o600);
    const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim();
    writeFileSync(join(h, '.ssh', 'known_hosts'), trusted ? `[127.0.0.1]:${port} ${hostKey}\n` : '');
    return h;
  };
  return { port, home: home(true), untrustedHome: home(false), process: child, close: () => child.kill() };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI in its own mount namespace (unshare -m, private propagation): `binds` are bind
 * mounts made first (source → target), then `hide` paths are covered with /dev/null. The
 * environment is the test's minus every DOCKER_* variable, plus `env`.
 */
export function cliInNamespace(args: string[], opts: { binds?: [string, string][]; hide?: string[]; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const steps = [
    ...(opts.binds ?? []).map(([from, to]) => `mount --bind ${q(from)} ${q(to)}`),
    ...(opts.hide ?? []).map((p) => `mount --bind /dev/null ${q(p)}`),
    `exec ${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')}`,
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCKER_')));
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-ec', steps.join('\n')], {
    env: { ...env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
