import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, LIMITS, outcome, TOOL_SCHEMAS } from '../../src/core';
import { ProgressNotice, ProgressReporter, MAX_PROGRESS_MESSAGE } from '../../src/mcp/progress';
import { asText, parseSessionFileUri, planCall, rootPaths, sessionFileUri, toCallResult, toolDefinitions } from '../../src/mcp/shape';

const opts = { allowThreadArg: false, defaultThread: 'main' };

describe('MCP tool definitions', () => {
  it('are the core schemas themselves, with annotations from their flags', () => {
    const defs = toolDefinitions(opts);
    assert.equal(defs.length, 8);
    for (const s of TOOL_SCHEMAS) {
      const d = defs.find((x) => x.name === s.name)!;
      assert.equal(d.inputSchema, s.inputSchema, `${s.name}: the very same object, not a copy`);
      assert.equal(d.description, s.description);
      assert.deepEqual(d.annotations, { title: s.title, readOnlyHint: s.readOnly, destructiveHint: s.destructive, openWorldHint: false });
    }
    assert.equal(defs.find((d) => d.name === 'listSessionFiles')!.annotations.readOnlyHint, true);
    assert.equal(defs.find((d) => d.name === 'executePythonCode')!.annotations.readOnlyHint, false);
  });

  it('gain an optional thread property only with --allow-thread-arg, leaving the core schemas untouched', () => {
    const defs = toolDefinitions({ allowThreadArg: true, defaultThread: 'main' });
    for (const d of defs) {
      const core = TOOL_SCHEMAS.find((s) => s.name === d.name)!;
      assert.equal((d.inputSchema.properties.thread as { type: string }).type, 'string');
      assert.ok(!d.inputSchema.required.includes('thread'));
      assert.equal(core.inputSchema.properties.thread, undefined);
      assert.deepEqual({ ...d.inputSchema.properties, thread: undefined }, { ...core.inputSchema.properties, thread: undefined });
    }
  });
});

describe('planCall', () => {
  it('passes known arguments through on the default thread', () => {
    assert.deepEqual(planCall('readSessionFile', { path: 'a.txt', offset: 3 }, opts), { call: { name: 'readSessionFile', input: { path: 'a.txt', offset: 3 } }, thread: 'main' });
    assert.deepEqual(planCall('listSessionFiles', undefined, opts), { call: { name: 'listSessionFiles', input: {} }, thread: 'main' });
  });

  it('refuses an unknown tool, non-object arguments and parameters the schema lacks (no overwrite)', () => {
    assert.throws(() => planCall('rm -rf', {}, opts), (e: Error) => e instanceof InputError && /Unknown tool 'rm -rf'.*executePythonCode/s.test((e as InputError).explanation));
    assert.throws(() => planCall('listSessionFiles', [1], opts), /must be an object/);
    assert.throws(() => planCall('listSessionFiles', 'x', opts), /must be an object/);
    assert.throws(
      () => planCall('getSessionFile', { path: 'a', saveTo: 'b', overwrite: true }, opts),
      (e: Error) => e instanceof InputError && /no parameter 'overwrite'/.test(e.message) && /path, saveTo/.test((e as InputError).explanation),
    );
  });

  it('checks each value against the JSON type its schema names, and leaves the rest to the core', () => {
    assert.throws(() => planCall('executePythonCode', { pythonCode: 42 }, opts), /pythonCode must be a string, not number 42/);
    assert.throws(() => planCall('executePythonCode', { pythonCode: 'x', timeoutSeconds: 1.5 }, opts), /timeoutSeconds must be an integer/);
    assert.throws(() => planCall('executePythonCode', { pythonCode: 'x', timeoutSeconds: '60' }, opts), /must be an integer, not the string '60'/);
    assert.throws(() => planCall('runShellCommand', { command: 'ls', isBackground: 'no' }, opts), /isBackground must be true or false/);
    assert.throws(() => planCall('readSessionFile', { path: ['a'] }, opts), /path must be a string, not an array/);
    // Out of range or too long: the core's job (and its message).
    assert.deepEqual(planCall('executePythonCode', { pythonCode: 'x', timeoutSeconds: 5000 }, opts).call.input, { pythonCode: 'x', timeoutSeconds: 5000 });
    assert.deepEqual(planCall('listSessionFiles', { path: null }, opts).call.input, { path: null });
  });

  it('takes a thread argument only when allowed', () => {
    assert.throws(() => planCall('listSessionFiles', { thread: 'other' }, opts), /'thread' argument is not allowed.*"main"/);
    const allow = { allowThreadArg: true, defaultThread: 'main' };
    assert.deepEqual(planCall('listSessionFiles', { thread: 'other', path: 'x' }, allow), { call: { name: 'listSessionFiles', input: { path: 'x' } }, thread: 'other' });
    assert.equal(planCall('listSessionFiles', {}, allow).thread, 'main');
    assert.throws(() => planCall('listSessionFiles', { thread: '' }, allow), /thread must be a non-empty string/);
    assert.throws(() => planCall('listSessionFiles', { thread: 7 }, allow), /thread must be a non-empty string/);
    assert.throws(() => planCall('listSessionFiles', { thread: 'x'.repeat(201) }, allow), /at most 200/);
  });
});

describe('sandbox:// URIs', () => {
  it('round-trip thread keys and paths with odd characters', () => {
    const uri = sessionFileUri('my thread/1?#', 'out dir/r%sult #1.csv');
    assert.equal(uri, 'sandbox://my%20thread%2F1%3F%23/out%20dir/r%25sult%20%231.csv');
    assert.deepEqual(parseSessionFileUri(uri), { thread: 'my thread/1?#', path: 'out dir/r%sult #1.csv' });
    assert.deepEqual(parseSessionFileUri('sandbox://t/a/./b.txt'), { thread: 't', path: 'a/b.txt' });
  });

  it('refuse other schemes, a missing thread or file, traversal and bad encoding', () => {
    assert.throws(() => parseSessionFileUri('file:///etc/passwd'), InputError);
    assert.throws(() => parseSessionFileUri('sandbox:///x'), /names no thread/);
    assert.throws(() => parseSessionFileUri('sandbox://t/'), /path is missing/);
    assert.throws(() => parseSessionFileUri('sandbox://t/./'), /names no file/);
    assert.throws(() => parseSessionFileUri('sandbox://t/../x'), /'\.\.' may not be used/);
    assert.throws(() => parseSessionFileUri('sandbox://t/a/%2E%2E/%2E%2E/x'), /'\.\.' may not be used/);
    assert.throws(() => parseSessionFileUri('sandbox://t/%2Fetc%2Fpasswd'), /Absolute path/);
    assert.throws(() => parseSessionFileUri('sandbox://t/%E0%A4%A'), (err: unknown) => err instanceof InputError && /percent-encoding/.test(err.message) && err.cause instanceof URIError);
  });
});

describe('toCallResult', () => {
  it('gives text, image content and resource links for touched files; no isError when ok', () => {
    const o = outcome('executePythonCode', 'ok', 'hello', {
      images: [{ mimeType: 'image/png', data: 'iVBORw0KGgo=' }],
      files: [
        { path: 'plot.png', size: 10, type: 'image/png', change: 'created' },
        { path: 'old.csv', size: 5, type: 'text/csv' },
      ],
    });
    const r = toCallResult(o, 'th');
    assert.equal(r.isError, undefined);
    assert.deepEqual(r.content[0], { type: 'text', text: 'hello' });
    assert.deepEqual(r.content[1], { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' });
    assert.equal(r.content.length, 3, 'an unchanged file is not linked');
    assert.deepEqual(
      { ...r.content[2], description: undefined },
      { type: 'resource_link', uri: 'sandbox://th/plot.png', name: 'plot.png', mimeType: 'image/png', size: 10, description: undefined },
    );
  });

  it('links the file getSessionFile hands over, and sets isError for every status but ok', () => {
    const got = toCallResult(outcome('getSessionFile', 'ok', 'ready', { files: [{ path: 'r.pdf', size: 1, type: 'application/pdf' }] }), 't');
    assert.equal(got.content[1].type, 'resource_link');
    for (const status of ['error', 'timeout', 'interrupted', 'rejected', 'unavailable'] as const) {
      assert.equal(toCallResult(outcome('listSessionFiles', status, 'x'), 't').isError, true, status);
    }
  });

  it('links as many files as a file report names at most, in its order', () => {
    const files = Array.from({ length: 120 }, (_, i) => ({ path: `d/f${120 - i}`, size: 1, type: 'text/plain', change: 'created' as const }));
    files.push({ path: 'top.csv', size: 1, type: 'text/csv', change: 'created' });
    const content = toCallResult(outcome('runShellCommand', 'ok', 'x', { files }), 't').content;
    assert.equal(content.length, 1 + LIMITS.reportNamedFiles);
    assert.deepEqual(content.slice(1, 4).map((c) => (c as { name: string }).name), ['top.csv', 'd/f1', 'd/f2']);
  });
});

describe('roots and resource text', () => {
  it('keeps local file:// roots only', () => {
    assert.deepEqual(rootPaths([{ uri: 'file:///home/u/proj' }, { uri: 'https://example.com/x' }, { uri: 'file:///tmp/a%20b' }]), ['/home/u/proj', '/tmp/a b']);
    assert.deepEqual(rootPaths([]), []);
  });

  it('sends text only for valid UTF-8 of a text type', () => {
    assert.equal(asText(Buffer.from('a,b\n1,2\n'), 'text/csv'), 'a,b\n1,2\n');
    assert.equal(asText(Buffer.from('{"a":"é"}'), 'application/json'), '{"a":"é"}');
    assert.equal(asText(Buffer.from([0xff, 0xfe, 0x41]), 'text/plain'), undefined);
    assert.equal(asText(Buffer.from('a\0b'), 'text/plain'), undefined);
    assert.equal(asText(Buffer.from('plain'), 'application/octet-stream'), undefined);
  });
});

describe('ProgressReporter', () => {
  it('batches text into increasing notifications and sends nothing after close', async () => {
    const sent: ProgressNotice[] = [];
    const p = new ProgressReporter('tok', async (n) => void sent.push(n), 20);
    p.push('a');
    p.push('b');
    await new Promise((r) => setTimeout(r, 60));
    p.push('c');
    await p.close();
    p.push('late');
    p.flush();
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(sent, [
      { progressToken: 'tok', progress: 1, message: 'ab' },
      { progressToken: 'tok', progress: 2, message: 'c' },
    ]);
  });

  it('keeps the tail of long text and survives a failing sender', async () => {
    const sent: ProgressNotice[] = [];
    let fail = true;
    const p = new ProgressReporter(1, async (n) => {
      if (fail) {
        fail = false;
        throw new Error('gone');
      }
      sent.push(n);
    });
    p.push('x');
    p.flush();
    p.push('y'.repeat(MAX_PROGRESS_MESSAGE * 10) + 'END');
    await p.close();
    assert.equal(sent.length, 1);
    assert.equal(sent[0].message.length, MAX_PROGRESS_MESSAGE);
    assert.ok(sent[0].message.endsWith('END') && sent[0].message.startsWith('…'));
  });
});
