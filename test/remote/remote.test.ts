/**
 * Remote engines: the same daemon reached over tcp:// with mutual TLS and over ssh://, the way a
 * team's shared sandbox host is. Nothing on these paths may assume the engine is local: code runs,
 * 10 MB go up and come back through Docker's archive API with the same checksum, files are listed
 * and searched.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Core,
  createCore,
  engineReport,
  executePythonCode,
  getSessionFile,
  listSessionFiles,
  rootedHostFiles,
  runShellCommand,
  searchSessionFiles,
  uploadFileToSession,
} from '../../src/core';
import { core, tempDir, threadKey, toolContext } from '../helpers/env';
import { Certs, cliInNamespace, makeCerts, needRoot, SshEndpoint, startSshd, startTlsEndpoint } from '../helpers/remote';

const TEN_MB = 10 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The work a remote user does, through the core's tools: run code, move 10 MB both ways, list, search. */
async function exercise(c: Core, thread: string): Promise<void> {
  const host = tempDir();
  const ctx = toolContext(c, thread, { host: rootedHostFiles([host]) });
  const ran = await executePythonCode({ pythonCode: 'import pandas as pd\nprint(pd.DataFrame({"x": [1, 2, 3]}).x.sum() * 7)' }, ctx);
  assert.equal(ran.status, 'ok', ran.text);
  assert.match(ran.text, /\b42\b/);

  const bytes = randomBytes(TEN_MB);
  writeFileSync(join(host, 'big.bin'), bytes);
  const up = await uploadFileToSession({ source: 'big.bin', destination: 'remote/big.bin' }, ctx);
  assert.equal(up.status, 'ok', up.text);
  const inside = await runShellCommand({ command: 'sha256sum remote/big.bin; echo "needle in the remote haystack" > remote/notes.txt' }, ctx);
  assert.equal(inside.status, 'ok', inside.text);
  assert.match(inside.text, new RegExp(sha256(bytes)), 'the engine holds the bytes that were sent');
  const down = await getSessionFile({ path: 'remote/big.bin', saveTo: 'back/big.bin' }, ctx);
  assert.equal(down.status, 'ok', down.text);
  assert.equal(sha256(readFileSync(join(host, 'back', 'big.bin'))), sha256(bytes), 'the download is the upload');

  const listed = await listSessionFiles({ path: 'remote' }, ctx);
  assert.equal(listed.status, 'ok', listed.text);
  assert.match(listed.text, /remote\/big\.bin\t10 MB/);
  assert.match(listed.text, /remote\/notes\.txt/);
  const found = await searchSessionFiles({ pattern: 'needle', path: 'remote' }, ctx);
  assert.equal(found.status, 'ok', found.text);
  assert.match(found.text, /remote\/notes\.txt:1: needle in the remote haystack/);
}

describe('an engine over tcp:// with TLS (client certificates made with openssl)', () => {
  let local: Core;
  let certs: Certs;
  let endpoint: Awaited<ReturnType<typeof startTlsEndpoint>>;
  let remote: Core;
  const thread = threadKey('tls');
  before(async () => {
    local = await core(); // the image, built on the local socket; the remote path reaches the same daemon
    certs = makeCerts();
    endpoint = await startTlsEndpoint(certs);
    remote = createCore({
      idleStopMinutes: 0,
      poolSize: 0,
      engine: { host: `tcp://127.0.0.1:${endpoint.port}`, hostOrigin: 'the test', env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir } },
    });
  });
  after(async () => {
    await remote?.manager[Symbol.asyncDispose]();
    await local?.manager.delete(thread);
    await endpoint?.close();
  });

  it('reports the endpoint, TLS verified, and the engine behind it', async () => {
    const r = await engineReport(remote.docker);
    assert.equal(r.reachable, true, r.error);
    assert.equal(r.endpoint, `tcp://127.0.0.1:${endpoint.port}`);
    assert.equal(r.source, 'setting');
    assert.match(r.tls ?? '', /^verified, client certificate/);
    assert.equal(r.version, (await local.docker.info()).ServerVersion);
    assert.ok(r.runtimes?.includes('runc'), `runtimes: ${r.runtimes}`);
  });

  it('runs code, moves 10 MB each way with matching checksums, lists and searches', async () => {
    await exercise(remote, thread);
  });

  it('refuses an engine whose certificate another CA signed, naming the endpoint', async () => {
    const wrong = createCore({ poolSize: 0, engine: { host: `tcp://127.0.0.1:${endpoint.port}`, hostOrigin: 'the test', env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.otherCaDir } } });
    await assert.rejects(wrong.docker.ping(), (err: Error) => {
      assert.match(err.message, new RegExp(`not reachable at tcp://127\\.0\\.0\\.1:${endpoint.port}, set by the test: the TLS handshake failed`));
      return true;
    });
  });

  it('takes the TLS files of a context that the docker CLI created', async () => {
    const config = tempDir();
    const dockerCli = spawnSync(
      'docker',
      ['context', 'create', 'ci-tls', '--docker', `host=tcp://127.0.0.1:${endpoint.port},ca=${join(certs.clientDir, 'ca.pem')},cert=${join(certs.clientDir, 'cert.pem')},key=${join(certs.clientDir, 'key.pem')}`],
      { env: { ...process.env, DOCKER_CONFIG: config }, encoding: 'utf8' },
    );
    assert.equal(dockerCli.status, 0, `docker context create (the Docker CLI, from Debian's docker.io) failed: ${dockerCli.stderr}`);
    const viaContext = createCore({ poolSize: 0, engine: { env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'ci-tls' } } });
    const r = await engineReport(viaContext.docker);
    assert.equal(r.reachable, true, r.error);
    assert.deepEqual([r.context, r.source, r.endpoint], ['ci-tls', 'DOCKER_CONTEXT', `tcp://127.0.0.1:${endpoint.port}`]);
    assert.match(r.tls ?? '', /verified, client certificate \(.*contexts\/tls\/[0-9a-f]{64}\/docker\)/);
    viaContext.docker.close();
  });
});

describe('an engine over ssh:// (Debian sshd on loopback, a key made by the test)', () => {
  let local: Core;
  let sshd: SshEndpoint;
  const thread = threadKey('ssh');
  const home = userInfo().homedir; // ssh reads ~/.ssh from the passwd entry, not $HOME
  const url = () => `ssh://${userInfo().username}@127.0.0.1:${sshd.port}`;
  /** The CLI with ~ replaced by a home whose .ssh holds the test's key and known_hosts. */
  const cli = (args: string[], sshHome = sshd.home) => cliInNamespace([...args, '--docker-host', url(), '--audit-dir', tempDir()], { binds: [[sshHome, home]] });

  before(async () => {
    needRoot('ssh reads keys from the passwd home, which the test replaces in a mount namespace');
    local = await core();
    sshd = await startSshd();
  });
  after(async () => {
    await local?.manager.delete(thread);
    sshd?.close();
  });

  it('doctor names the ssh endpoint and the engine', () => {
    const r = cli(['doctor', '--json']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const report = JSON.parse(r.stdout);
    assert.deepEqual([report.reachable, report.endpoint, report.origin], [true, url(), '--docker-host']);
    assert.ok(report.runtimes.includes('runc'));
  });

  it('runs code, moves 10 MB each way with matching checksums, lists and searches', () => {
    const work = tempDir();
    const bytes = randomBytes(TEN_MB);
    writeFileSync(join(work, 'big.bin'), bytes);
    const at = (args: string[]) => {
      const r = cli([...args, '--thread', thread]);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    assert.match(at(['exec', '--code', 'import numpy as np; print(int(np.arange(7).sum() * 2))']), /^42$/m);
    at(['upload', join(work, 'big.bin'), 'remote/big.bin']);
    assert.match(at(['shell', 'sha256sum remote/big.bin; echo "needle over ssh" > remote/notes.txt']), new RegExp(sha256(bytes)));
    at(['download', 'remote/big.bin', join(work, 'back.bin')]);
    assert.equal(sha256(readFileSync(join(work, 'back.bin'))), sha256(bytes), 'the download is the upload');
    assert.match(at(['files', 'remote']), /remote\/big\.bin\t10 MB/);
    assert.match(at(['search', 'needle', '--path', 'remote']), /remote\/notes\.txt:1: needle over ssh/);
  });

  it('an untrusted host key is refused (known_hosts is honoured), with the endpoint and the fix', () => {
    const r = cli(['files', '--thread', thread], sshd.untrustedHome);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`not reachable at ${url().replace(/\./g, '\\.')}, set by --docker-host`));
    assert.match(r.stdout + r.stderr, /Host key verification failed/);
    assert.match(r.stdout + r.stderr, /ssh HOST docker version/);
  });
});
