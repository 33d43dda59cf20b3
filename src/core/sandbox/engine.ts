/**
 * Which Docker engine to talk to, found the way the Docker CLI finds it — pure logic over the
 * environment and the Docker config directory (no connection is made here):
 *
 *   1. an explicit host (the `codeInterpreter.dockerHost` setting, the CLI's `--docker-host`);
 *   2. `DOCKER_HOST`;
 *   3. `DOCKER_CONTEXT`;
 *   4. `currentContext` in `$DOCKER_CONFIG/config.json` (default `~/.docker`);
 *   5. the platform default (`unix:///var/run/docker.sock`, `npipe:////./pipe/docker_engine`).
 *
 * A context's metadata is `contexts/meta/<sha256 of its name>/meta.json` (endpoint
 * `Endpoints.docker.Host`, `SkipTLSVerify`), its TLS files `contexts/tls/<sha256>/docker/{ca,cert,key}.pem`.
 * The default context (1, 2, 5) takes TLS from `DOCKER_TLS_VERIFY`/`DOCKER_TLS` and `DOCKER_CERT_PATH`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError } from '../errors';

export type EngineSource = 'setting' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config' | 'default';

export type EngineAddress =
  | { protocol: 'unix'; path: string }
  | { protocol: 'npipe'; path: string }
  | { protocol: 'tcp'; host: string; port: number }
  | { protocol: 'ssh'; host: string; port?: number; user?: string };

export interface EngineTls {
  /** Verify the engine's certificate (against `ca` when given, else the system's roots). */
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Where the files came from, for `doctor`. */
  from?: string;
}

export interface EngineEndpoint {
  /** The endpoint as a URL, e.g. `unix:///var/run/docker.sock`, `ssh://me@host`. */
  host: string;
  address: EngineAddress;
  /** The Docker context in use (`default` unless a named context was chosen). */
  context: string;
  source: EngineSource;
  /** Where the choice came from, in words: "the codeInterpreter.dockerHost setting", "DOCKER_HOST", … */
  origin: string;
  /** TLS for `tcp://` endpoints; absent means plain HTTP. */
  tls?: EngineTls;
}

export interface EngineOptions {
  /** An explicit endpoint, ahead of everything else. Empty means none. */
  host?: string;
  /** What set `host`, in words (default "the codeInterpreter.dockerHost setting"). */
  hostOrigin?: string;
  /** The environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The home directory for `~/.docker` (default os.homedir()). */
  home?: string;
  platform?: NodeJS.Platform;
}

export const DEFAULT_UNIX_HOST = 'unix:///var/run/docker.sock';
export const DEFAULT_NPIPE_HOST = 'npipe:////./pipe/docker_engine';
const ENDPOINT_FORMS = 'unix:///path/to/docker.sock, npipe:////./pipe/docker_engine, tcp://host:2376 or ssh://user@host';

/** The directory of a context's files: the SHA-256 of its name, in hex (as the Docker CLI stores it). */
export function contextDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.DOCKER_CONFIG?.trim() || join(home, '.docker');
}

/** Parse an endpoint URL the way the Docker client accepts it (a scheme is required). */
export function parseEngineHost(host: string, origin: string): EngineAddress {
  const bad = (why: string) =>
    new InfrastructureError(`The Docker endpoint '${host}' from ${origin} is not usable: ${why}.`, `Use one of ${ENDPOINT_FORMS}.`);
  const m = /^([a-z]+):\/\/(.*)$/i.exec(host.trim());
  if (!m) throw bad('it has no scheme');
  const [, scheme, rest] = m;
  switch (scheme.toLowerCase()) {
    case 'unix':
      if (!rest) throw bad('it names no socket path');
      return { protocol: 'unix', path: rest };
    case 'npipe':
      // npipe:////./pipe/docker_engine → //./pipe/docker_engine
      if (!rest) throw bad('it names no pipe');
      return { protocol: 'npipe', path: rest.replace(/\\/g, '/') };
    case 'tcp':
    case 'http':
    case 'https': {
      const url = parseHostUrl('http', rest, bad);
      if (url.pathname !== '/' && url.pathname !== '') throw bad('a path prefix is not supported');
      return { protocol: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 0 };
    }
    case 'ssh': {
      const url = parseHostUrl('ssh', rest, bad);
      if (url.password) throw bad('a password in the URL is not supported (use a key or ssh-agent)');
      if (url.pathname && url.pathname !== '/') throw bad('a path is not supported');
      return {
        protocol: 'ssh',
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port ? Number(url.port) : undefined,
        user: url.username ? decodeURIComponent(url.username) : undefined,
      };
    }
    default:
      throw bad(`the scheme '${scheme}' is not one the Docker client speaks`);
  }
}

/** `scheme://rest` as a URL that names a host (a bad one is refused with `bad`'s message). */
function parseHostUrl(scheme: string, rest: string, bad: (why: string) => Error): URL {
  let url: URL;
  try {
    url = new URL(`${scheme}://${rest}`);
  } catch {
    throw bad('the host cannot be parsed');
  }
  if (!url.hostname) throw bad('it names no host');
  return url;
}

function readIfExists(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

/** The default context's TLS, from DOCKER_TLS_VERIFY / DOCKER_TLS and DOCKER_CERT_PATH (as the Docker CLI reads them). */
function envTls(env: NodeJS.ProcessEnv, configDir: string): EngineTls | undefined {
  const verify = !!env.DOCKER_TLS_VERIFY;
  if (!verify && !env.DOCKER_TLS) return undefined;
  const certPath = env.DOCKER_CERT_PATH?.trim() || configDir;
  const tls: EngineTls = { verify, from: certPath };
  tls.ca = verify ? readIfExists(join(certPath, 'ca.pem')) : undefined;
  tls.cert = readIfExists(join(certPath, 'cert.pem'));
  tls.key = readIfExists(join(certPath, 'key.pem'));
  if (!!tls.cert !== !!tls.key) {
    throw new InfrastructureError(
      `DOCKER_CERT_PATH (${certPath}) holds ${tls.cert ? 'cert.pem but no key.pem' : 'key.pem but no cert.pem'}.`,
      'A client certificate needs both files; put them there (the Docker CLI reads the same directory).',
    );
  }
  return tls;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function readContext(name: string, origin: string, configDir: string, platform: NodeJS.Platform): EngineEndpoint {
  const digest = contextDigest(name);
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as ContextMeta;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InfrastructureError(
      missing
        ? `The Docker context "${name}" named by ${origin} does not exist: there is no ${metaPath}.`
        : `The Docker context "${name}" named by ${origin} cannot be read: ${metaPath}: ${(err as Error).message}.`,
      `List the contexts with \`docker context ls\` and choose one (\`docker context use default\`), or set DOCKER_HOST or the codeInterpreter.dockerHost setting.`,
      { cause: err },
    );
  }
  const endpoint = meta.Endpoints?.docker;
  const where = `context "${name}" (${origin})`;
  if (!endpoint?.Host) {
    // A context without a Docker endpoint falls back to the default socket, as the CLI does.
    const host = platform === 'win32' ? DEFAULT_NPIPE_HOST : DEFAULT_UNIX_HOST;
    return { host, address: parseEngineHost(host, where), context: name, source: sourceOf(origin), origin };
  }
  const address = parseEngineHost(endpoint.Host, where);
  const result: EngineEndpoint = { host: endpoint.Host, address, context: name, source: sourceOf(origin), origin };
  if (address.protocol === 'tcp') {
    const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
    const tls: EngineTls = {
      verify: !endpoint.SkipTLSVerify,
      ca: readIfExists(join(tlsDir, 'ca.pem')),
      cert: readIfExists(join(tlsDir, 'cert.pem')),
      key: readIfExists(join(tlsDir, 'key.pem')),
      from: tlsDir,
    };
    if (tls.ca || tls.cert || tls.key || endpoint.SkipTLSVerify) result.tls = tls;
  }
  return result;
}

function sourceOf(origin: string): EngineSource {
  return origin === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : 'config';
}

/**
 * The engine the Docker CLI would use, given the same environment and config. Throws an
 * InfrastructureError that says what to fix when the choice points at nothing usable.
 */
export function resolveEngine(options: EngineOptions = {}): EngineEndpoint {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const configDir = dockerConfigDir(env, options.home ?? homedir());
  const withEnvTls = (e: EngineEndpoint): EngineEndpoint => (e.address.protocol === 'tcp' ? { ...e, tls: envTls(env, configDir) } : e);

  const explicit = options.host?.trim();
  if (explicit) {
    const origin = options.hostOrigin ?? 'the codeInterpreter.dockerHost setting';
    return withEnvTls({ host: explicit, address: parseEngineHost(explicit, origin), context: 'default', source: 'setting', origin });
  }
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) {
    return withEnvTls({ host: dockerHost, address: parseEngineHost(dockerHost, 'DOCKER_HOST'), context: 'default', source: 'DOCKER_HOST', origin: 'DOCKER_HOST' });
  }
  let name = env.DOCKER_CONTEXT?.trim();
  let origin = 'DOCKER_CONTEXT';
  if (!name) {
    const configFile = join(configDir, 'config.json');
    let config: { currentContext?: string } = {};
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8')) as { currentContext?: string };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new InfrastructureError(`The Docker config ${configFile} cannot be read: ${(err as Error).message}.`, 'Fix or remove the file (the Docker CLI reads it too), or set DOCKER_HOST.', { cause: err });
      }
    }
    name = config.currentContext?.trim();
    origin = `the current context in ${configFile}`;
  }
  if (name && name !== 'default') return readContext(name, origin, configDir, platform);

  const host = platform === 'win32' ? DEFAULT_NPIPE_HOST : DEFAULT_UNIX_HOST;
  const why = name === 'default' ? `the default endpoint (context "default" is chosen by ${origin})` : 'the default endpoint (no DOCKER_HOST, DOCKER_CONTEXT or current Docker context is set)';
  return withEnvTls({ host, address: parseEngineHost(host, 'the default'), context: 'default', source: 'default', origin: why });
}

/** One line for messages: the endpoint, its context and where the choice came from. */
export function describeEngine(e: EngineEndpoint): string {
  if (e.source === 'setting' || e.source === 'DOCKER_HOST') return `${e.host}, set by ${e.origin}`;
  if (e.source === 'default') return `${e.host}, ${e.origin}`;
  return `${e.host}, the endpoint of Docker context "${e.context}" chosen by ${e.origin}`;
}

/** What to try when this endpoint does not answer, by where it came from. */
export function engineFix(e: EngineEndpoint): string {
  switch (e.source) {
    case 'setting':
      return `Check that the engine at ${e.host} is running, or change ${e.origin}.`;
    case 'DOCKER_HOST':
      return 'Check that the engine DOCKER_HOST names is running (`docker info` uses it too), or unset DOCKER_HOST.';
    case 'DOCKER_CONTEXT':
    case 'config':
      return `Check the context with \`docker --context ${e.context} info\`, or switch with \`docker context use default\` (or another context).`;
    default:
      return 'If your engine is elsewhere (Docker Desktop, Colima, Podman, a remote host), select it with `docker context use NAME`, DOCKER_HOST, or the codeInterpreter.dockerHost setting (`--docker-host` for the CLI).';
  }
}
