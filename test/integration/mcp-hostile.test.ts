/**
 * The hostile-output corpus (test/helpers/hostile.ts, issue 12) through the MCP server: the SDK's
 * own Client spawns the built CLI (`node dist/cli.js mcp`) over stdio, against the real Docker engine
 * and sandbox image, on a thread whose key is itself hostile. Tool results carry the output as text
 * (nothing rendered, run or dropped), image content only for real pictures, and a resource_link per
 * file with its exact name and a well-formed URI; resources/list and resources/read round-trip the
 * same names, and a URI cannot be bent into another file.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Core, LIMITS, nameForModel } from '../../src/core';
import { core, tempDir, threadKey } from '../helpers/env';
import { CallResult, Content, links, text } from '../helpers/mcp';
import { BENIGN_NAME, HOSTILE_NAMES, HTML_ITEMS, LONG_LINE_BYTES, MANY_OUTPUTS, MARKDOWN_ITEM, hostileCode, manyOutputsCode, MARKER, STDERR_LINE, STDOUT_LINE, SVG_ITEM } from '../helpers/hostile';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CALL_TIMEOUT = { timeout: 300_000 };


/** Every file the corpus cell makes: the hostile names and the benign one, with what each holds. */
const FILES = [...HOSTILE_NAMES, { name: BENIGN_NAME, content: 'benign\n', e2e: true }];

/** RFC 3986: a scheme, `//`, an authority and a path of unreserved, sub-delim, ':', '@' and percent-escapes only. */
const WELL_FORMED = /^sandbox:\/\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+)+$/;

/**
 * A URI component back to the name it stands for, written here independently of the server: its
 * percent-escapes are bytes, decoded as UTF-8, each byte outside a valid sequence as U+DC00 + byte
 * (how the sandbox reports a non-UTF-8 name, Python's surrogateescape).
 */
function decodeComponent(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === '%') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else bytes.push(...Buffer.from(text[i++], 'utf8'));
  }
  let out = '';
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; ) {
    let done = false;
    for (const len of [1, 2, 3, 4]) {
      try {
        out += strict.decode(Uint8Array.from(bytes.slice(i, i + len)));
        i += len;
        done = true;
        break;
      } catch {
        // not a whole character yet (or never)
      }
    }
    if (!done) out += String.fromCharCode(0xdc00 + bytes[i++]);
  }
  return out;
}

const SIGNATURES: Record<string, number[]> = { 'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/jpeg': [0xff, 0xd8, 0xff] };

/** The server's source is newer than the CLI the test would spawn: say so instead of testing old code. */
function staleBuild(): string | undefined {
  if (!existsSync(CLI)) return `${CLI} is missing`;
  const built = statSync(CLI).mtimeMs;
  const dir = join(ROOT, 'src', 'mcp');
  const newer = readdirSync(dir).filter((f) => statSync(join(dir, f)).mtimeMs > built);
  return newer.length ? `src/mcp/${newer.join(', src/mcp/')} changed after ${CLI} was built` : undefined;
}

describe('MCP server, hostile output (issue 12)', () => {
  let c: Core;
  let client: Client;
  const errors: Error[] = [];
  let stderr = '';
  // The thread's key is hostile too: markup, a slash, URI syntax and a space.
  const thread = `<b>h/[t](command:x)#?%</b> ${threadKey('mcp-hostile')}`;
  const linked = new Map<string, string>();

  before(async () => {
    const stale = staleBuild();
    assert.equal(stale, undefined, `${stale}: run \`npm run build\` first`);
    c = await core();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--thread', thread, '--audit-dir', tempDir()], cwd: tempDir(), env, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    client = new Client({ name: 'mcp-hostile-test', version: '1.0.0' }, { capabilities: {} });
    client.onerror = (e) => errors.push(e);
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await c?.manager.delete(thread);
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args }, undefined, CALL_TIMEOUT)) as CallResult;

  it('runs the corpus cell: output as text, image content only for real pictures, every file a resource_link with its exact name and a well-formed URI', async () => {
    const r = await call('executePythonCode', { pythonCode: hostileCode(), timeoutSeconds: 120 });
    assert.ok(r.content.every((x) => ['text', 'image', 'resource_link'].includes(x.type)), JSON.stringify(r.content.map((x) => x.type)));
    const t = text(r);
    // The cell ends with an error whose message is HTML: reported as the error it is, verbatim.
    assert.equal(r.isError, true, t.slice(0, 500));
    assert.ok(t.includes(`No module named '<img src=x onerror=alert('${MARKER}-error')>'`), 'the error message verbatim');
    // Streams verbatim: markup, markdown links and escapes are text, nothing taken out or added.
    assert.ok(t.includes(STDOUT_LINE), 'the stdout line with markup, verbatim');
    assert.ok(t.includes(STDERR_LINE), 'the stderr line with an iframe, verbatim');
    assert.ok(t.includes('\x1b]8;;https://hostile.invalid/osc8\x1b\\H-ansi-osc8'), 'ANSI escapes are passed as the characters they are');
    // Rich outputs as text a model reads: HTML and SVG as their text/plain (never their source),
    // markdown as its source (it is text), the non-PNG as a picture that is not attached.
    for (const item of HTML_ITEMS) {
      assert.ok(t.includes(item.label), `the text of ${item.id}`);
      assert.ok(!t.includes(item.body), `no HTML source of ${item.id}`);
    }
    assert.ok(t.includes(MARKDOWN_ITEM.body), 'the markdown source, verbatim');
    assert.ok(t.includes(SVG_ITEM.label) && !t.includes('<svg xmlns'), 'the SVG as its label, not its source');
    // The 1 MiB line is cut (head and tail, with how much was left out), not sent whole.
    assert.ok(t.includes('H-long-line-start') && t.includes('H-long-line-end'), 'the long line has its head and tail');
    assert.ok(t.length < 20_000, `the text is bounded (${t.length} characters for a ${LONG_LINE_BYTES}-byte line)`);
    // image/png that is no PNG (markdown where base64 should be) is not handed on as an image.
    for (const img of r.content.filter((x): x is Extract<Content, { type: 'image' }> => x.type === 'image')) {
      assert.match(img.data, /^[A-Za-z0-9+/]+={0,2}$/, 'image content is base64');
      const head = Buffer.from(img.data.slice(0, 16), 'base64');
      assert.ok(SIGNATURES[img.mimeType]?.every((b, i) => head[i] === b), `image content is a ${img.mimeType}: ${img.data.slice(0, 60)}`);
    }
    assert.match(t, /\[1 image output was not valid image\/png data and is not attached\]/);
    // One link per file, its name exact, its URI well-formed and naming exactly that file.
    const byName = new Map(links(r).map((l) => [l.name, l]));
    for (const f of FILES) {
      const l = byName.get(f.name);
      assert.ok(l, `a resource_link named ${JSON.stringify(f.name)} (links: ${JSON.stringify([...byName.keys()])})`);
      assert.match(l.uri, WELL_FORMED, `the URI of ${JSON.stringify(f.name)}`);
      const url = new URL(l.uri);
      assert.equal(url.protocol, 'sandbox:');
      assert.equal(decodeComponent(url.host), thread, `the URI's thread: ${l.uri}`);
      assert.equal(url.pathname.slice(1).split('/').map(decodeComponent).join('/'), f.name, `the URI's path: ${l.uri}`);
      assert.equal(l.size, Buffer.byteLength(f.content), `the size of ${JSON.stringify(f.name)}`);
      linked.set(f.name, l.uri);
    }
    assert.deepEqual(errors, [], 'the client saw no protocol error');
  });

  it('resources/list and resources/read round-trip the exact names; a URI cannot be bent into another file', async () => {
    assert.equal(linked.size, FILES.length, 'the first test made the files');
    const listed = new Map<string, { uri: string; name: string; title?: string }>();
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : undefined);
      for (const res of page.resources) listed.set(res.name, res);
      cursor = page.nextCursor;
    } while (cursor);
    for (const f of FILES) {
      const res = listed.get(f.name);
      assert.ok(res, `resources/list names ${JSON.stringify(f.name)}`);
      assert.equal(res.uri, linked.get(f.name), `the same URI as the tool result's link, for ${JSON.stringify(f.name)}`);
      assert.equal(res.title, f.name);
    }
    for (const f of FILES) {
      const uri = linked.get(f.name)!;
      if (f.name.includes('\udcff')) {
        // The server names it well (listed, linked); Docker's file API takes UTF-8 paths only, so
        // reading it by this URI is a clean refusal naming the cause — never another file, never a crash.
        await assert.rejects(client.readResource({ uri }), /cannot be read by name: its name is not valid UTF-8/);
        continue;
      }
      const read = await client.readResource({ uri });
      assert.deepEqual(read.contents.map((x) => ({ uri: x.uri, text: (x as { text?: string }).text })), [{ uri, text: f.content }], `resources/read of ${JSON.stringify(f.name)}`);
    }
    // A literal "%2e%2e%2f…" name is that file, not a way out of /mnt/data; an encoded ".." is refused.
    const base = linked.get(BENIGN_NAME)!.replace(/\/[^/]*$/, '');
    await assert.rejects(client.readResource({ uri: `${base}/..%2F..%2Fetc%2Fpasswd` }), /'\.\.' may not be used/);
    await assert.rejects(client.readResource({ uri: `${base}/%2e%2e/%2e%2e/etc/passwd` }), /'\.\.' may not be used/);
    await assert.rejects(client.readResource({ uri: `${base}/bad%zz.txt` }), /bad percent-encoding/);
    assert.deepEqual(errors, [], 'the client saw no protocol error');
  });

  it('file tools name the hostile files as text, and getSessionFile links each by its exact name', async () => {
    const list = await call('listSessionFiles', {});
    assert.notEqual(list.isError, true, text(list));
    // Each name on its own row: a newline or a non-UTF-8 byte written as an escape (\n, \xff).
    for (const f of FILES) assert.ok(text(list).includes(nameForModel(f.name, LIMITS.maxPathChars)), `listSessionFiles names ${JSON.stringify(f.name)}: ${text(list).slice(0, 1500)}`);
    for (const f of FILES.filter((x) => x.e2e)) {
      const read = await call('readSessionFile', { path: f.name });
      assert.notEqual(read.isError, true, text(read));
      assert.ok(text(read).includes(f.content.trim()), `readSessionFile ${JSON.stringify(f.name)}: ${text(read).slice(0, 300)}`);
      const got = await call('getSessionFile', { path: f.name });
      assert.notEqual(got.isError, true, text(got));
      const l = links(got);
      assert.equal(l.length, 1, JSON.stringify(got.content));
      assert.equal(l[0].name, f.name);
      assert.equal(l[0].uri, linked.get(f.name));
    }
    const found = await call('searchSessionFiles', { pattern: 'content of <img' });
    assert.notEqual(found.isError, true, text(found));
    assert.ok(text(found).includes(HOSTILE_NAMES[0].name), `searchSessionFiles names the file: ${text(found).slice(0, 500)}`);
  });

  it(`10,000 outputs in one cell: the first and the last outputs' text, the others counted, no markup, in one bounded result`, async () => {
    const r = await call('executePythonCode', { pythonCode: manyOutputsCode(), timeoutSeconds: 300 });
    assert.notEqual(r.isError, true, text(r).slice(0, 500));
    const t = text(r);
    assert.ok(t.includes('H-many-0\n') && t.endsWith(`H-many-${MANY_OUTPUTS - 1}`), `the outputs' text: …${t.slice(-200)}`);
    assert.match(t, /\[\.\.\. [\d,]+ more outputs \([\d,]+ characters\) not shown here; the output panel shows every output \.\.\.\]/);
    assert.ok(t.length <= LIMITS.modelOutputsChars + 500, `the text is bounded (${t.length} characters)`);
    assert.ok(!t.includes('onerror'), 'no HTML of the outputs in the text');
    assert.equal(r.content.filter((x) => x.type !== 'text').length, 0, 'nothing but text');
    assert.deepEqual(errors, [], 'the client saw no protocol error');
    assert.doesNotMatch(stderr, /protocol error/);
  });
});
