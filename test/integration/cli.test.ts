import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core } from '../../src/core';
import { core, tempDir, threadKey } from '../helpers/env';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const audit = tempDir();
  const r = spawnSync(process.execPath, [CLI, ...args, '--audit-dir', audit], { input: opts.input, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI', () => {
  let c: Core;
  const thread = threadKey('cli');
  before(async () => {
    c = await core();
  });
  after(async () => c.manager.delete(thread));

  it('runs code from stdin and a new process finds the same files', () => {
    const w = cli(['exec', '--thread', thread], { input: 'open("cli.txt", "w").write("from the cli")\nprint("written")' });
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stdout, /written/);
    const r = cli(['read', 'cli.txt', '--thread', thread, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'ok');
    assert.match(JSON.parse(r.stdout).text, /from the cli/);
  });

  it('keeps Python variables between CLI calls: the kernel belongs to the container, not to the process', () => {
    const set = cli(['exec', '--thread', thread, '--code', 'x = 41\nimport os\nprint("pid", os.getpid())']);
    assert.equal(set.status, 0, set.stderr);
    const pid = /pid (\d+)/.exec(set.stdout)?.[1];
    const get = cli(['exec', '--thread', thread, '--code', 'import os\nprint(x + 1, "pid", os.getpid())']);
    assert.equal(get.status, 0, get.stdout + get.stderr);
    assert.match(get.stdout, /^42 pid (\d+)/m);
    assert.equal(/pid (\d+)/.exec(get.stdout)?.[1], pid, 'the same kernel process ran both calls');
  });

  it('a timeout counts from when the code starts and leaves the kernel and its variables alive', () => {
    const r = cli(['exec', '--thread', thread, '--timeout', '5', '--json', '--code', 'kept = "still here"\nimport time\ntime.sleep(60)']);
    assert.equal(r.status, 1, r.stderr);
    const outcome = JSON.parse(r.stdout);
    assert.equal(outcome.status, 'timeout', r.stdout);
    assert.doesNotMatch(r.stdout, /kernel was killed|variables .* gone/i, 'interrupted, not killed');
    const after = cli(['exec', '--thread', thread, '--code', 'print(kept)']);
    assert.equal(after.status, 0, after.stdout + after.stderr);
    assert.match(after.stdout, /still here/);
  });

  it('exit status: 1 for failing code, 2 for bad input, 3 when Docker is unreachable', () => {
    assert.equal(cli(['exec', '--thread', thread, '--code', 'raise SystemError("x")']).status, 1);
    const bad = cli(['read', '../x', '--thread', thread]);
    assert.equal(bad.status, 2);
    assert.match(bad.stdout + bad.stderr, /'\.\.' may not be used/);
    const down = cli(['files', '--thread', thread], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    assert.equal(down.status, 3);
    assert.match(down.stdout + down.stderr, /Docker is not running or not reachable.*Start Docker/s);
  });
});
