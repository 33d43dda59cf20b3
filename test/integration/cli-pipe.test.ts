/**
 * The CLI's whole output reaches a pipe, as it reaches a file (issue 31): process.exit() used to drop
 * what Node still held for a pipe past the 64 KiB Linux buffers, with status 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core } from '../../src/core';
import { core, tempDir, TEST_RUNTIME, threadKey } from '../helpers/env';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/**
 * A reader that falls behind: it takes one byte (which frees no room in the pipe), sleeps a second
 * while the CLI's writes queue behind the full pipe, then reads the rest in small bites. Writes what
 * it read to stdout.
 */
const SLOW_READER = `
const fs = require('fs');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const buf = Buffer.alloc(16384);
for (let first = true; ; first = false) {
  const n = fs.readSync(0, buf, 0, first ? 1 : buf.length, null);
  if (n === 0) break;
  fs.writeSync(1, buf, 0, n);
  sleep(first ? 1000 : 2);
}`;

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function finished(child: ReturnType<typeof spawn>): Promise<string> {
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve(stderr));
  });
}

describe('CLI output through a pipe', () => {
  let c: Core;
  const thread = threadKey('cli-pipe');
  const dir = tempDir();
  let n = 0;
  const cliArgs = (args: string[]) => [...args, '--thread', thread, '--audit-dir', join(dir, 'audit'), ...(TEST_RUNTIME ? ['--runtime', TEST_RUNTIME] : [])];

  /** stdin: a file's contents (`< file`), or none. */
  const stdin = (file?: string) => (file ? openSync(file, 'r') : 'ignore');

  /** The CLI with stdout redirected to a file (an fd on it, as `> file`). */
  async function toFile(args: string[], input?: string): Promise<Run> {
    const out = join(dir, `file-${++n}`);
    const fd = openSync(out, 'w');
    const inFd = stdin(input);
    const child = spawn(process.execPath, [CLI, ...cliArgs(args)], { stdio: [inFd, fd, 'pipe'] });
    closeSync(fd);
    if (typeof inFd === 'number') closeSync(inFd);
    const stderr = await finished(child);
    return { status: child.exitCode, stdout: readFileSync(out), stderr };
  }

  /** The CLI with stdout into a shell pipe (a real pipe(2), as `| reader`); the reader's output lands in a file. */
  async function throughPipe(args: string[], reader: string, input?: string): Promise<Run> {
    const out = join(dir, `pipe-${++n}`);
    const statusFile = `${out}.status`;
    const script = `{ "$@"; echo $? > "$STATUS_FILE"; } | ${reader} > "$OUT_FILE"`;
    const inFd = stdin(input);
    const child = spawn('sh', ['-c', script, 'sh', process.execPath, CLI, ...cliArgs(args)], {
      stdio: [inFd, 'ignore', 'pipe'],
      env: { ...process.env, STATUS_FILE: statusFile, OUT_FILE: out, NODE_BIN: process.execPath, SLOW_READER },
    });
    if (typeof inFd === 'number') closeSync(inFd);
    const stderr = await finished(child);
    assert.ok(existsSync(statusFile), `the pipeline ran the CLI: ${stderr}`);
    return { status: Number(readFileSync(statusFile, 'utf8').trim()), stdout: readFileSync(out), stderr };
  }
  const slow = '"$NODE_BIN" -e "$SLOW_READER"';

  /** What differs from one execution to the next (ids, times, counters, object addresses), masked. */
  const stable = (b: Buffer) =>
    b
      .toString('utf8')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
      .replace(/"(durationMs|execution_count)": \d+/g, '"$1": N')
      .replace(/Out\[\d+\]/g, 'Out[N]')
      .replace(/0x[0-9a-f]+/g, '0xADDR');

  /** The same command through a slow pipe and into a file: the same bytes (up to `stable`), the same status. */
  async function samePipedAsFiled(args: string[], opts: { json: boolean; minBytes: number; deterministic?: boolean; input?: string }) {
    const filed = await toFile(args, opts.input);
    assert.equal(filed.status, 0, filed.stderr);
    assert.ok(filed.stdout.length > opts.minBytes, `${args[0]} wrote ${filed.stdout.length} bytes, more than ${opts.minBytes} expected`);
    const piped = await throughPipe(args, slow, opts.input);
    assert.equal(piped.status, filed.status, piped.stderr);
    const sizes = `${piped.stdout.length} bytes through the pipe, ${filed.stdout.length} into the file`;
    if (opts.deterministic) assert.ok(piped.stdout.equals(filed.stdout), sizes);
    else assert.ok(stable(piped.stdout) === stable(filed.stdout), sizes);
    if (opts.json) {
      assert.equal(JSON.parse(piped.stdout.toString('utf8')).status, 'ok');
      assert.equal(JSON.parse(filed.stdout.toString('utf8')).status, 'ok');
    }
    return piped;
  }

  before(async () => {
    c = await core();
    // 10 MB of text in the session: 100,000 lines of 100 bytes.
    const made = await toFile(['exec', '--code', 'with open("big.txt", "w") as f:\n    f.writelines(f"{i:09d} " + "x" * 89 + "\\n" for i in range(100_000))\nimport os\nprint(os.path.getsize("big.txt"))']);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(made.stdout.toString().trim(), '10000000');
  });
  after(async () => {
    await c.manager.delete(thread);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exec --json of a matplotlib chart (a base64 PNG, more than 64 KiB)', async () => {
    const piped = await samePipedAsFiled(['exec', '--json', '--code', 'import matplotlib.pyplot as plt; plt.plot([1,2,3])'], { json: true, minBytes: 64 * 1024 });
    assert.equal(JSON.parse(piped.stdout.toString('utf8')).images.length, 1);
  });

  it('exec of print("y"*200000) as text', async () => {
    await samePipedAsFiled(['exec', '--code', 'print("y"*200000)'], { json: false, minBytes: 128 * 1024, deterministic: true });
  });

  it('exec --json of print("y"*200000)', async () => {
    await samePipedAsFiled(['exec', '--json', '--code', 'print("y"*200000)'], { json: true, minBytes: 128 * 1024 });
  });

  it('read of a 10 MB text file (as much as one read returns: 2,000 lines), as text and as --json', async () => {
    await samePipedAsFiled(['read', 'big.txt'], { json: false, minBytes: 128 * 1024, deterministic: true });
    await samePipedAsFiled(['read', 'big.txt', '--json'], { json: true, minBytes: 128 * 1024, deterministic: true });
  });

  it('mcp: the responses written before stdin ends all reach the client when the server exits', async () => {
    // A client that sends its requests and closes stdin: 20 tools/list answers, about 140 KB.
    const input = join(dir, 'mcp-requests.jsonl');
    const requests = [
      { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cli-pipe-test', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      ...Array.from({ length: 20 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/list' })),
    ];
    writeFileSync(input, requests.map((r) => JSON.stringify(r) + '\n').join(''));
    const piped = await samePipedAsFiled(['mcp'], { json: false, minBytes: 64 * 1024, deterministic: true, input });
    const ids = piped.stdout.toString('utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    assert.deepEqual(ids, Array.from({ length: 21 }, (_, i) => i));
  });

  it('a reader that closes early (| head -c 100): the CLI ends quietly, without a crash trace', async () => {
    for (const args of [['exec', '--code', 'print("y"*200000)'], ['exec', '--json', '--code', 'import matplotlib.pyplot as plt; plt.plot([1,2,3])']]) {
      const r = await throughPipe(args, 'head -c 100');
      assert.equal(r.stdout.length, 100);
      assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /, r.stderr);
      assert.equal(r.status, 0, r.stderr);
    }
  });
});
