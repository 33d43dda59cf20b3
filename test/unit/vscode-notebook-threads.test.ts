import { resetFake } from './fake-vscode';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { ExecutionRecord } from '../../src/core/notebook/nbformat';
import { cellCall } from '../../src/vscode/notebook';
import { cellSource } from '../../src/core/notebook/export';
import { NotebookThreads, threadInMetadata, threadNotebook } from '../../src/vscode/notebookThreads';
import { notebookThreadKey } from '../../src/vscode/threads';
import { memento } from './fake-core';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function rec(over: Partial<ExecutionRecord>): ExecutionRecord {
  return { id: 'e1', session: 's', kind: 'python', code: 'x = 1', started: '2026-12-02T10:00:00.000Z', durationMs: 5, status: 'ok', outputs: [], files: [], ...over };
}

const text = (item: vscode.NotebookCellOutputItem) => new TextDecoder().decode(item.data);

describe('src/vscode/notebookThreads.ts: a thread as a notebook, and which thread a notebook runs in', () => {
  beforeEach(() => resetFake());

  it('builds one code cell per execution, numbered, with its status, shell commands as %%bash cells', () => {
    const data = threadNotebook('chat:abc', [
      rec({ id: 'a', code: 'print(42)', outputs: [{ output_type: 'stream', name: 'stdout', text: '42\n' }] }),
      rec({ id: 'b', kind: 'shell', code: 'ls -la', status: 'error' }),
    ]);
    assert.equal(data.cells.length, 2);
    const [a, b] = data.cells;
    assert.equal(a.kind, vscode.NotebookCellKind.Code);
    assert.equal(a.value, 'print(42)');
    assert.deepEqual(a.executionSummary, { executionOrder: 1, success: true });
    assert.equal(text(a.outputs![0].items[0]), '42\n');
    assert.equal(b.value, '%%bash\nls -la');
    assert.deepEqual(b.executionSummary, { executionOrder: 2, success: false });
    // The cell's nbformat metadata, where VS Code's ipynb serializer keeps it.
    assert.equal((b.metadata?.metadata as { code_interpreter: { execution: string } }).code_interpreter.execution, 'b');
  });

  it('shows outputs only as the controller would: a table rebuilt, script and SVG never passed as markup', () => {
    const html = '<table><tr><td onclick="alert(1)">1</td></tr></table><script>alert(1)</script>';
    const data = threadNotebook('chat:abc', [
      rec({
        outputs: [
          { output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/html': html, 'text/plain': 'df' } },
          { output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': '<svg onload="alert(1)"/>', 'image/png': PNG, 'text/plain': 'fig' } },
        ],
      }),
    ]);
    const [table, figure] = data.cells[0].outputs!;
    const tableHtml = text(table.items.find((i) => i.mime === 'text/html')!);
    assert.match(tableHtml, /<table>/);
    assert.doesNotMatch(tableHtml, /script|onclick|alert/);
    assert.deepEqual(figure.items.map((i) => i.mime), ['image/png', 'text/plain']);
  });

  it('records the thread (and the environment) in the notebook metadata, where the ipynb serializer saves it', () => {
    const data = threadNotebook('chat:abc', [], { image: 'code-interpreter-sandbox:1', packages: ['py pandas==2.2.3'] });
    assert.equal(threadInMetadata(data.metadata), 'chat:abc');
    const meta = (data.metadata?.metadata as { code_interpreter: { environment: { image: string } } }).code_interpreter;
    assert.equal(meta.environment.image, 'code-interpreter-sandbox:1');
    assert.equal(data.metadata?.nbformat, 4);
    // A thread that has run nothing yet opens with one empty cell to type in.
    assert.equal(data.cells.length, 1);
    assert.equal(data.cells[0].value, '');
  });

  it('reads the thread from either metadata shape, and nothing from a malformed one', () => {
    assert.equal(threadInMetadata({ metadata: { code_interpreter: { thread: 'chat:x' } } }), 'chat:x');
    assert.equal(threadInMetadata({ custom: { metadata: { code_interpreter: { thread: 'chat:y' } } } }), 'chat:y');
    for (const bad of [undefined, null, 'x', { metadata: { code_interpreter: { thread: 42 } } }, { metadata: { code_interpreter: { thread: '' } } }, { metadata: { code_interpreter: { thread: 'x'.repeat(601) } } }]) {
      assert.equal(threadInMetadata(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
  });

  it('honours a notebook\'s thread only when the user opened that thread as a notebook here', async () => {
    const threads = new NotebookThreads(memento() as unknown as vscode.Memento);
    const uri = vscode.Uri.file('/work/cloned/evil.ipynb');
    const doc = { uri, notebookType: 'jupyter-notebook', isClosed: false, metadata: { metadata: { code_interpreter: { thread: 'chat:victim' } } } } as unknown as vscode.NotebookDocument;
    (vscode.workspace.notebookDocuments as unknown[]).push(doc);
    // A file naming someone else's thread runs in its own.
    assert.equal(threads.keyOf(doc), notebookThreadKey(uri));
    assert.deepEqual(threads.documentsOf('chat:victim'), []);
    await threads.remember('chat:victim');
    assert.equal(threads.keyOf(doc), 'chat:victim');
    assert.deepEqual(threads.documentsOf('chat:victim'), [doc]);
    // A plain notebook is its own thread.
    const plain = { uri: vscode.Uri.file('/work/a.ipynb'), notebookType: 'jupyter-notebook', isClosed: false, metadata: {} } as unknown as vscode.NotebookDocument;
    assert.equal(threads.keyOf(plain), notebookThreadKey(plain.uri));
  });

  it('runs a %%bash or %%sh cell as a shell command, everything else as Python', () => {
    const s = { pythonTimeoutSeconds: 60, shellTimeoutSeconds: 30 };
    assert.deepEqual(cellCall('%%bash\nls -la\nwc -l x', s), { name: 'runShellCommand', input: { command: 'ls -la\nwc -l x', timeoutSeconds: 30 } });
    assert.deepEqual(cellCall('%%sh  \r\necho hi', s), { name: 'runShellCommand', input: { command: 'echo hi', timeoutSeconds: 30 } });
    assert.deepEqual(cellCall('print(1)  # %%bash\n', s), { name: 'executePythonCode', input: { pythonCode: 'print(1)  # %%bash\n', timeoutSeconds: 60 } });
    assert.deepEqual(cellCall('%%bashful\nx', s).name, 'executePythonCode');
    assert.equal(cellSource({ kind: 'shell', code: 'echo hi' }), '%%bash\necho hi');
  });
});
