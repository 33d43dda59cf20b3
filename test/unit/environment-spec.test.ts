import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { derivedDockerfile, EnvironmentError, explainBuildFailure } from '../../src/core/environment/build';
import { describePlan, hostDebianMirror, isOffline, needsNetwork, readEnvironment } from '../../src/core/environment/spec';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'env-spec-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

describe('environment files', () => {
  it('reads apt.txt names with their line numbers, comments and pins', () => {
    const spec = readEnvironment(folder({ 'apt.txt': '# tools\npython3-humanize   # for sizes\n\ngraphviz jq=1.7.1-3\n' }), 'base:1')!;
    assert.deepEqual(spec.apt, [
      { text: 'python3-humanize', line: 2 },
      { text: 'graphviz', line: 4 },
      { text: 'jq=1.7.1-3', line: 4 },
    ]);
    assert.equal(needsNetwork(spec), true);
  });

  it('refuses what is not a package name or a plain requirement, naming file and line', () => {
    assert.throws(() => readEnvironment(folder({ 'apt.txt': 'jq\n$(curl evil)\n' }), 'b'), /apt\.txt:2: '\$\(curl' is not a Debian package name/);
    assert.throws(() => readEnvironment(folder({ 'requirements.txt': 'pandas\n--index-url https://x\n' }), 'b'), /requirements\.txt:2: pip options such as '--index-url'/);
    assert.throws(() => readEnvironment(folder({ 'requirements.txt': 'foo @ https://example.com/foo.whl\n' }), 'b'), /requirements\.txt:1: 'foo @ https/);
    const ok = readEnvironment(folder({ 'requirements.txt': 'polars[pyarrow]>=1.0,<2 ; python_version >= "3.10"\nhumanize==4.12\n' }), 'b')!;
    assert.equal(ok.requirements.length, 2);
    assert.equal(isOffline(ok), false, 'requirements without a wheelhouse come from an index');
  });

  it('is absent when nothing is declared', () => {
    assert.equal(readEnvironment(folder({ 'apt.txt': '# nothing yet\n' }), 'b'), undefined);
    assert.equal(readEnvironment(join(tmpdir(), 'no-such-env-folder'), 'b'), undefined);
  });

  it('hashes what gets installed: not comments, but every entry, wheel byte and the base image', () => {
    const a = readEnvironment(folder({ 'apt.txt': 'jq\n' }), 'base:1')!.hash;
    assert.equal(readEnvironment(folder({ 'apt.txt': '# a comment\n\njq   \n' }), 'base:1')!.hash, a);
    assert.notEqual(readEnvironment(folder({ 'apt.txt': 'jq\nbc\n' }), 'base:1')!.hash, a);
    assert.notEqual(readEnvironment(folder({ 'apt.txt': 'jq\n' }), 'base:2')!.hash, a, 'a new built-in image rebuilds');
    const w1 = readEnvironment(folder({ 'wheels/x-1.0-py3-none-any.whl': 'one' }), 'b')!;
    const w2 = readEnvironment(folder({ 'wheels/x-1.0-py3-none-any.whl': 'two' }), 'b')!;
    assert.notEqual(w1.hash, w2.hash);
    assert.equal(isOffline(w1), true);
    assert.equal(needsNetwork(w1), false, 'a wheelhouse builds without a network');
    assert.match(describePlan(w1).join('\n'), /Wheelhouse \(wheels\/, installed\): x-1\.0-py3-none-any\.whl/);
  });

  it('generates only the steps needed, reading names from files (never interpolating them)', () => {
    const spec = readEnvironment(folder({ 'apt.txt': 'jq\n', 'requirements.txt': 'x\n', 'wheels/x-1.0-py3-none-any.whl': 'w' }), 'b')!;
    const file = derivedDockerfile(spec, 'code-interpreter-sandbox:abc');
    assert.match(file, /^FROM code-interpreter-sandbox:abc$/m);
    assert.match(file, /xargs -a \/tmp\/code-interpreter-env\/apt\.txt apt-get install/);
    assert.match(file, /--no-index --find-links \/tmp\/code-interpreter-env\/wheels -r \/tmp\/code-interpreter-env\/requirements\.txt/);
    assert.doesNotMatch(file, /apt-get install[^\n]*\bjq\b/);
    assert.match(file, /USER sandbox\n$/);
    assert.doesNotMatch(derivedDockerfile(readEnvironment(folder({ 'wheels/x-1.0-py3-none-any.whl': 'w' }), 'b')!, 'b'), /apt-get/);
  });

  it('pins build failures to the line that caused them', () => {
    const spec = readEnvironment(folder({ 'apt.txt': 'jq\n# x\npython3-nope\n', 'requirements.txt': 'Foo_Bar==2\n', 'wheels/y-1.0-py3-none-any.whl': 'w' }), 'b')!;
    const apt = explainBuildFailure(spec, ['Reading package lists...', 'E: Unable to locate package python3-nope'])!;
    assert.ok(apt instanceof EnvironmentError);
    assert.deepEqual(apt.where, { file: 'apt.txt', line: 3, item: 'python3-nope' });
    assert.match(apt.message, /Debian has no package 'python3-nope' \(apt\.txt line 3\)/);
    const pip = explainBuildFailure(spec, ['ERROR: Could not find a version that satisfies the requirement foo-bar==2 (from versions: none)', 'ERROR: No matching distribution found for foo-bar==2'])!;
    assert.equal(pip.where?.line, 1, 'PEP 503 names: Foo_Bar is foo-bar');
    assert.match(pip.fix ?? '', /Add a wheel of foo-bar==2/);
    const wheel = explainBuildFailure(spec, ['ERROR: y-1.0-py3-none-any.whl is not a supported wheel on this platform.'])!;
    assert.match(wheel.message, /the wheel y-1\.0-py3-none-any\.whl/);
    assert.equal(explainBuildFailure(spec, ['Step 3/5 : RUN true', 'some other failure']), undefined);
  });

  it('finds the host mirror in deb822 and one-line apt sources', () => {
    const d = folder({
      'a.sources': 'Types: deb\nURIs: http://mirror.example.org/debian/\nSuites: trixie\n',
      'b.list': '# comment\ndeb [arch=amd64] https://apt.corp.example/debian trixie main\n',
      'c.list': 'deb http://security.debian.org/debian-security trixie-security main\n',
    });
    assert.equal(hostDebianMirror([join(d, 'a.sources')]), 'http://mirror.example.org/debian');
    assert.equal(hostDebianMirror([join(d, 'c.list'), join(d, 'b.list')]), 'https://apt.corp.example/debian');
    assert.equal(hostDebianMirror([join(d, 'c.list'), join(d, 'missing')]), undefined);
  });
});
