import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Core,
  executePythonCode,
  generatePdfReport,
  getSessionFile,
  listSessionFiles,
  readSessionFile,
  rootedHostFiles,
  runShellCommand,
  searchSessionFiles,
  ToolContext,
  uploadFileToSession,
} from '../../src/core';
import { core, tempDir, threadKey, toolContext } from '../helpers/env';

describe('session files', () => {
  let c: Core;
  let ctx: ToolContext;
  let host: string;
  before(async () => {
    c = await core();
    host = tempDir();
    ctx = toolContext(c, threadKey('files'), { host: rootedHostFiles([host]) });
  });
  after(async () => c.manager.delete(ctx.threadKey));

  it('uploads and downloads bytes exactly, binary included', async () => {
    const bytes = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.from([0, 255, 0x0a, 0x0d])]);
    writeFileSync(join(host, 'blob.bin'), bytes);
    const up = await uploadFileToSession({ source: 'blob.bin', destination: 'in/blob.bin' }, ctx);
    assert.equal(up.status, 'ok', up.text);
    const sum = await runShellCommand({ command: 'sha256sum in/blob.bin; stat -c %U in/blob.bin' }, ctx);
    assert.match(sum.text, new RegExp(createHash('sha256').update(bytes).digest('hex')));
    assert.match(sum.text, /sandbox/, 'uploaded files belong to the sandbox user');
    const down = await getSessionFile({ path: 'in/blob.bin', saveTo: 'out/blob.bin' }, ctx);
    assert.equal(down.status, 'ok', down.text);
    assert.ok(readFileSync(join(host, 'out', 'blob.bin')).equals(bytes));
    const again = await getSessionFile({ path: 'in/blob.bin', saveTo: 'out/blob.bin' }, ctx);
    assert.equal(again.status, 'rejected');
    assert.match(again.text, /already exists; it was not overwritten/);
  });

  it('refuses host paths outside the allowed roots', async () => {
    const o = await uploadFileToSession({ source: '/etc/passwd' }, ctx);
    assert.equal(o.status, 'rejected');
    assert.match(o.text, /outside the allowed folders/);
    const w = await getSessionFile({ path: 'in/blob.bin', saveTo: '../escape.bin' }, ctx);
    assert.equal(w.status, 'rejected');
  });

  it('refuses path traversal, absolute paths and symlink escapes in every file tool', async () => {
    await runShellCommand({ command: 'ln -sf /etc etc-link; ln -sf /etc/passwd passwd-link; ln -sf /tmp tmp-link' }, ctx);
    const attempts = [
      readSessionFile({ path: '../etc/passwd' }, ctx),
      readSessionFile({ path: '/etc/passwd' }, ctx),
      readSessionFile({ path: 'etc-link/passwd' }, ctx),
      readSessionFile({ path: 'passwd-link' }, ctx),
      listSessionFiles({ path: 'etc-link' }, ctx),
      searchSessionFiles({ pattern: 'root', path: 'etc-link' }, ctx),
      getSessionFile({ path: 'passwd-link' }, ctx),
      getSessionFile({ path: '../../etc/shadow' }, ctx),
      uploadFileToSession({ source: 'blob.bin', destination: 'tmp-link/x.bin' }, ctx),
      uploadFileToSession({ source: 'blob.bin', destination: '/tmp/x.bin' }, ctx),
    ];
    for (const o of await Promise.all(attempts)) {
      assert.equal(o.status, 'rejected', `${o.tool}: ${o.text}`);
      assert.match(o.text, /outside \/mnt\/data|relative to \/mnt\/data|'\.\.' may not|not a regular file|symbolic link/, o.text);
      assert.doesNotMatch(o.text, /root:x:0:0/);
    }
    const tmp = await runShellCommand({ command: 'ls /tmp/x.bin 2>&1 || true' }, ctx);
    assert.match(tmp.text, /No such file/);
  });

  it('reads with an offset, lists and searches', async () => {
    await executePythonCode({ pythonCode: 'open("log.txt", "w").write("".join(f"{i} {\'ERROR\' if i % 10 == 0 else \'ok\'}\\n" for i in range(3000)))' }, ctx);
    const first = await readSessionFile({ path: 'log.txt' }, ctx);
    assert.equal(first.status, 'ok', first.text);
    assert.match(first.text, /lines 1–2000/);
    assert.match(first.text, /call again with offset 2000/);
    const rest = await readSessionFile({ path: 'log.txt', offset: 2990, lines: 5 }, ctx);
    assert.match(rest.text, /2990 ERROR\n2991 ok/);
    const tooMany = await readSessionFile({ path: 'log.txt', lines: 2001 }, ctx);
    assert.equal(tooMany.status, 'rejected');
    const found = await searchSessionFiles({ pattern: 'ERROR', glob: '*.txt' }, ctx);
    assert.match(found.text, /^300 matches:/);
    assert.match(found.text, /log\.txt:1: 0 ERROR/);
    const capped = await searchSessionFiles({ pattern: 'ok' }, ctx);
    assert.match(capped.text, /stopped at the limit of 500/);
    const list = await listSessionFiles({}, ctx);
    assert.match(list.text, /log\.txt\t\d+ KB\ttext\/plain/);
  });

  it('generates a PDF, validates it, saves it under the new name and previews page 1', async () => {
    const o = await generatePdfReport(
      {
        pythonCode: 'from reportlab.pdfgen import canvas\nc = canvas.Canvas("report.pdf")\nc.drawString(72, 750, "Weekly Incident Report")\nc.showPage()\nc.drawString(72, 750, "Page 2")\nc.save()',
        expectedOutputFilename: 'report.pdf',
        saveAsFilename: 'weekly_summary.pdf',
      },
      ctx,
    );
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /saved as weekly_summary\.pdf \(2 pages/);
    assert.equal(o.images.length, 1);
    assert.equal(Buffer.from(o.images[0].data, 'base64').subarray(1, 4).toString(), 'PNG');
    const head = await runShellCommand({ command: 'head -c 5 weekly_summary.pdf' }, ctx);
    assert.match(head.text, /%PDF-/);
    const notPdf = await generatePdfReport({ pythonCode: 'open("fake.pdf", "w").write("hello")', expectedOutputFilename: 'fake.pdf', saveAsFilename: 'x.pdf' }, ctx);
    assert.equal(notPdf.status, 'error');
    assert.match(notPdf.text, /not a valid PDF/);
    const missing = await generatePdfReport({ pythonCode: 'pass', expectedOutputFilename: 'nothing.pdf', saveAsFilename: 'x.pdf' }, ctx);
    assert.equal(missing.status, 'error');
    assert.match(missing.text, /did not create 'nothing\.pdf'/);
  });

  it('kills a shell command\'s whole process tree on timeout', async () => {
    const o = await runShellCommand({ command: '(sleep 300 &); setsid sleep 301 & sleep 302', timeoutSeconds: 5 }, ctx);
    assert.equal(o.status, 'timeout', o.text);
    const ps = await runShellCommand({ command: 'ps -eo args | grep -c "^sleep 30[0-2]" || true' }, ctx);
    assert.match(ps.text, /^0/, ps.text);
    const after = await runShellCommand({ command: 'echo alive' }, ctx);
    assert.equal(after.status, 'ok');
  });
});
