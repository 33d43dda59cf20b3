/**
 * Workspace environments against the real engine: a wheelhouse built with no network, apt.txt from
 * Debian's mirror, one build per content, a thread moving to a rebuilt image with its files, and
 * bad environments that name their line while the previous image keeps working.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core, ENV_REPOSITORY, EnvironmentError, executePythonCode, exportNotebook, runShellCommand } from '../../src/core';
import { core, tempDir, threadKey, toolContext, createTestCore } from '../helpers/env';

/** A pure-Python wheel, made here with the host's zipfile (fixed timestamps: same bytes every run). */
function makeWheel(dir: string, name: string, version: string): string {
  const file = `${name}-${version}-py3-none-any.whl`;
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1:4]
files = {
  f"{name}/__init__.py": f"VERSION = {version!r}\\n",
  f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
  f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for path, body in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(body.encode())}")
record.append(f"{name}-{version}.dist-info/RECORD,,")
files[f"{name}-{version}.dist-info/RECORD"] = "\\n".join(record) + "\\n"
with zipfile.ZipFile(out, "w") as z:
    for path, body in files.items():
        z.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), body)
`;
  execFileSync('python3', ['-c', script, name, version, join(dir, file)]);
  return file;
}

function envDir(files: { apt?: string; requirements?: string; wheels?: Array<[string, string]> }): string {
  const dir = join(tempDir(), '.code-interpreter');
  mkdirSync(join(dir, 'wheels'), { recursive: true });
  if (files.apt !== undefined) writeFileSync(join(dir, 'apt.txt'), files.apt);
  if (files.requirements !== undefined) writeFileSync(join(dir, 'requirements.txt'), files.requirements);
  for (const [name, version] of files.wheels ?? []) makeWheel(join(dir, 'wheels'), name, version);
  return dir;
}

describe('workspace environments', () => {
  const cores: Core[] = [];
  const threads: Array<[Core, string]> = [];
  const open = (dir: string) => {
    const c = createTestCore({ idleStopMinutes: 0, poolSize: 0, environment: { dir, autoReload: true } });
    cores.push(c);
    return c;
  };
  const thread = (c: Core, name: string) => {
    const key = threadKey(name);
    threads.push([c, key]);
    return toolContext(c, key);
  };

  before(async () => {
    await core(); // Docker checked and the built-in image built
  });

  after(async () => {
    for (const [c, key] of threads) await c.manager.delete(key).catch(() => undefined);
    for (const c of cores) await c.manager[Symbol.asyncDispose]();
  });

  it('installs a wheelhouse with no network, builds once per content, and moves a thread to a rebuilt image with its files', async () => {
    const dir = envDir({ requirements: 'cidemo  # our own wheel\n', wheels: [['cidemo', '1.0']] });
    const c = open(dir);
    const lines: string[] = [];
    const tag = await c.environment.build((l) => lines.push(l));
    assert.match(tag, new RegExp(`^${ENV_REPOSITORY}:[0-9a-f]{16}$`));
    assert.ok(lines.some((l) => /no network: everything comes from wheels/.test(l)), 'the build ran without a network');
    assert.ok(lines.some((l) => /Successfully tagged code-interpreter-env:/.test(l)), lines.slice(-5).join('\n'));

    const ctx = thread(c, 'env-wheel');
    const first = await executePythonCode({ pythonCode: 'import cidemo\nprint("cidemo", cidemo.VERSION)\nopen("kept.txt", "w").write("still here")' }, ctx);
    assert.equal(first.status, 'ok', first.text);
    assert.match(first.text, /cidemo 1\.0/);
    const info = await c.manager.session(ctx.threadKey).inspect();
    assert.equal(info.Config.Image, tag, 'the engine reports the environment image');
    assert.equal(info.HostConfig.NetworkMode, 'none', 'and still no network at run time');
    assert.equal(info.HostConfig.ReadonlyRootfs, true);

    // Same files, another process: no build, same tag.
    const again = open(dir);
    const rebuilt: string[] = [];
    assert.equal(await again.environment.ensure((l) => rebuilt.push(l)), tag);
    assert.deepEqual(rebuilt.filter((l) => /building|built/.test(l)), [], 'nothing was built the second time');

    // A changed file: a new tag, built on the next call; the thread moves and keeps its files.
    rmSync(join(dir, 'wheels'), { recursive: true });
    mkdirSync(join(dir, 'wheels'));
    makeWheel(join(dir, 'wheels'), 'cidemo', '2.0');
    writeFileSync(join(dir, 'requirements.txt'), 'cidemo==2.0\n');
    const second = await executePythonCode({ pythonCode: 'import cidemo\nprint("cidemo", cidemo.VERSION, open("kept.txt").read())' }, ctx);
    assert.equal(second.status, 'ok', second.text);
    assert.match(second.text, /cidemo 2\.0 still here/);
    assert.match(second.text, /environment changed, so this thread moved to the image code-interpreter-env:/);
    assert.match(second.text, /variables from earlier executions are gone/);
    const moved = await c.manager.session(ctx.threadKey).inspect();
    assert.notEqual(moved.Config.Image, tag);
    assert.equal(moved.Config.Image, c.environment.tag);

    // What a notebook export records: the image, its id, the declaring folder and the exact packages.
    const recorded = await c.environment.record(moved.Config.Image);
    assert.equal(recorded.image, c.environment.tag);
    assert.equal(recorded.imageId, moved.Image, 'the id Docker reports for the container');
    assert.equal(recorded.source, dir);
    const notebook = JSON.parse(exportNotebook(await c.manager.session(ctx.threadKey).readHistory(), { environment: recorded }));
    assert.ok(notebook.metadata.code_interpreter.environment.packages.includes('py cidemo==2.0'));
    const frozen = await c.environment.freeze();
    assert.ok(frozen.includes('py cidemo==2.0'), 'the frozen list has the wheel');
    assert.ok(frozen.some((l) => /^deb python3-pandas=/.test(l)), 'and the Debian packages');
  });

  it('installs apt.txt packages from the mirror; a bad line names itself and the previous image keeps working', async () => {
    const dir = envDir({ apt: '# what the analysis needs\npython3-humanize\n' });
    const c = open(dir);
    const ctx = thread(c, 'env-apt');
    const ok = await executePythonCode({ pythonCode: 'import humanize\nprint(humanize.naturalsize(3_000_000))\nopen("data.csv", "w").write("a,b\\n1,2\\n")' }, ctx);
    assert.equal(ok.status, 'ok', ok.text);
    assert.match(ok.text, /3\.0 MB/);
    const good = c.environment.tag;
    const net = await runShellCommand({ command: 'python3 -c "import socket; socket.create_connection((\'deb.debian.org\', 80), timeout=3)" 2>&1 | tail -1' }, ctx);
    assert.match(net.text, /Errno|gaierror|unreachable|resolution/i, 'no network in the sandbox');

    writeFileSync(join(dir, 'apt.txt'), 'python3-humanize\n\nno-such-package-ci\n');
    const check = () => executePythonCode({ pythonCode: 'import humanize\nprint("humanize", open("data.csv").read().splitlines()[1])' }, ctx);
    let after = await check();
    if (!/Debian has no package/.test(after.text)) {
      // The mirror is on the network: build once more when the first attempt failed for another reason (a fetch error).
      process.stderr.write(`[environment test] first build failed otherwise, retrying: ${after.text.slice(-400)}\n`);
      await c.environment.build().catch(() => undefined);
      after = await check();
    }
    assert.equal(after.status, 'ok', after.text);
    assert.match(after.text, /humanize 1,2/, 'the previous image still runs, and the files are there');
    assert.match(after.text, /Debian has no package 'no-such-package-ci' \(apt\.txt line 3\)/);
    assert.match(after.text, new RegExp(`runs on the previous environment image ${good.replace(/[.:]/g, '\\$&')}`));
    const status = c.environment.status;
    assert.equal(status.state, 'failed');
    assert.equal(status.tag, good);
    assert.ok(status.state === 'failed' && status.error instanceof EnvironmentError && status.error.where?.line === 3);
    assert.equal((await c.manager.session(ctx.threadKey).inspect()).Config.Image, good, 'the engine runs the previous image');
  });

  it('a wheel pip cannot install fails the build with its name; nothing else changes', async () => {
    const dir = envDir({ requirements: 'broken\n' });
    writeFileSync(join(dir, 'wheels', 'broken-1.0-py3-none-any.whl'), 'this is not a zip file');
    const c = open(dir);
    await assert.rejects(c.environment.build(), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError, String(err));
      assert.match(err.message, /broken-1\.0-py3-none-any\.whl|'broken'/);
      assert.match(err.fix ?? '', /rebuild/);
      return true;
    });
    assert.equal(c.environment.status.state, 'failed');
    assert.equal(c.environment.status.tag, c.image.tag, 'no previous environment: the built-in image');
  });

  it('refuses a malformed line before building, naming file and line', () => {
    const dir = envDir({ apt: 'python3-humanize\nrm -rf /; echo\n' });
    const c = open(dir);
    const status = c.environment.status;
    assert.equal(status.state, 'failed');
    assert.match(status.state === 'failed' ? status.error.message : '', /apt\.txt:2: 'rm' is not a Debian package name|apt\.txt:2: '-rf'/);
  });
});
