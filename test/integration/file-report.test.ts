/**
 * Issue 27: a call that writes thousands of files. The text a model reads names a few dozen and
 * counts the rest by folder (at most 2,000 characters of file report); the outcome's `files` and the
 * CLI's --json output keep every file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, FILES_HEADING, LIMITS, runShellCommand, ToolContext, ToolOutcome } from '../../src/core';
import { core, tempDir, TEST_RUNTIME, threadKey, toolContext } from '../helpers/env';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** The file report of a result's text: from its heading to the end of its line. */
function report(text: string): string {
  const at = text.indexOf(FILES_HEADING);
  assert.ok(at >= 0, `no file report in: ${text.slice(0, 500)}`);
  const end = text.indexOf('\n', at);
  return text.slice(at, end < 0 ? undefined : end);
}

describe('file reports of calls that write thousands of files (issue 27)', () => {
  let c: Core;
  let ctx: ToolContext;
  before(async () => {
    c = await core();
    ctx = toolContext(c, threadKey('file-report'));
  });
  after(async () => c.manager.delete(ctx.threadKey));

  it('a shell command creating 3,000 files: a report of at most 2,000 characters, every file in the outcome', async () => {
    const o = await runShellCommand({ command: 'mkdir -p d && cd d && seq 1 3000 | xargs touch' }, ctx);
    assert.equal(o.status, 'ok', o.text.slice(0, 500));
    const r = report(o.text);
    assert.ok(r.length <= LIMITS.reportChars, `the report is ${r.length} characters`);
    assert.match(r, /3,000 files \(3,000 created; 0 B in all\)/);
    assert.match(r, /Named here: d\/1 \(0 B, application\/octet-stream, created\); d\/2 /);
    assert.match(r, / in d\/ \([\d,]+ created, 0 B\)\. listSessionFiles lists them/);
    assert.equal(o.files.length, 3000);
    assert.deepEqual(new Set(o.files.map((f) => f.path)), new Set(Array.from({ length: 3000 }, (_, i) => `d/${i + 1}`)));
  });

  it('a Python cell creating 5,000 files in 400 folders: counted by folder in the text, complete in the outcome and in the CLI --json output', async () => {
    const code = ['import os', 'for i in range(5000):', '    os.makedirs(f"t{i % 400}", exist_ok=True)', '    open(f"t{i % 400}/f{i}.csv", "w").write("x")', 'print("made")'].join('\n');
    const o: ToolOutcome = await executePythonCode({ pythonCode: code }, ctx);
    assert.equal(o.status, 'ok', o.text.slice(0, 500));
    const r = report(o.text);
    assert.ok(r.length <= LIMITS.reportChars, `the report is ${r.length} characters`);
    assert.match(r, /5,000 files \(5,000 created; 4\.9 KB in all\)/);
    assert.match(r, /more folders/);
    assert.equal(o.files.length, 5000);

    // The same files changed again, through the CLI: its text summarised, its JSON complete.
    const again = code.replace('.write("x")', '.write("xy")').replace('os.makedirs', '0 and os.makedirs');
    const args = [CLI, 'exec', '--json', '--thread', ctx.threadKey, '--code', again, '--audit-dir', tempDir(), ...(TEST_RUNTIME ? ['--runtime', TEST_RUNTIME] : [])];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as ToolOutcome;
    assert.equal(json.files.length, 5000, 'the CLI --json output lists every file');
    assert.ok(json.files.every((f) => f.change === 'modified' && f.size === 2), JSON.stringify(json.files.slice(0, 3)));
    const cliReport = report(json.text);
    assert.ok(cliReport.length <= LIMITS.reportChars, `the CLI's report is ${cliReport.length} characters`);
    assert.match(cliReport, /5,000 files \(5,000 modified; 9\.8 KB in all\)/);
  });
});
