import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { explainDockerError, InfrastructureError } from '../../src/core/errors';
import { contextDigest, describeEngine, dockerConfigDir, engineFix, parseEngineHost, resolveEngine } from '../../src/core/sandbox/engine';
import { sameImageRef } from '../../src/core/sandbox/image';
import { sshArgs } from '../../src/core/sandbox/transport';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A Docker config directory laid out as the Docker CLI writes it. */
function dockerConfig(opts: { current?: string; contexts?: Record<string, { host?: string; skipTls?: boolean; tls?: Partial<Record<'ca' | 'cert' | 'key', string>> }> } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-unit-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.current ? { auths: {}, currentContext: opts.current } : { auths: {} }));
  for (const [name, c] of Object.entries(opts.contexts ?? {})) {
    const digest = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', digest), { recursive: true });
    const endpoint = c.host === undefined ? undefined : { Host: c.host, SkipTLSVerify: !!c.skipTls };
    writeFileSync(join(dir, 'contexts', 'meta', digest, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: endpoint ? { docker: endpoint } : {} }));
    if (c.tls) {
      mkdirSync(join(dir, 'contexts', 'tls', digest, 'docker'), { recursive: true });
      for (const [f, text] of Object.entries(c.tls)) writeFileSync(join(dir, 'contexts', 'tls', digest, 'docker', `${f}.pem`), text);
    }
  }
  return dir;
}

const HOME = '/nonexistent-home';

describe('engine resolution (the Docker CLI order)', () => {
  const cfg = dockerConfig({
    current: 'from-config',
    contexts: {
      'from-config': { host: 'unix:///run/from-config.sock' },
      'from-env': { host: 'ssh://me@build-box:2222' },
      tls: { host: 'tcp://10.0.0.5:2376', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } },
      insecure: { host: 'tcp://10.0.0.6:2376', skipTls: true },
      plain: { host: 'tcp://10.0.0.7:2375' },
      'no-endpoint': {},
    },
  });

  it('the setting comes first, then DOCKER_HOST, then DOCKER_CONTEXT, then the current context, then the default', () => {
    const env = { DOCKER_CONFIG: cfg, DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_CONTEXT: 'from-env' };
    const s = resolveEngine({ host: 'unix:///custom.sock', env, home: HOME });
    assert.deepEqual([s.host, s.source, s.context, s.origin], ['unix:///custom.sock', 'setting', 'default', 'the codeInterpreter.dockerHost setting']);
    assert.deepEqual(s.address, { protocol: 'unix', path: '/custom.sock' });

    const h = resolveEngine({ host: '  ', env, home: HOME });
    assert.deepEqual([h.host, h.source, h.context], ['tcp://127.0.0.1:2375', 'DOCKER_HOST', 'default']);
    assert.deepEqual(h.address, { protocol: 'tcp', host: '127.0.0.1', port: 2375 });
    assert.equal(h.tls, undefined, 'plain tcp without DOCKER_TLS_VERIFY');

    const c = resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'from-env' }, home: HOME });
    assert.deepEqual([c.host, c.source, c.context, c.origin], ['ssh://me@build-box:2222', 'DOCKER_CONTEXT', 'from-env', 'DOCKER_CONTEXT']);
    assert.deepEqual(c.address, { protocol: 'ssh', host: 'build-box', port: 2222, user: 'me' });

    const k = resolveEngine({ env: { DOCKER_CONFIG: cfg }, home: HOME });
    assert.deepEqual([k.host, k.source, k.context], ['unix:///run/from-config.sock', 'config', 'from-config']);
    assert.equal(k.origin, `the current context in ${join(cfg, 'config.json')}`);

    const d = resolveEngine({ env: {}, home: HOME, platform: 'linux' });
    assert.deepEqual([d.host, d.source, d.context], ['unix:///var/run/docker.sock', 'default', 'default']);
    const w = resolveEngine({ env: {}, home: HOME, platform: 'win32' });
    assert.equal(w.host, 'npipe:////./pipe/docker_engine');
    assert.deepEqual(w.address, { protocol: 'npipe', path: '//./pipe/docker_engine' });
  });

  it('reads ~/.docker when DOCKER_CONFIG is unset, and context "default" means the default endpoint', () => {
    const home = mkdtempSync(join(tmpdir(), 'engine-home-'));
    dirs.push(home);
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'default' }));
    assert.equal(dockerConfigDir({}, home), join(home, '.docker'));
    const e = resolveEngine({ env: {}, home, platform: 'linux' });
    assert.deepEqual([e.host, e.source, e.context], ['unix:///var/run/docker.sock', 'default', 'default']);
    assert.match(e.origin, /context "default"/);
  });

  it('stores contexts under the SHA-256 of their name', () => {
    assert.equal(contextDigest('desktop-linux'), createHash('sha256').update('desktop-linux').digest('hex'));
    assert.equal(contextDigest('default').length, 64);
  });

  it('takes a context\'s TLS files and SkipTLSVerify; a context without TLS is plain HTTP', () => {
    const t = resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'tls' }, home: HOME });
    assert.equal(t.tls?.verify, true);
    assert.deepEqual([t.tls?.ca?.toString(), t.tls?.cert?.toString(), t.tls?.key?.toString()], ['CA', 'CERT', 'KEY']);
    assert.equal(t.tls?.from, join(cfg, 'contexts', 'tls', contextDigest('tls'), 'docker'));
    const i = resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'insecure' }, home: HOME });
    assert.equal(i.tls?.verify, false);
    assert.equal(resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'plain' }, home: HOME }).tls, undefined);
    // A context with no Docker endpoint uses the default socket, as the CLI does.
    assert.equal(resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'no-endpoint' }, home: HOME, platform: 'linux' }).host, 'unix:///var/run/docker.sock');
  });

  it('takes TLS for DOCKER_HOST from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (and the setting too)', () => {
    const certs = mkdtempSync(join(tmpdir(), 'engine-certs-'));
    dirs.push(certs);
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(certs, `${f}.pem`), f.toUpperCase());
    const env = { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const e = resolveEngine({ env, home: HOME });
    assert.deepEqual([e.tls?.verify, e.tls?.ca?.toString(), e.tls?.cert?.toString(), e.tls?.key?.toString(), e.tls?.from], [true, 'CA', 'CERT', 'KEY', certs]);
    const s = resolveEngine({ host: 'tcp://other:2376', env, home: HOME });
    assert.equal(s.tls?.cert?.toString(), 'CERT');
    // DOCKER_TLS without VERIFY: encrypted, the server's certificate not checked, no CA read.
    const n = resolveEngine({ env: { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs }, home: HOME });
    assert.deepEqual([n.tls?.verify, n.tls?.ca], [false, undefined]);
    // TLS settings never apply to a unix socket.
    assert.equal(resolveEngine({ env: { ...env, DOCKER_HOST: 'unix:///x.sock' }, home: HOME }).tls, undefined);
    // Half a client certificate is a mistake worth naming.
    rmSync(join(certs, 'key.pem'));
    assert.throws(() => resolveEngine({ env, home: HOME }), /holds cert\.pem but no key\.pem/);
  });

  it('a context that does not exist is an error naming it, its file and the fix', () => {
    assert.throws(
      () => resolveEngine({ env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'gone' }, home: HOME }),
      (err: unknown) => {
        assert.ok(err instanceof InfrastructureError);
        assert.match(err.message, /context "gone" named by DOCKER_CONTEXT does not exist/);
        assert.ok(err.message.includes(join(cfg, 'contexts', 'meta', contextDigest('gone'), 'meta.json')));
        assert.match(err.fix ?? '', /docker context use default/);
        assert.equal((err.cause as NodeJS.ErrnoException)?.code, 'ENOENT', 'the failed read is kept as the cause');
        return true;
      },
    );
    const stale = dockerConfig({ current: 'removed' });
    assert.throws(() => resolveEngine({ env: { DOCKER_CONFIG: stale }, home: HOME }), /context "removed" named by the current context in .*config\.json does not exist/);
  });

  it('a broken config.json is an error, a missing one is not', () => {
    const broken = dockerConfig();
    writeFileSync(join(broken, 'config.json'), '{ not json');
    assert.throws(
      () => resolveEngine({ env: { DOCKER_CONFIG: broken }, home: HOME }),
      (err: unknown) => err instanceof InfrastructureError && /config\.json cannot be read/.test(err.message) && err.cause instanceof SyntaxError,
    );
    assert.equal(resolveEngine({ env: { DOCKER_CONFIG: join(broken, 'absent') }, home: HOME, platform: 'linux' }).source, 'default');
  });

  it('parses the endpoint forms the Docker client accepts, and refuses the rest with the forms it takes', () => {
    assert.deepEqual(parseEngineHost('unix:///var/run/docker.sock', 'x'), { protocol: 'unix', path: '/var/run/docker.sock' });
    assert.deepEqual(parseEngineHost('npipe:////./pipe/podman-machine-default', 'x'), { protocol: 'npipe', path: '//./pipe/podman-machine-default' });
    assert.deepEqual(parseEngineHost('tcp://[::1]:2376', 'x'), { protocol: 'tcp', host: '::1', port: 2376 });
    assert.deepEqual(parseEngineHost('tcp://docker.example', 'x'), { protocol: 'tcp', host: 'docker.example', port: 0 });
    assert.deepEqual(parseEngineHost('ssh://docker.example', 'x'), { protocol: 'ssh', host: 'docker.example', port: undefined, user: undefined });
    for (const bad of ['/var/run/docker.sock', 'unix://', 'fd://', 'ssh://me:secret@host', 'tcp://host:2375/prefix', 'ftp://x']) {
      assert.throws(() => parseEngineHost(bad, 'the codeInterpreter.dockerHost setting'), /from the codeInterpreter\.dockerHost setting is not usable.*/, bad);
    }
    assert.throws(() => resolveEngine({ env: { DOCKER_HOST: 'localhost:2375' }, home: HOME }), (e: unknown) => e instanceof InfrastructureError && /DOCKER_HOST/.test(e.message) && /tcp:\/\/host:2376/.test(e.fix ?? ''));
  });

  it('runs ssh the way the Docker CLI does, without prompts', () => {
    assert.deepEqual(sshArgs({ protocol: 'ssh', host: 'box', port: 2222, user: 'me' }), ['-o', 'ConnectTimeout=30', '-o', 'BatchMode=yes', '-T', '-l', 'me', '-p', '2222', '--', 'box', 'docker', 'system', 'dial-stdio']);
    assert.deepEqual(sshArgs({ protocol: 'ssh', host: 'box' }).slice(-5), ['--', 'box', 'docker', 'system', 'dial-stdio']);
  });
});

describe('"not reachable" names the endpoint, where it came from, and the fix', () => {
  const cfg = dockerConfig({ current: 'colima', contexts: { colima: { host: 'unix:///home/me/.colima/default/docker.sock' } } });
  const cases: [string, ReturnType<typeof resolveEngine>, RegExp, RegExp][] = [
    ['setting', resolveEngine({ host: 'tcp://10.1.1.1:2375', env: {}, home: HOME }), /at tcp:\/\/10\.1\.1\.1:2375, set by the codeInterpreter\.dockerHost setting/, /change the codeInterpreter\.dockerHost setting/],
    ['DOCKER_HOST', resolveEngine({ env: { DOCKER_HOST: 'unix:///tmp/x.sock' }, home: HOME }), /at unix:\/\/\/tmp\/x\.sock, set by DOCKER_HOST/, /unset DOCKER_HOST/],
    ['context', resolveEngine({ env: { DOCKER_CONFIG: cfg }, home: HOME }), /at unix:\/\/\/home\/me\/\.colima\/default\/docker\.sock, the endpoint of Docker context "colima" chosen by the current context in/, /docker --context colima info/],
    ['default', resolveEngine({ env: {}, home: HOME, platform: 'linux' }), /at unix:\/\/\/var\/run\/docker\.sock, the default endpoint \(no DOCKER_HOST, DOCKER_CONTEXT or current Docker context is set\)/, /docker context use NAME/],
  ];
  for (const [name, engine, message, fix] of cases) {
    it(name, () => {
      const err = explainDockerError(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), 'contacting the Docker engine', { where: describeEngine(engine), fix: engineFix(engine) });
      assert.match(err.message, /^Docker is not running or not reachable at /);
      assert.match(err.message, message);
      assert.match(err.fix ?? '', /^Start Docker/);
      assert.match(err.fix ?? '', fix);
    });
  }

  it('a failed TLS handshake and a failed ssh say so', () => {
    const tls = explainDockerError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'x', { where: 'tcp://h:2376, set by DOCKER_HOST', fix: 'f' });
    assert.match(tls.message, /at tcp:\/\/h:2376, set by DOCKER_HOST: the TLS handshake failed/);
    const ssh = explainDockerError(Object.assign(new Error('ssh to ssh://h failed: Permission denied (publickey).'), { code: 'ESSH' }), 'x', { where: 'ssh://h, set by DOCKER_HOST', fix: 'f' });
    assert.match(ssh.message, /not reachable at ssh:\/\/h.*Permission denied/);
    assert.match(ssh.fix ?? '', /ssh HOST docker version/);
  });
});

describe('image references as Docker and Podman report them', () => {
  it('treats localhost/, docker.io/library/ and an implicit :latest as the same image', () => {
    assert.ok(sameImageRef('localhost/code-interpreter-sandbox:0123abcd', 'code-interpreter-sandbox:0123abcd'));
    assert.ok(sameImageRef('docker.io/library/debian:trixie-slim', 'debian:trixie-slim'));
    assert.ok(sameImageRef('python', 'docker.io/library/python:latest'));
    assert.ok(!sameImageRef('code-interpreter-sandbox:0123abcd', 'code-interpreter-sandbox:ffff0000'));
    assert.ok(!sameImageRef('localhost:5000/x:1', 'x:1'), 'a registry on port 5000 is another image');
    assert.ok(!sameImageRef(undefined, 'x:1'));
  });
});
