import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listSessionFiles, LIMITS, outcome, rootedHostFiles, runTool, ToolContext } from '../../src/core';
import { ExecutionRecord, Output } from '../../src/core/notebook/nbformat';
import { describeExecution, keepEnds } from '../../src/core/tools/outcome';
import { FakeManager, PNG_BASE64 } from './fake-core';

const record = (outputs: Output[], over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  id: 'e1', session: 's', kind: 'python', code: 'x', started: '', durationMs: 1, status: 'ok', outputs, files: [], ...over,
});
const describe_ = (r: ExecutionRecord) => describeExecution('executePythonCode', { record: r, notes: [], streams: {}, gaps: {} }, 120);

/** Every text a tool returns is bounded, whatever the code did (issue 27). */
describe('tool text bounds', () => {
  it('10,000 display outputs and 20 pictures: the first and the last shown, the rest counted; the error at the end kept', () => {
    const outputs: Output[] = [];
    for (let i = 0; i < 10_000; i++) outputs.push({ output_type: 'display_data', data: { 'text/plain': `row ${i} ${'x'.repeat(50)}` }, metadata: {} });
    for (let i = 0; i < 20; i++) outputs.push({ output_type: 'display_data', data: { 'image/png': PNG_BASE64, 'text/plain': '<Figure>' }, metadata: {} });
    outputs.push({ output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['Traceback (most recent call last):', 'x'.repeat(10_000), 'ValueError: bad'] });
    const o = describe_(record(outputs, { status: 'error' }));
    assert.ok(o.text.length <= LIMITS.modelOutputsChars + 500, `${o.text.length} characters`);
    assert.match(o.text, /^row 0 x+\nrow 1 /);
    assert.match(o.text, /\[\.\.\. [\d,]+ more outputs \([\d,]+ characters\) not shown here; the output panel shows every output \.\.\.\]/);
    assert.match(o.text, /\[image 20: a chart\/picture, not attached \(at most 8 a result\); the output panel shows it\]/);
    assert.match(o.text, /ValueError: bad$/, 'the error, last, is kept');
    assert.equal(o.images.length, LIMITS.maxImagesPerResult);
    assert.equal(o.outputs.length, outputs.length, 'the outcome keeps every output');
  });

  it('names the first pictures as attached and the ones past the cap as not', () => {
    const png: Output = { output_type: 'display_data', data: { 'image/png': PNG_BASE64 }, metadata: {} };
    const o = describe_(record(Array.from({ length: LIMITS.maxImagesPerResult + 1 }, () => png)));
    assert.match(o.text, new RegExp(`\\[image ${LIMITS.maxImagesPerResult}: a chart/picture is attached to this result\\]`));
    assert.match(o.text, new RegExp(`\\[image ${LIMITS.maxImagesPerResult + 1}: a chart/picture, not attached`));
  });

  it('keeps items that fit as they are', () => {
    assert.deepEqual(keepEnds(['a', 'b'], 100), ['a', 'b']);
    const kept = keepEnds(Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(100, '.')), 1_000);
    assert.ok(kept.join('\n').length <= 1_200);
    assert.match(kept.at(-1)!, /^99\./);
  });

  it('a missing module with a 100,000-character name: no hint repeating it, the error cut', () => {
    const name = 'm'.repeat(100_000);
    const o = describe_(record([{ output_type: 'error', ename: 'ModuleNotFoundError', evalue: `No module named '${name}'`, traceback: [`ModuleNotFoundError: No module named '${name}'`] }], { status: 'error' }));
    assert.equal(o.hint, undefined);
    assert.ok(o.text.length < 2_500, `${o.text.length} characters`);
    const real = describe_(record([{ output_type: 'error', ename: 'ModuleNotFoundError', evalue: "No module named 'cv2'", traceback: [] }], { status: 'error' }));
    assert.equal(real.hint?.missing, 'cv2', 'a real name still gets its hint');
  });

  it('any tool text past the last bound is cut, whatever the tool put together', async () => {
    const ctx: ToolContext = { manager: new FakeManager().asManager(), threadKey: 't', caller: 'test', host: rootedHostFiles([]) };
    const o = await runTool('readSessionFile', ctx, undefined, async () => outcome('readSessionFile', 'ok', 'y'.repeat(1_000_000)));
    assert.ok(o.text.length <= LIMITS.maxToolTextChars + 100, `${o.text.length} characters`);
    assert.match(o.text, /characters cut/);
  });

  it('listSessionFiles: names on one line each (escaped), rows held to maxListingChars', async () => {
    const manager = new FakeManager();
    const session = manager.session('t');
    session.stored.set('new\nline.txt', Buffer.from('x'));
    for (let i = 0; i < 900; i++) session.stored.set(`${'long'.repeat(50)}-${i}.csv`, Buffer.from('x'));
    const o = await listSessionFiles({}, { manager: manager.asManager(), threadKey: 't', caller: 'test', host: rootedHostFiles([]) });
    assert.ok(o.text.includes('new\\nline.txt\t1 B'), o.text.slice(0, 300));
    assert.ok(o.text.length <= LIMITS.maxListingChars + 500, `${o.text.length} characters`);
    assert.match(o.text, /\[listing cut at \d+ of 901 entries; list a subfolder\]$/);
    assert.equal((o.data as { entries: unknown[] }).entries.length, 901, 'the data keeps every entry');
  });
});
