import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/core/log';
import { HistoryStore } from '../../src/core/notebook/history';
import { ExecutionRecord } from '../../src/core/notebook/nbformat';
import { sessionNames } from '../../src/core/session/naming';
import { ThreadRecords } from '../../src/core/session/records';

const rec = (id: string, text = ''): ExecutionRecord => ({
  id,
  session: 's',
  kind: 'python',
  code: `# ${id}`,
  started: '',
  durationMs: 1,
  status: 'ok',
  outputs: text ? [{ output_type: 'stream', name: 'stdout', text }] : [],
  files: [],
});
const tempDir = () => mkdtempSync(join(tmpdir(), 'hist-'));
const fileIds = (dir: string, thread = 't') =>
  readFileSync(join(dir, `${thread}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as ExecutionRecord).id);

/**
 * A writer process: after `startAt`, appends `count` records `w<writer>-<seq>` to thread `t`,
 * three at a time without waiting (the store queues them in order), then a pause of up to 3 ms,
 * with outputs of varied size.
 */
const WRITER = `
const { HistoryStore } = require(process.argv[1]);
const [dir, writer, count, keep, compactAt, startAt, maxText] = process.argv.slice(2);
(async () => {
  const store = new HistoryStore(dir, Number(keep), { compactAt: Number(compactAt) });
  while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 5));
  let batch = [];
  for (let seq = 0; seq < Number(count); seq++) {
    const id = 'w' + writer + '-' + seq;
    const text = 'x'.repeat((seq * 997) % Number(maxText));
    batch.push(store.append('t', { id, session: 's', kind: 'python', code: id, started: '', durationMs: 1, status: 'ok', outputs: [{ output_type: 'stream', name: 'stdout', text }], files: [] }));
    if (batch.length === 3) {
      await Promise.all(batch.splice(0));
      await new Promise((r) => setTimeout(r, Math.random() * 3));
    }
  }
  await Promise.all(batch);
})().catch((err) => { console.error(err); process.exit(1); });
`;

async function runWriters(dir: string, writers: number, count: number, keep: number, compactAt: number, maxText: number): Promise<void> {
  const module = require.resolve('../../src/core/notebook/history');
  const startAt = String(Date.now() + 400);
  await Promise.all(
    Array.from({ length: writers }, (_, w) => {
      const child = spawn(process.execPath, ['-e', WRITER, module, dir, String(w), String(count), String(keep), String(compactAt), startAt, String(maxText)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      return new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}: ${stderr}`)))));
    }),
  );
}

/** Per writer, the sequence numbers in the file's order. */
function bySeq(ids: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const id of ids) {
    const [w, seq] = id.split('-');
    out.set(w, [...(out.get(w) ?? []), Number(seq)]);
  }
  return out;
}

describe('history store', () => {
  it('several processes append at once, compaction rewriting the file after nearly every append: every record once, in order per writer', async () => {
    const dir = tempDir();
    const writers = 3;
    const count = 100;
    // keep holds everything, so no record may go; compactAt 10 makes nearly every append rewrite the file.
    await runWriters(dir, writers, count, writers * count, 10, 300);
    const ids = fileIds(dir);
    const switches = ids.filter((id, i) => i > 0 && id.split('-')[0] !== ids[i - 1].split('-')[0]).length;
    assert.ok(switches >= 10, `the writers' appends interleave (${switches} switches)`);
    assert.equal(new Set(ids).size, ids.length, 'no record twice');
    assert.equal(ids.length, writers * count, 'every record there');
    const seqs = bySeq(ids);
    for (let w = 0; w < writers; w++) assert.deepEqual(seqs.get(`w${w}`), [...Array(count).keys()], `writer ${w}'s records in order`);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== 't.jsonl'),
      [],
      'no lock or temporary file left',
    );
    assert.deepEqual((await new HistoryStore(dir, writers * count).load('t')).map((r) => r.id), ids);
  });

  it('several processes append at once, compaction dropping the oldest: what is left is the newest, no record twice, in order per writer', async () => {
    const dir = tempDir();
    const writers = 3;
    const count = 200;
    const keep = 40;
    const compactAt = 60;
    await runWriters(dir, writers, count, keep, compactAt, 3000);
    const ids = fileIds(dir);
    assert.equal(new Set(ids).size, ids.length, 'no record twice');
    // Compaction drops the file's oldest lines only, so each writer's records left are its last ones, none missing.
    for (const [w, seqs] of bySeq(ids)) {
      const first = seqs[0];
      assert.deepEqual(seqs, [...Array(count - first).keys()].map((i) => first + i), `writer ${w}: its newest records, in order, none missing`);
    }
    const last = ids.slice(-1)[0];
    assert.ok(last.endsWith(`-${count - 1}`), 'the newest record is a writer’s last');
    assert.ok(ids.length >= keep && ids.length <= compactAt, `between keep and compactAt records (${ids.length})`);
  });

  it('keeps the newest records across instances and compacts', async () => {
    const dir = tempDir();
    const a = new HistoryStore(dir, 3);
    for (let i = 0; i < 7; i++) await a.append('t', rec(`e${i}`));
    assert.ok(fileIds(dir).length <= 6, 'compacted');
    assert.deepEqual((await new HistoryStore(dir, 3).load('t')).map((r) => r.id), ['e4', 'e5', 'e6']);
    assert.deepEqual(await new HistoryStore(dir, 3).load('other'), []);
  });

  it("compacts from the file, keeping another process's newer records (not from what this process appended)", async () => {
    const dir = tempDir();
    const a = new HistoryStore(dir, 3); // two instances: two processes' counts and memory
    const b = new HistoryStore(dir, 3);
    for (let i = 0; i < 6; i++) await a.append('t', rec(`a${i}`));
    await b.append('t', rec('b0')); // 7 lines > 2 × keep: b rewrites the file with its newest 3
    assert.deepEqual(fileIds(dir), ['a4', 'a5', 'b0']);
    await a.append('t', rec('a6')); // a's own 7th record: no rewrite from a's memory, which would drop b0
    assert.deepEqual(fileIds(dir), ['a4', 'a5', 'b0', 'a6']);
  });

  it('skips a line a crash cut short, and the next record is a line of its own', async () => {
    const dir = tempDir();
    const store = new HistoryStore(dir, 10);
    await store.append('t', rec('e0'));
    await store.append('t', rec('e1'));
    appendFileSync(join(dir, 't.jsonl'), '{"id":"torn","outp');
    await store.append('t', rec('e2'));
    await store.append('t', rec('e3'));
    assert.deepEqual((await new HistoryStore(dir, 10).load('t')).map((r) => r.id), ['e0', 'e1', 'e2', 'e3']);
    // A compaction leaves the torn line out.
    const small = new HistoryStore(dir, 10, { compactAt: 4 });
    await small.append('t', rec('e4'));
    assert.deepEqual(fileIds(dir), ['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('removes a thread after the appends queued before it, and keeps those queued after', async () => {
    const dir = tempDir();
    const store = new HistoryStore(dir, 10);
    const other = new HistoryStore(dir, 10);
    const queued = [store.append('t', rec('e0')), store.append('t', rec('e1')), store.remove('t'), store.append('t', rec('e2'))];
    await Promise.all(queued);
    assert.deepEqual((await other.load('t')).map((r) => r.id), ['e2']);
    await Promise.all([store.append('t', rec('e3')), store.remove('t')]);
    assert.equal(existsSync(join(dir, 't.jsonl')), false);
    assert.deepEqual(await other.load('t'), []);
  });

  it('takes over a lock whose holder has exited, or that is older than staleLockMs', async () => {
    const dir = tempDir();
    const lock = join(dir, 't.jsonl.lock');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(lock, `${gone.stdout.trim()} 0 x`);
    const started = Date.now();
    await new HistoryStore(dir, 10).append('t', rec('e0'));
    assert.ok(Date.now() - started < 2_000, 'a dead holder’s lock is taken over at once');
    writeFileSync(lock, `${process.pid} 0 x`); // a live holder (this process) that has held it too long
    utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await new HistoryStore(dir, 10, { staleLockMs: 5_000 }).append('t', rec('e1'));
    assert.deepEqual(fileIds(dir), ['e0', 'e1']);
    assert.equal(existsSync(lock), false, 'released');
  });

  it('waits for a lock held by a live process', async () => {
    const dir = tempDir();
    const lock = join(dir, 't.jsonl.lock');
    writeFileSync(lock, `${process.pid} 0 x`);
    const store = new HistoryStore(dir, 10);
    let done = false;
    const appended = store.append('t', rec('e0')).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(done, false, 'still waiting');
    rmSync(lock);
    await appended;
    assert.deepEqual(fileIds(dir), ['e0']);
  });
});

describe('thread records', () => {
  const names = sessionNames('chat:records-test');
  it('reads the file on demand, drops idle records from memory and reads them again, keeping records added meanwhile', async () => {
    const dir = tempDir();
    const store = new HistoryStore(dir, 200);
    await store.append(names.threadHash, rec('e0'));
    const records = new ThreadRecords(names, store, silentLogger, 100);
    assert.equal(records.inMemory, false, 'nothing read at construction');
    const reading = records.all();
    const written = records.add(rec('e1')); // while the file is being read
    assert.deepEqual((await reading).map((r) => r.id), ['e0', 'e1']);
    await written;
    assert.equal(records.inMemory, true);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(records.inMemory, false, 'dropped after idling');
    await records.add(rec('e2')); // not in memory: only the file has it
    assert.deepEqual((await records.all()).map((r) => r.id), ['e0', 'e1', 'e2']);
    await records.clear();
    assert.deepEqual(await records.all(), []);
    assert.deepEqual(await store.load(names.threadHash), []);
  });

  it('logs a failed read or write and never throws it; the record stays in memory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const records = new ThreadRecords(names, new HistoryStore(join(dir, 'file', 'history'), 200), log, 0);
    assert.deepEqual(await records.all(), []);
    await records.add(rec('e0'));
    assert.deepEqual((await records.all()).map((r) => r.id), ['e0']);
    assert.match(warnings.join('\n'), /could not be read[^]*could not be written/);
  });
});
