import { resetFake } from './fake-vscode';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { tableHtml } from '../../src/core/notebook/plaintext';
import { Output } from '../../src/core/notebook/nbformat';
import { ToolOutcome } from '../../src/core/tools/outcome';
import { bundleItems, cellOutput, joinStreams, notebookUriOf, outcomeOutputs } from '../../src/vscode/notebook';
import { describeThreadKey, notebookThreadKey } from '../../src/vscode/threads';
import { HTML_ITEMS, MARKDOWN_ITEM, SVG_ITEM } from '../helpers/hostile';

const STDOUT = 'application/vnd.code.notebook.stdout';
const STDERR = 'application/vnd.code.notebook.stderr';
const ERROR = 'application/vnd.code.notebook.error';
/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQ==';

const text = (item: vscode.NotebookCellOutputItem) => new TextDecoder().decode(item.data);
const mimes = (output: vscode.NotebookCellOutput | undefined) => output?.items.map((i) => i.mime);
const only = (output: vscode.NotebookCellOutput | undefined, mime: string) => {
  const item = output?.items.find((i) => i.mime === mime);
  assert.ok(item, `no ${mime} item in ${JSON.stringify(mimes(output))}`);
  return text(item);
};

describe('src/vscode/notebook.ts: nbformat outputs as notebook cell outputs', () => {
  beforeEach(() => resetFake());

  it('maps streams to stdout/stderr items, saved back as stream outputs', () => {
    const out = cellOutput({ output_type: 'stream', name: 'stdout', text: '42\n' });
    assert.deepEqual(mimes(out), [STDOUT]);
    assert.equal(only(out, STDOUT), '42\n');
    assert.deepEqual(out?.metadata, { outputType: 'stream' });
    assert.deepEqual(mimes(cellOutput({ output_type: 'stream', name: 'stderr', text: 'warn\n' })), [STDERR]);
  });

  it('maps an error to an error item: ename, evalue, and the traceback (ANSI colours kept) as its stack', () => {
    const traceback = ['\u001b[0;31m---------------------------------------------------------------------------\u001b[0m', '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero'];
    const out = cellOutput({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback });
    assert.deepEqual(mimes(out), [ERROR]);
    assert.deepEqual(JSON.parse(only(out, ERROR)), { name: 'ZeroDivisionError', message: 'division by zero', stack: traceback.join('\n') });
  });

  it('keeps a bundle richest first: a DataFrame as a rebuilt table and its text; a chart as PNG bytes', () => {
    const df = cellOutput({
      output_type: 'execute_result',
      execution_count: 3,
      data: { 'text/plain': '   a\n0  1', 'text/html': '<div><style scoped>.dataframe td { color: red }</style><table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>a</th></tr></thead><tbody><tr><th>0</th><td>1</td></tr></tbody></table></div>' },
      metadata: {},
    });
    assert.deepEqual(mimes(df), ['text/html', 'text/plain']);
    assert.equal(only(df, 'text/html'), '<table><thead><tr><th></th><th>a</th></tr></thead><tbody><tr><th>0</th><td>1</td></tr></tbody></table>');
    assert.deepEqual(df?.metadata, { outputType: 'execute_result', executionCount: 3, metadata: {} });

    const chart = cellOutput({ output_type: 'display_data', data: { 'text/plain': '<Figure size 640x480 with 1 Axes>', 'image/png': `${PNG.slice(0, 20)}\n${PNG.slice(20)}` }, metadata: { 'image/png': { width: 1 } } });
    assert.deepEqual(mimes(chart), ['image/png', 'text/plain']);
    const png = chart!.items[0].data;
    assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'base64 decoded to the PNG bytes');
    assert.deepEqual(chart?.metadata, { outputType: 'display_data', metadata: { 'image/png': { width: 1 } } });

    assert.deepEqual(mimes(cellOutput({ output_type: 'display_data', data: { 'image/jpeg': JPEG, 'text/plain': 'x' }, metadata: {} })), ['image/jpeg', 'text/plain']);
    const json = cellOutput({ output_type: 'display_data', data: { 'application/json': { a: [1] }, 'text/plain': '<IPython.core.display.JSON object>' }, metadata: {} });
    assert.deepEqual(mimes(json), ['application/json', 'text/plain']);
    assert.deepEqual(JSON.parse(only(json, 'application/json')), { a: [1] });
  });

  it('passes no markup from the sandbox: SVG, Markdown, scripts and charts become text saying what was left out', () => {
    const svg = bundleItems({ 'text/plain': '<IPython.core.display.SVG object>', 'image/svg+xml': SVG_ITEM.body });
    assert.deepEqual(svg.map((i) => i.mime), ['text/plain']);
    assert.match(text(svg[0]), /\[image\/svg\+xml not shown/);
    assert.doesNotMatch(text(svg[0]), /<svg/);

    const md = bundleItems({ 'text/plain': '<IPython.core.display.Markdown object>', 'text/markdown': MARKDOWN_ITEM.body });
    assert.deepEqual(md.map((i) => i.mime), ['text/plain']);
    assert.ok(text(md[0]).startsWith(MARKDOWN_ITEM.body), 'the markdown source, as text');

    const js = bundleItems({ 'application/javascript': 'alert(1)' });
    assert.deepEqual(js.map((i) => i.mime), ['text/plain']);
    assert.match(text(js[0]), /never run/);

    // A picture beside the left-out type: the picture is enough.
    assert.deepEqual(bundleItems({ 'image/svg+xml': '<svg/>', 'image/png': PNG, 'application/vnd.plotly.v1+json': {} }).map((i) => i.mime), ['image/png']);
    // HTML with no table: its text, not its markup.
    const html = bundleItems({ 'text/plain': '<IPython.core.display.HTML object>', 'text/html': '<p onclick="x()">Total: <b>3</b></p>' });
    assert.deepEqual(html.map((i) => i.mime), ['text/plain']);
    assert.match(text(html[0]), /^Total: 3\n/);
    // Image data that is no picture (display() can put any string there) is not shown as one.
    assert.deepEqual(bundleItems({ 'image/png': '![x](https://hostile.invalid/a.png)', 'text/plain': 'p' }).map((i) => i.mime), ['text/plain']);
    assert.deepEqual(bundleItems({}), []);
    assert.equal(cellOutput({ output_type: 'display_data', data: {}, metadata: {} }), undefined);
  });

  it('rebuilds tables from hostile HTML with nothing but table elements, numeric spans and escaped text', () => {
    for (const item of HTML_ITEMS) {
      const html = `<table><tr><td>${item.body}</td></tr></table>${item.body}`;
      const safe = tableHtml(html)!;
      for (const tag of safe.matchAll(/<\/?([^\s>/]+)([^>]*)>/g)) {
        assert.match(tag[1], /^(table|caption|thead|tbody|tfoot|tr|th|td)$/, `${item.id}: <${tag[1]}>`);
        assert.match(tag[2], /^( (rowspan|colspan)="\d+")*$/, `${item.id}: attributes ${tag[2]}`);
      }
      assert.doesNotMatch(safe, /<(?!\/?(table|caption|thead|tbody|tfoot|tr|th|td)[\s>])/, `${item.id}: a < that is no table tag`);
    }
    assert.equal(tableHtml('<table><tr><th colspan="2" onclick="x">a &amp; b &lt;i&gt;</th><td rowspan=3 style="x">1 < 2</td></tr></table>'), '<table><tr><th colspan="2">a &amp; b &lt;i&gt;</th><td rowspan="3">1 &lt; 2</td></tr></table>');
    assert.equal(tableHtml('<p>no table</p>'), undefined);
    assert.equal(tableHtml('<table><tr><td><script>alert(1)</script>ok</td></tr></table>'), '<table><tr><td>ok</td></tr></table>');
  });

  it('joins adjacent streams of one name as they came (carriage returns left for the renderer)', () => {
    const outputs: Output[] = [
      { output_type: 'stream', name: 'stdout', text: '10%\r' },
      { output_type: 'stream', name: 'stdout', text: '100%\n' },
      { output_type: 'stream', name: 'stderr', text: 'w\n' },
      { output_type: 'stream', name: 'stdout', text: 'done\n' },
    ];
    assert.deepEqual(joinStreams(outputs), [
      { output_type: 'stream', name: 'stdout', text: '10%\r100%\n' },
      { output_type: 'stream', name: 'stderr', text: 'w\n' },
      { output_type: 'stream', name: 'stdout', text: 'done\n' },
    ]);
  });

  it("adds a run's notes as stderr, and says why a call that never ran did not", () => {
    const base: ToolOutcome = { tool: 'executePythonCode', status: 'ok', text: '', outputs: [], images: [], files: [] };
    const execution = { id: 'e', session: 's', kind: 'python' as const, code: '', started: '', durationMs: 0, status: 'ok' as const, outputs: [], files: [] };
    assert.deepEqual(outcomeOutputs({ ...base, execution, notes: [] }), []);
    const notes = outcomeOutputs({ ...base, execution, notes: ['The Python kernel was restarted; variables were lost.', 'Execution timed out after 5 s and was interrupted.'] });
    assert.equal(notes.length, 1);
    assert.equal(only(notes[0], STDERR), 'The Python kernel was restarted; variables were lost.\nExecution timed out after 5 s and was interrupted.\n');
    const unavailable = outcomeOutputs({ ...base, status: 'unavailable', text: 'The sandbox is unavailable: Docker is not running.' });
    assert.deepEqual(JSON.parse(only(unavailable[0], ERROR)), { name: 'Sandbox unavailable', message: 'The sandbox is unavailable: Docker is not running.' });
  });
});

describe('src/vscode/threads.ts: a notebook is a thread keyed by its URI', () => {
  it('keys by the URI, bounded like a chat key, and names the thread after the file', () => {
    const uri = vscode.Uri.file('/home/u/project/analysis.ipynb');
    assert.equal(notebookThreadKey(uri), 'notebook:file:///home/u/project/analysis.ipynb');
    assert.equal(notebookThreadKey(vscode.Uri.file('/home/u/project/analysis.ipynb')), notebookThreadKey(uri), 'reopened: the same thread');
    assert.notEqual(notebookThreadKey(vscode.Uri.file('/home/u/project/other.ipynb')), notebookThreadKey(uri));
    assert.equal(describeThreadKey(notebookThreadKey(uri)), 'Notebook analysis.ipynb');
    assert.equal(describeThreadKey(notebookThreadKey(vscode.Uri.parse('untitled:Untitled-1.ipynb'))), 'Notebook Untitled-1.ipynb');
    const long = notebookThreadKey(vscode.Uri.file(`/${'d'.repeat(600)}/x.ipynb`));
    assert.match(long, /^notebook:sha256:[0-9a-f]{64}$/);
    assert.match(describeThreadKey(long), /^Notebook [0-9a-f]{6}$/);
  });

  it('finds the notebook a toolbar command was given', () => {
    const uri = vscode.Uri.file('/w/a.ipynb');
    assert.equal(notebookUriOf({ notebookEditor: { notebookUri: uri }, ui: true }), uri);
    assert.equal(notebookUriOf(uri), uri);
    assert.equal(notebookUriOf({ notebookUri: uri }), uri);
    assert.equal(notebookUriOf(undefined), undefined);
    assert.equal(notebookUriOf({ notebookEditor: { notebookUri: 'file:///w/a.ipynb' } }), undefined);
  });
});
