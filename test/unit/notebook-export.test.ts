import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { exportNotebook, Notebook, toLines, toNotebook } from '../../src/core/notebook/export';
import { ExecutionRecord, Output } from '../../src/core/notebook/nbformat';

const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function record(over: Partial<ExecutionRecord>): ExecutionRecord {
  return { id: 'e-1', session: 's-1', kind: 'python', code: 'x = 1', started: '2025-01-01T00:00:00.000Z', durationMs: 12, status: 'ok', outputs: [], files: [], ...over };
}

/**
 * Jupyter's own reader and schema (the nbformat package): the python3 on PATH, else Debian's
 * (python3-nbformat, installed by scripts/provision-docker.sh). Missing is a failure, not a skip.
 */
let nbformatPython: string | undefined;
function pythonWithNbformat(): string {
  nbformatPython ??= ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import nbformat']).status === 0);
  if (!nbformatPython) {
    assert.fail('These tests check exported notebooks with nbformat (Jupyter\'s reader and schema), which no python3 here has. Install it: apt-get install -y python3-nbformat (scripts/provision-docker.sh does).');
  }
  return nbformatPython;
}

/** Reads an .ipynb text as Jupyter does, validates it against the nbformat v4 schema (strict: no
 * unknown properties), and returns what Jupyter read (multi-line strings joined). */
function readWithNbformat(text: string): Notebook {
  const script = [
    'import json, sys, nbformat',
    'nb = nbformat.reads(sys.stdin.read(), as_version=nbformat.NO_CONVERT)',
    'nbformat.validate(nb)',
    'print(json.dumps(nb))',
  ].join('\n');
  const r = spawnSync(pythonWithNbformat(), ['-c', script], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `nbformat rejected the notebook:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as Notebook;
}

describe('notebook export', () => {
  const outputs: Output[] = [
    { output_type: 'stream', name: 'stdout', text: 'hello\nworld\n' },
    { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '   a\n0  1', 'text/html': '<table class="dataframe"></table>' }, metadata: {} },
    { output_type: 'display_data', data: { 'image/png': png, 'text/plain': '<Figure>' }, metadata: { 'image/png': { width: 640 } } },
    { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['\u001b[31mValueError\u001b[0m: bad'] },
  ];
  const records = [
    record({ id: 'e-1', code: 'import pandas as pd\ndf = pd.DataFrame({"a": [1]})\ndf', outputs }),
    record({ id: 'e-2', kind: 'shell', code: 'ls -la', outputs: [{ output_type: 'stream', name: 'stdout', text: 'total 0\n' }], files: [{ path: 'a.csv', size: 3, mtime: '2025-01-01T00:00:00Z', change: 'created' }] }),
    record({ id: 'e-3', kind: 'pdf', code: 'make_pdf()', status: 'error' }),
  ];

  it('is an nbformat 4.5 notebook with one code cell per execution, outputs copied as they are', () => {
    const nb = toNotebook(records, { title: 'Sales', exportedAt: new Date('2025-02-03T04:05:06Z') });
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformat_minor, 5);
    assert.equal(nb.metadata.kernelspec && (nb.metadata.kernelspec as { name: string }).name, 'python3');
    assert.equal(nb.cells.length, 4);
    assert.equal(nb.cells[0].cell_type, 'markdown');
    assert.match(nb.cells[0].source.join(''), /^# Sales\n/);
    const [, first, second, third] = nb.cells;
    assert.equal(first.cell_type, 'code');
    assert.deepEqual(first.outputs, outputs);
    assert.notEqual(first.outputs, outputs, 'outputs are copies, not shared');
    assert.deepEqual(first.source, ['import pandas as pd\n', 'df = pd.DataFrame({"a": [1]})\n', 'df']);
    assert.deepEqual([first.execution_count, second.execution_count, third.execution_count], [1, 2, 3]);
    assert.deepEqual(second.source, ['%%bash\n', 'ls -la']);
    const meta = second.metadata.code_interpreter as { kind: string; files: unknown[] };
    assert.equal(meta.kind, 'shell');
    assert.equal(meta.files.length, 1);
    assert.equal((third.metadata.code_interpreter as { status: string }).status, 'error');
  });

  it('gives every cell a unique nbformat-valid id', () => {
    const nb = toNotebook([record({ id: 'same' }), record({ id: 'same' }), record({ id: 'we!rd id/with:chars' })], { title: 't' });
    const ids = nb.cells.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-zA-Z0-9-_]{1,64}$/);
  });

  it('writes a notebook that Jupyter validates and reads back to the same cells and outputs', () => {
    const text = exportNotebook(records, { title: 'Sales <&> "quotes"', exportedAt: new Date('2025-02-03T04:05:06Z') });
    assert.ok(text.endsWith('}\n'));
    const back = readWithNbformat(text);
    assert.equal(back.nbformat, 4);
    assert.equal(back.nbformat_minor, 5);
    const [heading, ...cells] = back.cells;
    assert.equal(heading.cell_type, 'markdown');
    assert.match(heading.source as unknown as string, /^# Sales <&> "quotes"\n\nExported from Code Interpreter on 2025-02-03T04:05:06.000Z/);
    // What Jupyter read, against the executions themselves (not against another export).
    assert.deepEqual(
      cells.map((c) => ({ type: c.cell_type, source: c.source, outputs: c.outputs, meta: c.metadata.code_interpreter })),
      records.map((r) => ({
        type: 'code',
        source: r.kind === 'shell' ? `%%bash\n${r.code}` : r.code,
        outputs: r.outputs,
        meta: { execution: r.id, session: r.session, kind: r.kind, status: r.status, started: r.started, durationMs: r.durationMs, files: r.files },
      })),
    );
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3]);
  });

  it('writes a valid notebook with no heading cell unless asked, and an empty one for no executions', () => {
    assert.deepEqual(readWithNbformat(exportNotebook(records)).cells.map((c) => c.cell_type), ['code', 'code', 'code']);
    assert.deepEqual(readWithNbformat(exportNotebook([])).cells, []);
    const odd = [record({ id: 'same' }), record({ id: 'same' }), record({ id: 'we!rd id/with:chars', code: '' })];
    assert.equal(readWithNbformat(exportNotebook(odd, { title: '' })).cells.length, 4);
  });

  it('splits source into lines that keep their newlines', () => {
    assert.deepEqual(toLines(''), []);
    assert.deepEqual(toLines('a'), ['a']);
    assert.deepEqual(toLines('a\n'), ['a\n']);
    assert.deepEqual(toLines('a\n\nb'), ['a\n', '\n', 'b']);
  });
});
