import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { COMMAND_PROVIDERS, findPackageHint, hintText, MODULE_PROVIDERS, PackageHint } from '../../src/core/environment/hints';
import { readEnvironment } from '../../src/core/environment/spec';
import { ExecutionRecord, Output } from '../../src/core/notebook/nbformat';
import { describeExecution } from '../../src/core/tools/outcome';

const record = (over: Partial<ExecutionRecord>): ExecutionRecord => ({
  id: 'e1', session: 's1', kind: 'python', code: 'x', started: '2026-11-25T10:00:00.000Z', durationMs: 12, status: 'error', outputs: [], files: [], ...over,
});

/** What IPython sends for an exception: the traceback lines carry ANSI colours. */
function pyError(ename: string, evalue: string, code: string): Output {
  return {
    output_type: 'error',
    ename,
    evalue,
    traceback: [
      '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
      `\u001b[0;31m${ename}\u001b[0m                       Traceback (most recent call last)`,
      `Cell \u001b[0;32mIn[1], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m ${code}`,
      `\u001b[0;31m${ename}\u001b[0m: ${evalue}`,
    ],
  };
}

const python = (code: string, ename: string, evalue: string) => record({ kind: 'python', code, outputs: [pyError(ename, evalue, code)] });
const shell = (code: string, stderr: string, status: ExecutionRecord['status'] = 'error', stdout = '') =>
  record({
    kind: 'shell',
    code,
    status,
    outputs: [...(stdout ? [{ output_type: 'stream' as const, name: 'stdout' as const, text: stdout }] : []), ...(stderr ? [{ output_type: 'stream' as const, name: 'stderr' as const, text: stderr }] : [])],
  });

describe('findPackageHint: Python modules', () => {
  it('names the Debian package and the pip name of a known module', () => {
    const hint = findPackageHint(python('import cv2', 'ModuleNotFoundError', "No module named 'cv2'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' });
  });

  it('looks up the top-level package of a submodule', () => {
    const hint = findPackageHint(python('from sklearn.ensemble import RandomForestClassifier', 'ModuleNotFoundError', "No module named 'sklearn'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'sklearn', apt: 'python3-sklearn', pip: 'scikit-learn' });
    const sub = findPackageHint(python('import yaml.constructor', 'ModuleNotFoundError', "No module named 'yaml.constructor'"));
    assert.deepEqual(sub, { kind: 'module', missing: 'yaml.constructor', apt: 'python3-yaml', pip: 'PyYAML' });
  });

  it('prefers a dotted entry for namespace packages', () => {
    const hint = findPackageHint(python('from google.protobuf import json_format', 'ModuleNotFoundError', "No module named 'google.protobuf'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'google.protobuf', apt: 'python3-protobuf', pip: 'protobuf' });
  });

  it('gives pip only where Debian has no package', () => {
    const hint = findPackageHint(python('import polars as pl', 'ModuleNotFoundError', "No module named 'polars'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'polars', pip: 'polars' });
    const text = hintText(hint!);
    assert.match(text, /Debian has no package for it/);
    assert.match(text, /`polars` to the workspace's `\.code-interpreter\/requirements\.txt`/);
    assert.doesNotMatch(text, /apt\.txt/);
  });

  it('guesses nothing for an unknown module but the pip name, and says the Debian name is a guess', () => {
    const hint = findPackageHint(python('import frob_nicate.core', 'ModuleNotFoundError', "No module named 'frob_nicate'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'frob_nicate', pip: 'frob_nicate' });
    const text = hintText(hint!);
    assert.match(text, /probably provided by the Debian package `python3-frob-nicate`/);
    assert.match(text, /pip's `frob_nicate`/);
  });

  it('reads pandas\' "Missing optional dependency" and its Parquet engine error', () => {
    const opt = findPackageHint(python("df.to_markdown()", 'ImportError', "Missing optional dependency 'tabulate'.  Use pip or conda to install tabulate."));
    assert.equal(opt?.missing, 'tabulate');
    assert.equal(opt?.pip, 'tabulate');
    const parquet = findPackageHint(
      python(
        "pd.read_parquet('x.parquet')",
        'ImportError',
        "Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.\nA suitable version of pyarrow or fastparquet is required for parquet support.",
      ),
    );
    assert.deepEqual(parquet, { kind: 'module', missing: 'pyarrow', pip: 'pyarrow' });
    assert.match(hintText(parquet!), /Parquet/);
  });

  it('knows that Debian ships pycryptodome as Cryptodome', () => {
    const hint = findPackageHint(python('from Crypto.Cipher import AES', 'ModuleNotFoundError', "No module named 'Crypto'"));
    assert.deepEqual(hint, { kind: 'module', missing: 'Crypto', pip: 'pycryptodome' });
    assert.match(hintText(hint!), /python3-pycryptodome provides the same library under the name Cryptodome/);
  });

  it('finds a module missing in a Python script the shell ran', () => {
    const stderr = 'Traceback (most recent call last):\n  File "/mnt/data/plot.py", line 2, in <module>\n    import yaml\nModuleNotFoundError: No module named \'yaml\'\n';
    assert.deepEqual(findPackageHint(shell('python3 plot.py', stderr)), { kind: 'module', missing: 'yaml', apt: 'python3-yaml', pip: 'PyYAML' });
  });

  it('names the package a %pip install in a cell wanted', () => {
    const r = record({
      kind: 'python',
      code: '%pip install -q opencv-python\nimport cv2',
      outputs: [pyError('UsageError', '%pip install -q opencv-python: Packages cannot be installed while the sandbox runs', '%pip install -q opencv-python')],
    });
    assert.deepEqual(findPackageHint(r), { kind: 'module', missing: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' });
  });

  it('says nothing for other errors or a clean run', () => {
    assert.equal(findPackageHint(python('print(x)', 'NameError', "name 'x' is not defined")), undefined);
    assert.equal(findPackageHint(python('from PIL import Foo', 'ImportError', "cannot import name 'Foo' from 'PIL' (/usr/lib/python3/dist-packages/PIL/__init__.py)")), undefined);
    assert.equal(findPackageHint(record({ status: 'ok', outputs: [{ output_type: 'stream', name: 'stdout', text: "No module named 'cv2' is what I print\n" }] })), undefined);
  });
});

describe('findPackageHint: shell commands', () => {
  it("reads bash's 'command not found'", () => {
    const hint = findPackageHint(shell('ffmpeg -i in.mp4 out.gif', 'bash: line 1: ffmpeg: command not found\n'), 127);
    assert.deepEqual(hint, { kind: 'command', missing: 'ffmpeg', apt: 'ffmpeg' });
  });

  it('maps commands to the Debian package that has them', () => {
    assert.equal(findPackageHint(shell('convert a.png b.jpg', 'bash: line 1: convert: command not found\n'), 127)?.apt, 'imagemagick');
    assert.equal(findPackageHint(shell('dot -Tpng g.dot -o g.png', 'bash: line 1: dot: command not found\n'), 127)?.apt, 'graphviz');
    assert.equal(findPackageHint(shell('csvlook data.csv | head', 'bash: line 1: csvlook: command not found\n'), 0)?.apt, 'csvkit');
    assert.equal(findPackageHint(shell('gnuplot plot.gp', 'bash: line 1: gnuplot: command not found\n'), 127)?.apt, 'gnuplot-nox');
  });

  it("reads dash's and env's wording too", () => {
    assert.deepEqual(findPackageHint(shell("sh -c 'pandoc a.md -o a.docx'", 'sh: 1: pandoc: not found\n'), 127), { kind: 'command', missing: 'pandoc', apt: 'pandoc' });
    assert.deepEqual(findPackageHint(shell('ls *.pdf | xargs qpdf --check', 'xargs: qpdf: No such file or directory\n'), 127), { kind: 'command', missing: 'qpdf', apt: 'qpdf' });
  });

  it('takes the first missing command, even when the line went on and ended well', () => {
    const hint = findPackageHint(shell('tesseract scan.png out; pdftk a.pdf cat output b.pdf; echo done', 'bash: line 1: tesseract: command not found\nbash: line 1: pdftk: command not found\n', 'ok', 'done\n'), 0);
    assert.deepEqual(hint, { kind: 'command', missing: 'tesseract', apt: 'tesseract-ocr' });
  });

  it('names the command of a simple line that exited 127 with its stderr discarded', () => {
    assert.deepEqual(findPackageHint(shell('xmllint --noout feed.xml 2>/dev/null', ''), 127), { kind: 'command', missing: 'xmllint', apt: 'libxml2-utils' });
    assert.equal(findPackageHint(shell('xmllint --noout feed.xml 2>/dev/null', ''), 1), undefined);
  });

  it('gives no Debian name for an unknown command', () => {
    const hint = findPackageHint(shell('frobtool --all', 'bash: line 1: frobtool: command not found\n'), 127);
    assert.deepEqual(hint, { kind: 'command', missing: 'frobtool' });
    const text = hintText(hint!);
    assert.match(text, /If a Debian package provides it, the user can add that package to the workspace's `\.code-interpreter\/apt\.txt`/);
    assert.doesNotMatch(text, /python3-|probably/);
  });

  it('turns pip install in the shell into a hint for the package', () => {
    assert.deepEqual(findPackageHint(shell('pip install polars', 'bash: line 1: pip: command not found\n'), 127), { kind: 'module', missing: 'polars', pip: 'polars' });
    assert.deepEqual(findPackageHint(shell('pip3 install --quiet -i https://x/simple scikit-learn==1.5', 'bash: line 1: pip3: command not found\n'), 127), {
      kind: 'module',
      missing: 'sklearn',
      apt: 'python3-sklearn',
      pip: 'scikit-learn',
    });
    assert.deepEqual(findPackageHint(shell('python3 -m pip install humanize && python3 x.py', '/usr/bin/python3: No module named pip\n'), 1), {
      kind: 'module',
      missing: 'humanize',
      apt: 'python3-humanize',
      pip: 'humanize',
    });
  });

  it('says pip is not there when no package is named', () => {
    const hint = findPackageHint(shell('pip list', 'bash: line 1: pip: command not found\n'), 127);
    assert.deepEqual(hint, { kind: 'command', missing: 'pip' });
    assert.match(hintText(hint!), /^pip is not available in this sandbox/);
  });

  it('ignores missing files, paths and clean runs', () => {
    assert.equal(findPackageHint(shell('cat missing.csv', 'cat: missing.csv: No such file or directory\n'), 1), undefined);
    assert.equal(findPackageHint(shell('./run.sh', 'bash: line 1: ./run.sh: No such file or directory\n'), 127), undefined);
    assert.equal(findPackageHint(shell('echo hi', '', 'ok', 'hi\n'), 0), undefined);
  });
});

describe('hintText', () => {
  it('tells the model what the user can add, where, and that installing here is impossible', () => {
    const text = hintText({ kind: 'module', missing: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' });
    assert.match(text, /`cv2` is not installed in this sandbox/);
    assert.match(text, /no network, no pip/);
    assert.match(text, /The Debian package `python3-opencv` provides it \(pip name: `opencv-python-headless`\)/);
    assert.match(text, /add `python3-opencv` to the workspace's `\.code-interpreter\/apt\.txt` \(preferred/);
    assert.match(text, /`opencv-python-headless` to `\.code-interpreter\/requirements\.txt` \(with its wheels in `\.code-interpreter\/wheels\/`/);
  });

  it('tells a command apart from a module and adds the entry\'s note', () => {
    const text = hintText({ kind: 'command', missing: 'wget', apt: 'wget' });
    assert.match(text, /^The command `wget` is not installed in this sandbox/);
    assert.match(text, /add `wget` to the workspace's `\.code-interpreter\/apt\.txt`/);
    assert.match(text, /no network, so downloads would fail anyway/);
    assert.doesNotMatch(text, /requirements\.txt/);
    assert.match(hintText({ kind: 'module', missing: 'torch', apt: 'python3-torch', pip: 'torch' }), /large/);
  });
});

describe('the tables', () => {
  it('name only packages the environment files accept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-hints-'));
    const apt = new Set<string>();
    const pip = new Set<string>();
    for (const p of [...Object.values(MODULE_PROVIDERS), ...Object.values(COMMAND_PROVIDERS)]) {
      if (p.apt) apt.add(p.apt);
      if (p.pip) pip.add(p.pip);
    }
    assert.ok(Object.keys(MODULE_PROVIDERS).length >= 40, 'at least 40 modules');
    writeFileSync(join(dir, 'apt.txt'), [...apt].join('\n') + '\n');
    writeFileSync(join(dir, 'requirements.txt'), [...pip].join('\n') + '\n');
    mkdirSync(join(dir, 'wheels'));
    const spec = readEnvironment(dir, 'base');
    assert.equal(spec?.apt.length, apt.size);
    assert.equal(spec?.requirements.length, pip.size);
  });

  it('give Debian Python packages for modules and no Python package for commands', () => {
    for (const [name, p] of Object.entries(MODULE_PROVIDERS)) {
      if (p.apt) assert.match(p.apt, /^python3-/, `${name} → ${p.apt}`);
      assert.ok(p.pip || p.apt, `${name} has a provider`);
    }
    for (const [name, p] of Object.entries(COMMAND_PROVIDERS)) {
      assert.equal(p.pip, undefined, name);
      assert.ok(p.apt || p.note, `${name} says something`);
    }
  });
});

describe('describeExecution with a hint', () => {
  const result = (r: ExecutionRecord, exitCode?: number) => ({ record: r, notes: [], streams: {}, gaps: {}, exitCode });

  it('appends the hint to the text and puts it on the outcome', () => {
    const o = describeExecution('executePythonCode', result(python('import cv2', 'ModuleNotFoundError', "No module named 'cv2'")), 120);
    const hint: PackageHint = { kind: 'module', missing: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' };
    assert.deepEqual(o.hint, hint);
    assert.ok(o.text.includes("No module named 'cv2'"), o.text);
    assert.ok(o.text.endsWith(hintText(hint)), o.text);
  });

  it('appends a command hint to a shell result', () => {
    const o = describeExecution('runShellCommand', result(shell('ffmpeg -version', 'bash: line 1: ffmpeg: command not found\n'), 127), 120);
    assert.deepEqual(o.hint, { kind: 'command', missing: 'ffmpeg', apt: 'ffmpeg' });
    assert.match(o.text, /Exit code: 127/);
    assert.match(o.text, /The Debian package `ffmpeg` provides it/);
  });

  it('adds nothing when nothing is missing', () => {
    const o = describeExecution('executePythonCode', result(python('1/0', 'ZeroDivisionError', 'division by zero')), 120);
    assert.equal(o.hint, undefined);
    assert.ok(!('hint' in o));
    assert.doesNotMatch(o.text, /sandbox environment|apt\.txt/);
  });
});
