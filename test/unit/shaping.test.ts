import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { pack } from 'tar-stream';
import { ExecutionCollector, LineDecoder } from '../../src/core/kernel/protocol';
import { coalesceStreams, ExecutionRecord } from '../../src/core/notebook/nbformat';
import { formatBytes, truncateMiddle } from '../../src/core/policy/truncate';
import { readSingleFileFromTar } from '../../src/core/sandbox/archive';
import { describeExecution, imagesOf } from '../../src/core/tools/outcome';

describe('truncateMiddle', () => {
  it('leaves short text alone', () => assert.equal(truncateMiddle('abc', 10), 'abc'));
  it('keeps head and tail with a marker naming the cut and the saved file', () => {
    const text = 'H'.repeat(5000) + 'T'.repeat(5000);
    const cut = truncateMiddle(text, 4000, '.outputs/e1.stdout.txt');
    assert.ok(cut.startsWith('H'.repeat(2400)));
    assert.ok(cut.endsWith('T'.repeat(1600)));
    assert.match(cut, /\[\.\.\. 6,000 characters cut; the whole output is in \.outputs\/e1\.stdout\.txt/);
  });
  it('counts bytes the producer already dropped', () => {
    assert.match(truncateMiddle('ab', 10, undefined, 500), /500 characters cut/);
  });
  it('formats sizes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(50 * 1024 * 1024), '50 MB');
  });
});

describe('protocol framing', () => {
  it('splits lines across chunk boundaries and ignores blank lines', () => {
    const lines: string[] = [];
    const d = new LineDecoder((l) => lines.push(l));
    d.push(Buffer.from('{"a":1}\n{"b":'));
    d.push(Buffer.from('2}\n\n'));
    d.push(Buffer.from('{"c":"é'.slice(0, 6)));
    d.push(Buffer.from('é"}\n'));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":"é"}']);
  });
  it('splits a multi-byte character across chunks correctly', () => {
    const lines: string[] = [];
    const d = new LineDecoder((l) => lines.push(l));
    const bytes = Buffer.from('"€"\n');
    d.push(bytes.subarray(0, 2));
    d.push(bytes.subarray(2));
    assert.deepEqual(lines, ['"€"']);
  });
  it('refuses a line past its bound', () => {
    const d = new LineDecoder(() => undefined, 10);
    assert.throws(() => d.push(Buffer.alloc(11, 0x41)), /longer than 10 bytes/);
  });
  it('collects outputs, marks gaps, and ends on done', () => {
    const seen: string[] = [];
    const c = new ExecutionCollector((o) => seen.push(o.output_type));
    assert.equal(c.accept({ type: 'output', id: 'e', output: { output_type: 'stream', name: 'stdout', text: 'a' } }), false);
    assert.equal(c.accept({ type: 'stream_gap', id: 'e', name: 'stdout', omittedBytes: 1000 }), false);
    assert.equal(c.accept({ type: 'done', id: 'e', status: 'ok', durationMs: 3 }), true);
    assert.equal(c.result.gaps.stdout, 1000);
    assert.match(coalesceStreams(c.result.outputs)[0].output_type === 'stream' ? (coalesceStreams(c.result.outputs)[0] as { text: string }).text : '', /^a\n\[\.\.\. 1,000 bytes not shown/);
    assert.deepEqual(seen, ['stream', 'stream']);
  });
});

describe('describeExecution', () => {
  const record = (over: Partial<ExecutionRecord>): ExecutionRecord => ({
    id: 'e1', session: 's', kind: 'python', code: 'x', started: '', durationMs: 1, status: 'ok', outputs: [], files: [], ...over,
  });
  it('cuts stdout to 4,000 and stderr to 2,000 characters', () => {
    const r = record({
      outputs: [
        { output_type: 'stream', name: 'stdout', text: 'o'.repeat(10_000) },
        { output_type: 'stream', name: 'stderr', text: 'e'.repeat(10_000) },
      ],
    });
    const o = describeExecution('executePythonCode', { record: r, notes: [], streams: { stdout: { bytes: 10_000, savedTo: '.outputs/e1.stdout.txt', savedBytes: 10_000, saveTruncated: false } }, gaps: {} }, 120);
    const [out, err] = o.text.split('stderr:\n');
    assert.ok(out.length < 4_200, `stdout part is ${out.length}`);
    assert.ok(err.length < 2_200, `stderr part is ${err.length}`);
    assert.match(out, /6,000 characters cut; the whole output is in \.outputs\/e1\.stdout\.txt/);
  });
  it('reports timeouts, errors, images and files', () => {
    const r = record({
      status: 'timeout',
      outputs: [
        { output_type: 'display_data', data: { 'image/png': 'iVBO\nRw0', 'text/plain': '<Figure>' }, metadata: {} },
        { output_type: 'error', ename: 'KeyboardInterrupt', evalue: '', traceback: ['Traceback', 'KeyboardInterrupt'] },
      ],
      files: [{ path: 'a.csv', size: 10, mtime: '', change: 'created' }],
    });
    const o = describeExecution('executePythonCode', { record: r, notes: ['note!'], streams: {}, gaps: {} }, 30);
    assert.equal(o.status, 'timeout');
    assert.match(o.text, /timed out after 30 s/);
    assert.match(o.text, /\[image 1/);
    assert.match(o.text, /KeyboardInterrupt/);
    assert.match(o.text, /a\.csv \(10 B, text\/csv, created\)/);
    assert.match(o.text, /note!/);
    assert.deepEqual(imagesOf(r.outputs), [{ mimeType: 'image/png', data: 'iVBORw0' }]);
  });
});

describe('single-file tar reader', () => {
  const tarOf = async (entries: Array<{ name: string; type?: 'file' | 'symlink' | 'directory'; data?: Buffer; linkname?: string; pax?: Record<string, string> }>) => {
    const p = pack();
    for (const e of entries) p.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname, pax: e.pax }, e.data ?? Buffer.alloc(0));
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
    const all = Buffer.concat(chunks);
    // Deliver in awkward chunk sizes, as a socket would.
    return Readable.from((function* () {
      for (let i = 0; i < all.length; i += 777) yield all.subarray(i, i + 777);
    })());
  };
  it('returns the bytes of a regular file exactly, across chunk boundaries and PAX headers', async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    assert.ok((await readSingleFileFromTar(await tarOf([{ name: 'x.bin', data }]), 'x.bin', 1e6)).equals(data));
    const long = 'd/'.repeat(80) + 'file.bin';
    assert.ok((await readSingleFileFromTar(await tarOf([{ name: long, data, pax: { comment: 'hello' } }]), long, 1e6)).equals(data));
    assert.equal((await readSingleFileFromTar(await tarOf([{ name: 'empty', data: Buffer.alloc(0) }]), 'empty', 10)).length, 0);
  });
  it('refuses links, directories and files over the limit', async () => {
    await assert.rejects(readSingleFileFromTar(await tarOf([{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }]), 'l', 10), /symbolic link, not a regular file/);
    await assert.rejects(readSingleFileFromTar(await tarOf([{ name: 'd', type: 'directory' }]), 'd', 10), /directory/);
    await assert.rejects(readSingleFileFromTar(await tarOf([{ name: 'big', data: Buffer.alloc(100) }]), 'big', 10), /100 bytes; the limit/);
  });
});
