import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportNotebook, toLines, toNotebook } from '../../src/core/notebook/export';
import { ExecutionRecord, Output } from '../../src/core/notebook/nbformat';

const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function record(over: Partial<ExecutionRecord>): ExecutionRecord {
  return { id: 'e-1', session: 's-1', kind: 'python', code: 'x = 1', started: '2025-01-01T00:00:00.000Z', durationMs: 12, status: 'ok', outputs: [], files: [], ...over };
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

  it('writes JSON that parses back to the same notebook, with no heading cell unless asked', () => {
    const text = exportNotebook(records);
    assert.ok(text.endsWith('}\n'));
    const parsed = JSON.parse(text);
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(toNotebook(records))));
    assert.equal(parsed.cells.length, 3);
    assert.equal(exportNotebook([]).length > 0, true);
    assert.deepEqual(JSON.parse(exportNotebook([])).cells, []);
  });

  it('splits source into lines that keep their newlines', () => {
    assert.deepEqual(toLines(''), []);
    assert.deepEqual(toLines('a'), ['a']);
    assert.deepEqual(toLines('a\n'), ['a\n']);
    assert.deepEqual(toLines('a\n\nb'), ['a\n', '\n', 'b']);
  });
});
