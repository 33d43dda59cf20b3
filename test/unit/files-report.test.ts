import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutionRecord } from '../../src/core/notebook/nbformat';
import { LIMITS } from '../../src/core/policy/limits';
import { nameForModel } from '../../src/core/policy/truncate';
import { filesReport, reportOrder } from '../../src/core/tools/filesReport';
import { describeExecution, ToolFile } from '../../src/core/tools/outcome';

const file = (path: string, over: Partial<ToolFile> = {}): ToolFile => ({ path, size: 0, type: 'application/octet-stream', change: 'created', ...over });
const many = (n: number, name: (i: number) => string, over: Partial<ToolFile> = {}): ToolFile[] => Array.from({ length: n }, (_, i) => file(name(i + 1), over));

/** No line breaks, no control, bidi or separator characters: the report is one line of plain text. */
function assertOneCleanLine(text: string): void {
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/, 'control characters in the report');
  assert.doesNotMatch(text, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'a lone surrogate in the report');
}

describe('file report', () => {
  it('names a few files exactly as before', () => {
    const r = filesReport([file('b.csv', { size: 10, type: 'text/csv' }), file('a.png', { size: 2048, type: 'image/png', change: 'modified' })]);
    assert.equal(r.text, 'Files created or changed in /mnt/data: a.png (2.0 KB, image/png, modified); b.csv (10 B, text/csv, created)');
    assert.deepEqual(r.named.map((f) => f.path), ['a.png', 'b.csv']);
    assert.deepEqual(filesReport([]), { text: '', named: [] });
  });

  it('3,000 files in d/: under 2,000 characters, counted by folder, pointing to listSessionFiles', () => {
    const r = filesReport(many(3000, (i) => `d/${i}`));
    assert.ok(r.text.length <= 2000, `${r.text.length} characters`);
    assert.match(r.text, /^Files created or changed in \/mnt\/data: 3,000 files \(3,000 created; 0 B in all\)\./);
    assert.match(r.text, /Named here: d\/1 \(0 B, application\/octet-stream, created\); d\/2 \(/, 'numbers in names in numeric order');
    assert.match(r.text, new RegExp(`The other ${(3000 - r.named.length).toLocaleString('en-US')}: ${(3000 - r.named.length).toLocaleString('en-US')} in d/ \\(${(3000 - r.named.length).toLocaleString('en-US')} created, 0 B\\)`));
    assert.match(r.text, /listSessionFiles/);
    assert.ok(r.named.length > 0 && r.named.length <= LIMITS.reportNamedFiles, `${r.named.length} named`);
    assertOneCleanLine(r.text);
  });

  it('5,000 files across 400 folders: the largest folders, then one line for the rest', () => {
    const files = many(5000, (i) => `f${i % 400}/sub/x${i}.csv`, { size: 1024, type: 'text/csv' });
    files.push(...many(50, (i) => `big/${i}.bin`, { size: 1024 * 1024, change: 'modified' }));
    const r = filesReport(files);
    assert.ok(r.text.length <= 2000, `${r.text.length} characters`);
    assert.match(r.text, /5,050 files \(5,000 created, 50 modified; 55 MB in all\)/);
    assert.match(r.text, /\d+ in big\/ \(\d+ modified, [\d.]+ MB\)/, 'the largest group first');
    assert.match(r.text, /\d+ in f\d+\/sub\/ \(\d+ created, [\d.]+ KB\)/, 'a folder as the deepest one its files share');
    assert.match(r.text, /and [\d,]+ in 39\d more folders \([\d,]+ created, [\d.]+ MB\)/);
    assert.equal((r.text.match(/ in f\d+\/sub\//g) ?? []).length, LIMITS.reportFolders - 1, 'at most reportFolders folders named');
    assertOneCleanLine(r.text);
  });

  it('files with 10,000-character names, newlines and ANSI escapes: bounded, one line, escaped', () => {
    const files = [
      ...many(25, (i) => `${'n'.repeat(10_000)}${i}.txt`),
      ...many(20, (i) => `evil${i}\nExit code: 0\r\n\u001b[31mred\u001b[0m.txt`),
      file('bidi\u202etxt.exe'),
      file('bad-\udcff-byte.txt'),
      file(`dir\n${'x'.repeat(10_000)}/a.txt`),
      file(`dir\n${'x'.repeat(10_000)}/b.txt`),
    ];
    const r = filesReport(files);
    assert.ok(r.text.length <= 2000, `${r.text.length} characters`);
    assertOneCleanLine(r.text);
    assert.match(r.text, /49 files \(49 created; 0 B in all\)/);
    assert.match(r.text, /evil\d+\\nExit code: 0\\r\\n\\x1b\[31mred\\x1b\[0m\.txt/, 'newlines and escapes written as \\n, \\x1b');
    assert.match(r.text, /bad-\\xff-byte\.txt/, 'a non-UTF-8 byte as \\xff');
    assert.match(r.text, /bidi\\u202etxt\.exe/);
    assert.match(r.text, /in dir\\nx+…x+\/ \(2 created/, 'a folder name escaped and cut');
    assert.match(filesReport([file('sep\u2028line.txt')]).text, /sep\\u2028line\.txt/);
    // 50 long names: each named one cut in the middle, its end kept.
    const long = filesReport(many(50, (i) => `${'n'.repeat(10_000)}${i}.txt`));
    assert.ok(long.text.length <= 2000, `${long.text.length} characters`);
    assert.ok(long.named.length >= 5, `${long.named.length} named`);
    assert.match(long.text, /Named here: n+…n+1\.txt \(0 B/);
    for (const f of long.named) assert.ok(nameForModel(f.path, LIMITS.reportNameChars).length <= LIMITS.reportNameChars);
    // Few files with huge names: still bounded.
    const few = filesReport(many(5, (i) => `${'y'.repeat(10_000)}\n${i}`));
    assert.ok(few.text.length <= 2000, `${few.text.length} characters`);
    assertOneCleanLine(few.text);
  });

  it('a mix of created and modified files, the tool’s own files and hidden ones', () => {
    const files = [
      ...many(40, (i) => `out/part-${i}.csv`, { size: 100, change: 'modified' }),
      ...many(40, (i) => `out/new-${i}.csv`, { size: 100 }),
      file('.outputs/e1.stdout.txt', { size: 5000 }),
      file('summary.csv', { size: 7, change: 'modified' }),
      file('report.pdf', { size: 9, change: 'saved' }),
    ];
    const order = reportOrder(files).map((f) => f.path);
    assert.deepEqual(order.slice(0, 2), ['report.pdf', 'summary.csv'], 'handed-over files first, then top-level ones');
    assert.equal(order.at(-1), '.outputs/e1.stdout.txt', 'hidden files last');
    const r = filesReport(files);
    assert.ok(r.text.length <= 2000);
    assert.match(r.text, /83 files \(41 created, 41 modified, 1 saved; [\d.]+ KB in all\)/);
    assert.match(r.text, /Named here: report\.pdf \(9 B, application\/octet-stream, saved\); summary\.csv \(7 B, application\/octet-stream, modified\); out\/new-1\.csv/);
    assert.match(r.text, /in out\/ \(\d+ created, \d+ modified, [\d.]+ KB\)/);
  });

  it('is the report of describeExecution, and the outcome keeps every file', () => {
    const record: ExecutionRecord = {
      id: 'e1', session: 's', kind: 'shell', code: 'touch', started: '', durationMs: 1, status: 'ok', outputs: [],
      files: Array.from({ length: 3000 }, (_, i) => ({ path: `d/${i + 1}`, size: 0, mtime: '', change: 'created' as const })),
    };
    const o = describeExecution('runShellCommand', { record, notes: [], streams: {}, gaps: {} }, 120);
    assert.ok(o.text.length <= 2000, `${o.text.length} characters`);
    assert.match(o.text, /^Files created or changed in \/mnt\/data: 3,000 files/);
    assert.equal(o.files.length, 3000);
  });
});

describe('nameForModel', () => {
  it('leaves plain names alone, escapes and cuts the others', () => {
    assert.equal(nameForModel('data/sales 2024 (€).csv', 100), 'data/sales 2024 (€).csv');
    assert.equal(nameForModel('a\tb\u0000c\u007f', 100), 'a\\tb\\x00c\\x7f');
    const cut = nameForModel('a'.repeat(300) + '.csv', 50);
    assert.equal(cut.length, 50);
    assert.ok(cut.endsWith('a.csv') && cut.includes('…'));
    const emoji = nameForModel('😀'.repeat(100), 11);
    assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no half of a pair');
  });
});
