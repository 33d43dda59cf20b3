import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditLog } from '../../src/core/audit/audit';
import { runTool } from '../../src/core/tools/base';
import type { ToolContext } from '../../src/core/tools/context';

const entry = (tool: string) => ({ time: 't', thread: 'th', session: 's', tool, caller: 'test', status: 'ok', durationMs: 1, outputBytes: { stdout: 0, stderr: 0, other: 0 }, filesWritten: [] });

describe('audit log: a failed write cannot silence it', () => {
  it('fails the entry it could not write, and writes the next one once the folder is back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'audit-'));
    const dir = join(root, 'audit');
    writeFileSync(dir, 'a file where the folder should be');
    const log = new AuditLog(dir);
    await assert.rejects(log.append(entry('first')));
    rmSync(dir);
    await log.append(entry('second'));
    await log.append(entry('third'));
    const tools = readFileSync(log.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).tool);
    assert.deepEqual(tools, ['second', 'third']);
  });

  it("a call whose entry could not be written says so in its result and in the output channel", async () => {
    const root = mkdtempSync(join(tmpdir(), 'audit-'));
    const blocked = join(root, 'blocked');
    writeFileSync(blocked, 'x');
    const logged: string[] = [];
    const ctx = {
      threadKey: 't',
      caller: 'test',
      audit: new AuditLog(blocked),
      manager: { session: () => ({ id: 's1' }), runtime: async () => ({ name: 'runc' }), log: { error: (m: unknown) => logged.push(String(m)) } },
    } as unknown as ToolContext;
    const o = await runTool('executePythonCode', ctx, 'print(1)', async () => ({ status: 'ok', text: 'ran', outputs: [], images: [], files: [] }) as never);
    assert.match(o.text, /^ran\n\nNote: this call could not be written to the audit log .*the next call tries again\.$/s);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /audit log could not be written/);
  });
});
