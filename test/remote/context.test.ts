/**
 * The engine chosen only by a Docker context: in a mount namespace the default socket is hidden
 * and the engine's socket appears at another path; a Docker config (made by the Docker CLI itself)
 * whose current context points there is the only way to find it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core } from '../../src/core';
import { core, tempDir, threadKey } from '../helpers/env';
import { cliInNamespace, needRoot, upstreamSocket } from '../helpers/remote';

const DEFAULT_SOCKET = '/var/run/docker.sock';

function dockerCli(config: string, args: string[]): string {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: config }, encoding: 'utf8' });
  assert.equal(r.status, 0, `docker ${args.join(' ')} (the Docker CLI, from Debian's docker.io) failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

describe('an engine chosen by the current Docker context', () => {
  let c: Core;
  const thread = threadKey('context');
  const dir = tempDir();
  const alt = join(dir, 'engine.sock');
  const config = join(dir, 'docker-config');
  const configFile = join(config, 'config.json');
  /** The default socket hidden; the engine's socket bound at `alt` unless `withEngine` is false. */
  const cli = (args: string[], withEngine = true) =>
    cliInNamespace([...args, '--audit-dir', tempDir()], {
      binds: withEngine ? [[upstreamSocket(), alt]] : [],
      hide: [...new Set([DEFAULT_SOCKET, upstreamSocket()])],
      env: { DOCKER_CONFIG: config },
    });

  before(async () => {
    needRoot('it hides the default socket in a mount namespace (unshare -m)');
    c = await core();
    writeFileSync(alt, ''); // the mount point for the engine's socket
    dockerCli(config, ['context', 'create', 'ci-alt', '--description', 'the engine at another path', '--docker', `host=unix://${alt}`]);
    dockerCli(config, ['context', 'use', 'ci-alt']);
    assert.equal(JSON.parse(readFileSync(configFile, 'utf8')).currentContext, 'ci-alt');
  });
  after(async () => c?.manager.delete(thread));

  it('the default socket is really hidden in the namespace', () => {
    const r = cliInNamespace(['doctor'], { hide: [...new Set([DEFAULT_SOCKET, upstreamSocket()])], env: { DOCKER_CONTEXT: 'default' } });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /not reachable at unix:\/\/\/var\/run\/docker\.sock, the default endpoint \(context "default" is chosen by DOCKER_CONTEXT\)/);
  });

  it('doctor shows the context, its endpoint and where the choice came from', () => {
    const r = cli(['doctor']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /context\s+ci-alt/);
    assert.match(r.stdout, new RegExp(`endpoint\\s+unix://${alt}`));
    assert.match(r.stdout, new RegExp(`source\\s+the current context in ${configFile}`));
    assert.match(r.stdout, /runtimes\s+.*runc/);
  });

  it('the CLI runs code there', () => {
    const r = cli(['exec', '--thread', thread, '--code', 'import socket; print("ran in", 6 * 7)']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ran in 42/);
  });

  it('with nothing at the context\'s endpoint, the error names the endpoint and the context', () => {
    const r = cli(['files', '--thread', thread], false);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`Docker is not running or not reachable at unix://${alt}, the endpoint of Docker context "ci-alt" chosen by the current context in ${configFile}`));
    assert.match(r.stdout + r.stderr, /docker --context ci-alt info/);
  });

  it('with the context removed, it fails naming the endpoint it tried', () => {
    // `docker context rm -f` of the current context also resets currentContext: the default socket is tried.
    dockerCli(config, ['context', 'rm', '-f', 'ci-alt']);
    const r = cli(['exec', '--thread', thread, '--code', 'print(1)']);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /not reachable at unix:\/\/\/var\/run\/docker\.sock, the default endpoint \(no DOCKER_HOST, DOCKER_CONTEXT or current Docker context is set\)/);
    // A config that still names the removed context: the context is named, and how to choose another.
    writeFileSync(configFile, JSON.stringify({ currentContext: 'ci-alt' }));
    const stale = cli(['exec', '--thread', thread, '--code', 'print(1)']);
    assert.equal(stale.status, 3, stale.stdout + stale.stderr);
    assert.match(stale.stdout + stale.stderr, new RegExp(`Docker context "ci-alt" named by the current context in ${configFile} does not exist`));
    assert.match(stale.stdout + stale.stderr, /docker context use default/);
  });
});
