/**
 * The MCP server end to end: the SDK's own Client spawns the built CLI (`node dist/cli.js mcp`)
 * over stdio, against the real Docker engine and sandbox image.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, Server as NetServer } from 'node:net';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Core, TOOL_SCHEMAS } from '../../src/core';
import { core, tempDir, threadKey } from '../helpers/env';
import { CallResult, links, text } from '../helpers/mcp';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const CALL_TIMEOUT = { timeout: 240_000 };

interface Connection {
  client: Client;
  /** Errors the client transport saw (a non-JSON line on stdout would be one). */
  errors: Error[];
  stderr: () => string;
  close: () => Promise<void>;
}

async function connect(opts: { thread: string; auditDir: string; args?: string[]; roots?: string[]; cwd?: string; env?: Record<string, string>; name?: string }): Promise<Connection> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', '--thread', opts.thread, '--audit-dir', opts.auditDir, ...(opts.args ?? [])],
    cwd: opts.cwd,
    env: { ...env, ...opts.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: opts.name ?? 'mcp-integration-test', version: '1.0.0' }, { capabilities: opts.roots ? { roots: { listChanged: true } } : {} });
  if (opts.roots) {
    const roots = opts.roots;
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: basename(r) })) }));
  }
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return { client, errors, stderr: () => stderr, close: () => client.close() };
}

async function call(c: Connection, name: string, args: Record<string, unknown> = {}): Promise<CallResult> {
  return (await c.client.callTool({ name, arguments: args }, undefined, CALL_TIMEOUT)) as CallResult;
}

function ok(r: CallResult): CallResult {
  assert.notEqual(r.isError, true, `expected success, got: ${text(r)}`);
  return r;
}

function failed(r: CallResult, pattern: RegExp): void {
  assert.equal(r.isError, true, `expected isError, got: ${text(r)}`);
  assert.match(text(r), pattern);
}

function uri(thread: string, path: string): string {
  return `sandbox://${encodeURIComponent(thread)}/${path}`;
}

function readAudit(dir: string): { tool: string; caller: string; status: string; thread: string }[] {
  const file = join(dir, 'audit.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

describe('MCP server', () => {
  let c: Core;
  let a: Connection;
  const thread = threadKey('mcp');
  const auditDir = tempDir();
  const root = tempDir();
  const roots = [root];
  const payload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
  let listChanged = 0;

  before(async () => {
    c = await core();
    writeFileSync(join(root, 'blob.bin'), payload);
    writeFileSync(join(root, 'existing.bin'), 'keep me');
    a = await connect({ thread, auditDir, roots, args: ['--verbose'] });
    a.client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => void listChanged++);
  });
  after(async () => {
    await a?.close();
    await c.manager.delete(thread);
  });

  it('lists exactly the eight tools with the core schemas and annotations', async () => {
    const { tools } = await a.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_SCHEMAS.map((t) => t.name).sort());
    for (const s of TOOL_SCHEMAS) {
      const t = tools.find((x) => x.name === s.name)!;
      assert.deepEqual(t.inputSchema, JSON.parse(JSON.stringify(s.inputSchema)), s.name);
      assert.equal(t.description, s.description);
      assert.equal(t.title, s.title);
      assert.deepEqual(t.annotations, { title: s.title, readOnlyHint: s.readOnly, destructiveHint: s.destructive, openWorldHint: false }, s.name);
    }
  });

  it('shares the thread\'s kernel with the CLI: a variable set by `code-interpreter exec` is read through MCP, and back', async () => {
    const cliAudit = tempDir(); // the MCP server's audit log is checked on its own below
    const set = spawnSync(process.execPath, [CLI, 'exec', '--thread', thread, '--audit-dir', cliAudit, '--code', 'from_cli = 6 * 7'], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(set.status, 0, set.stdout + set.stderr);
    const r = ok(await call(a, 'executePythonCode', { pythonCode: 'print("from the cli:", from_cli)\nfrom_mcp = from_cli + 1' }));
    assert.match(text(r), /from the cli: 42/);
    const back = spawnSync(process.execPath, [CLI, 'exec', '--thread', thread, '--audit-dir', cliAudit, '--code', 'print("from mcp:", from_mcp)'], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(back.status, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /from mcp: 43/);
  });

  it('runs Python: stdout as text, a matplotlib chart as PNG image content, a new file as a resource link', async () => {
    const r = ok(
      await call(a, 'executePythonCode', {
        pythonCode: 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nopen("made.txt", "w").write("made by mcp")\nprint("hello from", 6 * 7)',
      }),
    );
    assert.match(text(r), /hello from 42/);
    const images = r.content.filter((x) => x.type === 'image') as { data: string; mimeType: string }[];
    assert.equal(images.length, 1);
    assert.equal(images[0].mimeType, 'image/png');
    const png = Buffer.from(images[0].data, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
    assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 100, 'a real chart, not a 1-pixel stub');
    const made = links(r).find((l) => l.name === 'made.txt');
    assert.ok(made, `a resource link for made.txt in ${JSON.stringify(links(r))}`);
    assert.equal(made.uri, uri(thread, 'made.txt'));
    const read = await a.client.readResource({ uri: made.uri });
    assert.deepEqual(read.contents, [{ uri: made.uri, mimeType: 'text/plain', text: 'made by mcp' }]);
  });

  it('keeps Python variables between calls', async () => {
    ok(await call(a, 'executePythonCode', { pythonCode: 'answer = 41' }));
    assert.match(text(ok(await call(a, 'executePythonCode', { pythonCode: 'print("answer is", answer + 1)' }))), /answer is 42/);
  });

  it('answers bad input with isError and a message, and keeps serving', async () => {
    failed(await call(a, 'readSessionFile', { path: '../../etc/passwd' }), /'\.\.' may not be used to leave \/mnt\/data/);
    failed(await call(a, 'listSessionFiles', { path: '/etc' }), /Absolute path '\/etc' refused/);
    failed(await call(a, 'executePythonCode', { pythonCode: 'print(1)', timeoutSeconds: 5000 }), /timeoutSeconds 5000 is out of range: it must be between 5 and 900/);
    failed(await call(a, 'executePythonCode', { pythonCode: 'x'.repeat(20_001) }), /20,001 characters; the limit is 20,000/);
    failed(await call(a, 'executePythonCode', { pythonCode: 42 }), /pythonCode must be a string, not number 42/);
    failed(await call(a, 'executePythonCode', { pythonCode: '   ' }), /pythonCode is required and must be a non-empty string/);
    failed(await call(a, 'deleteEverything', {}), /Unknown tool 'deleteEverything'/);
    failed(await call(a, 'listSessionFiles', { thread: 'someone-else' }), /'thread' argument is not allowed/);
    const r = ok(await call(a, 'readSessionFile', { path: 'made.txt' }));
    assert.match(text(r), /made by mcp/);
  });

  it('cancels a long-running call on notifications/cancelled, with progress while it ran; the session keeps working', async () => {
    const controller = new AbortController();
    const progress: string[] = [];
    const fallback = setTimeout(() => controller.abort(), 30_000);
    const t0 = Date.now();
    const running = a.client.callTool(
      { name: 'executePythonCode', arguments: { pythonCode: 'import time\nprint("started", flush=True)\ntime.sleep(120)\nfinished = True' } },
      undefined,
      {
        ...CALL_TIMEOUT,
        signal: controller.signal,
        onprogress: (p) => {
          progress.push(p.message ?? '');
          if (/started/.test(p.message ?? '')) controller.abort();
        },
      },
    );
    await assert.rejects(running, /abort/i);
    clearTimeout(fallback);
    assert.ok(progress.some((m) => /started/.test(m)), `a progress notification carried the output: ${JSON.stringify(progress)}`);
    // The next call queues behind the cancelled one: it only comes back quickly if the code was interrupted.
    const r = ok(await call(a, 'executePythonCode', { pythonCode: 'print("finished" in globals(), answer)' }));
    assert.match(text(r), /False 41/);
    assert.ok(Date.now() - t0 < 60_000, `the sleep was interrupted (took ${Date.now() - t0} ms)`);
  });

  it('uploads a host file under the client roots and reads it back byte-exactly as a blob resource', async () => {
    const up = ok(await call(a, 'uploadFileToSession', { source: 'blob.bin', destination: 'in/blob.bin' }));
    const link = links(up).find((l) => l.name === 'in/blob.bin');
    assert.ok(link, text(up));
    assert.equal(link.uri, uri(thread, 'in/blob.bin'));
    assert.equal(link.size, payload.length);
    const read = await a.client.readResource({ uri: link.uri });
    assert.equal(read.contents.length, 1);
    const content = read.contents[0] as { blob?: string; text?: string; mimeType?: string };
    assert.equal(content.text, undefined);
    assert.equal(content.mimeType, 'application/octet-stream');
    assert.ok(Buffer.from(content.blob!, 'base64').equals(payload), 'the bytes read back are the bytes uploaded');

    const { resources } = await a.client.listResources();
    const listed = resources.find((x) => x.uri === link.uri);
    assert.ok(listed, JSON.stringify(resources.map((x) => x.uri)));
    assert.equal(listed.size, payload.length);
    assert.ok(resources.some((x) => x.uri === uri(thread, 'made.txt')));
    assert.ok(listChanged > 0, 'the server announced that its resource list changed');
  });

  it('bounds host files by the roots and never overwrites a host file', async () => {
    failed(await call(a, 'uploadFileToSession', { source: '/etc/hostname' }), new RegExp(`outside the allowed folders \\(${root}\\)`));
    failed(await call(a, 'uploadFileToSession', { source: '../outside.txt' }), /outside the allowed folders/);
    failed(await call(a, 'getSessionFile', { path: 'made.txt', saveTo: '/tmp/mcp-escape.txt' }), /outside the allowed folders/);
    assert.equal(existsSync('/tmp/mcp-escape.txt'), false);
    failed(await call(a, 'getSessionFile', { path: 'made.txt', saveTo: 'existing.bin' }), /already exists; it was not overwritten/);
    failed(await call(a, 'getSessionFile', { path: 'made.txt', saveTo: 'existing.bin', overwrite: true }), /no parameter 'overwrite'/);
    assert.equal(readFileSync(join(root, 'existing.bin'), 'utf8'), 'keep me');
    const saved = ok(await call(a, 'getSessionFile', { path: 'in/blob.bin', saveTo: 'out/copy.bin' }));
    assert.equal(links(saved)[0]?.uri, uri(thread, 'in/blob.bin'));
    assert.ok(readFileSync(join(root, 'out', 'copy.bin')).equals(payload));
  });

  it('follows the client when its roots change', async () => {
    const second = tempDir();
    writeFileSync(join(second, 'second.txt'), 'from the second root');
    failed(await call(a, 'uploadFileToSession', { source: join(second, 'second.txt') }), /outside the allowed folders/);
    roots.push(second);
    await a.client.sendRootsListChanged();
    ok(await call(a, 'uploadFileToSession', { source: join(second, 'second.txt') }));
    assert.match(text(ok(await call(a, 'readSessionFile', { path: 'second.txt' }))), /from the second root/);
    roots.pop();
    await a.client.sendRootsListChanged();
    failed(await call(a, 'uploadFileToSession', { source: join(second, 'second.txt') }), /outside the allowed folders/);
  });

  it('generates a PDF report: a page-1 preview image and a resource link to the PDF', async () => {
    const r = ok(
      await call(a, 'generatePdfReport', {
        pythonCode: 'from reportlab.pdfgen import canvas\nc = canvas.Canvas("draft.pdf")\nc.drawString(72, 720, "MCP report")\nc.showPage()\nc.save()',
        expectedOutputFilename: 'draft.pdf',
        saveAsFilename: 'final.pdf',
      }),
    );
    assert.match(text(r), /PDF report saved as final\.pdf \(1 page/);
    const image = r.content.find((x) => x.type === 'image') as { data: string } | undefined;
    assert.ok(image && Buffer.from(image.data, 'base64').subarray(1, 4).toString('latin1') === 'PNG', 'a PNG preview');
    const link = links(r).find((l) => l.name === 'final.pdf');
    assert.equal(link?.mimeType, 'application/pdf');
    const read = await a.client.readResource({ uri: link!.uri });
    assert.equal(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').subarray(0, 5).toString('latin1'), '%PDF-');
  });

  it('refuses a resource of another thread, a traversal URI and a missing file', async () => {
    await assert.rejects(a.client.readResource({ uri: uri('another-thread', 'made.txt') }), /serves the thread .* only/);
    await assert.rejects(a.client.readResource({ uri: `sandbox://${encodeURIComponent(thread)}/../etc/passwd` }), /'\.\.' may not be used/);
    await assert.rejects(a.client.readResource({ uri: uri(thread, 'nope.txt') }), /Resource not found.*does not exist/);
  });

  it('writes audit lines naming the client, sends only protocol messages on stdout and logs to stderr', () => {
    const lines = readAudit(auditDir);
    assert.ok(lines.length >= 10, `audit lines: ${lines.length}`);
    assert.ok(lines.every((l) => l.caller === 'mcp:mcp-integration-test'), JSON.stringify(lines.map((l) => l.caller)));
    assert.ok(lines.some((l) => l.tool === 'executePythonCode' && l.status === 'interrupted' && l.thread === thread));
    assert.ok(lines.some((l) => l.tool === 'deleteEverything' && l.status === 'rejected'));
    assert.deepEqual(a.errors.map(String), []);
    assert.match(a.stderr(), /serving thread/);
  });
});

describe('MCP threads', () => {
  let c: Core;
  const threadA = threadKey('mcp-a');
  const threadB = threadKey('mcp-b');
  const auditDir = tempDir();
  const conns: Connection[] = [];

  before(async () => {
    c = await core();
  });
  after(async () => {
    for (const conn of conns) await conn.close();
    await c.manager.delete(threadA);
    await c.manager.delete(threadB);
  });

  it('a server with another --thread cannot see the first one’s files; the CLI sees the same files by thread key', async () => {
    const a = await connect({ thread: threadA, auditDir });
    conns.push(a);
    ok(await call(a, 'runShellCommand', { command: 'echo secret-a > only-a.txt' }));
    const b = await connect({ thread: threadB, auditDir });
    conns.push(b);
    const listing = text(ok(await call(b, 'listSessionFiles')));
    assert.doesNotMatch(listing, /only-a/);
    failed(await call(b, 'readSessionFile', { path: 'only-a.txt' }), /does not exist/);
    assert.ok(!(await b.client.listResources()).resources.some((r) => /only-a/.test(r.uri)));
    await assert.rejects(b.client.readResource({ uri: uri(threadA, 'only-a.txt') }), /serves the thread/);

    const cli = spawnSync(process.execPath, [CLI, 'read', 'only-a.txt', '--thread', threadA, '--audit-dir', auditDir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /secret-a/);
    const fromCli = spawnSync(process.execPath, [CLI, 'shell', 'echo from-the-cli > cli.txt', '--thread', threadB, '--audit-dir', auditDir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(fromCli.status, 0, fromCli.stderr);
    assert.match(text(ok(await call(b, 'readSessionFile', { path: 'cli.txt' }))), /from-the-cli/);
  });

  it('with --allow-thread-arg, a thread argument reaches another thread', async () => {
    const s = await connect({ thread: threadB, auditDir, args: ['--allow-thread-arg'] });
    conns.push(s);
    const { tools } = await s.client.listTools();
    assert.equal(tools.length, 8);
    for (const t of tools) assert.equal((t.inputSchema.properties as Record<string, { type: string }>).thread?.type, 'string', t.name);
    assert.match(text(ok(await call(s, 'readSessionFile', { path: 'only-a.txt', thread: threadA }))), /secret-a/);
    failed(await call(s, 'readSessionFile', { path: 'only-a.txt' }), /does not exist/);
    const read = await s.client.readResource({ uri: uri(threadA, 'only-a.txt') });
    assert.equal((read.contents[0] as { text: string }).text, 'secret-a\n');
  });
});

describe('MCP server without Docker, and without client roots', () => {
  let c: Core;
  const thread = threadKey('mcp-docker');
  const dir = tempDir();
  const socket = join(tempDir(), 'docker.sock');
  let proxy: NetServer | undefined;
  let s: Connection;

  before(async () => {
    c = await core();
    writeFileSync(join(dir, 'local.txt'), 'local data');
    s = await connect({ thread, auditDir: tempDir(), cwd: dir, env: { DOCKER_HOST: `unix://${socket}` } });
  });
  after(async () => {
    await s?.close();
    proxy?.close();
    await c.manager.delete(thread);
  });

  it('says how to start Docker, then recovers without a restart once Docker is reachable', async () => {
    failed(await call(s, 'listSessionFiles'), /The sandbox is unavailable: Docker is not running or not reachable.*Start Docker/s);
    failed(await call(s, 'executePythonCode', { pythonCode: 'print(1)' }), /Docker is not running or not reachable/);
    // "Docker comes back": a socket appears at DOCKER_HOST, forwarding to the real engine.
    const upstream = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
    proxy = createServer((down) => {
      const up = netConnect(upstream);
      down.pipe(up).pipe(down);
      up.on('error', () => down.destroy());
      down.on('error', () => up.destroy());
    });
    await new Promise<void>((resolve) => proxy!.listen(socket, resolve));
    assert.match(text(ok(await call(s, 'executePythonCode', { pythonCode: 'print("back", 2 + 2)' }))), /back 4/);
  });

  it('uses the working directory as the only root when the client declares none', async () => {
    ok(await call(s, 'uploadFileToSession', { source: 'local.txt' }));
    assert.match(text(ok(await call(s, 'readSessionFile', { path: 'local.txt' }))), /local data/);
    failed(await call(s, 'uploadFileToSession', { source: '/etc/hostname' }), new RegExp(`outside the allowed folders \\(${dir}\\)`));
  });
});
