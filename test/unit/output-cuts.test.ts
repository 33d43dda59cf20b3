import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LIMITS, OUTPUT_CUTS } from '../../src/core/policy/limits';
import { sandboxEnv } from '../../src/core/sandbox/helper';

const KERNEL_DIR = join(__dirname, '..', '..', '..', 'sandbox-image', 'kernel');

/** host_limit("NAME", default) calls in the in-container Python: name → its fallback number. */
function pythonLimits(): Map<string, number> {
  const found = new Map<string, number>();
  for (const file of readdirSync(KERNEL_DIR).filter((f) => f.endsWith('.py'))) {
    for (const m of readFileSync(join(KERNEL_DIR, file), 'utf8').matchAll(/host_limit\("([A-Z_]+)", ([^)]+)\)/g)) {
      assert.match(m[2], /^[\d\s*_]+$/, `${file}: the fallback of ${m[1]} is a plain number`);
      found.set(`SBX_${m[1]}`, Function(`return ${m[2]}`)() as number);
    }
  }
  return found;
}

function envMap(env: string[]): Map<string, number> {
  return new Map(env.map((e) => [e.slice(0, e.indexOf('=')), Number(e.slice(e.indexOf('=') + 1))]));
}

describe('output cuts handed to the kernel and helper', () => {
  it('are the numbers of limits.ts, as SBX_* variables', () => {
    const env = envMap(sandboxEnv());
    assert.equal(env.get('SBX_STREAM_HEAD_BYTES'), OUTPUT_CUTS.streamHeadBytes);
    assert.equal(env.get('SBX_SAVE_STDOUT_OVER_BYTES'), LIMITS.modelStdoutChars, 'a stream longer than a model sees is saved');
    assert.equal(env.get('SBX_SAVE_STDERR_OVER_BYTES'), LIMITS.modelStderrChars);
    assert.equal(env.get('SBX_READ_LINE_CHARS'), OUTPUT_CUTS.readLineChars);
    assert.equal(env.size, Object.keys(OUTPUT_CUTS).length);
  });

  it('are each read by the Python side, whose fallbacks are the same numbers', () => {
    // Every variable the host sends is read, every one read is sent, and a kernel started without
    // them (by hand) cuts where the host would have told it to.
    assert.deepEqual(pythonLimits(), envMap(sandboxEnv()));
  });

  it('change what the sandbox cuts (limits.py), and are not left for the code it runs', () => {
    const cuts = { ...OUTPUT_CUTS, streamHeadBytes: 1000, streamTailBytes: 500, saveStdoutOverBytes: 77, savedStreamBytes: 12345, readLineChars: 42, searchLineChars: 21 };
    // limits.py, which everything in the sandbox imports first of ours, takes every SBX_ setting out.
    const script = [
      'import json, os, limits',
      'left = sorted(k for k in os.environ if k.startswith("SBX_"))',
      'import capture, filecmds',
      'print(json.dumps([capture.HEAD_CAP, capture.TAIL_CAP, capture.SAVE_THRESHOLD, capture.SAVE_CAP, limits.FILES_CAP,',
      '                  filecmds.LINE_CUT_CHARS, filecmds.SEARCH_TEXT_CHARS, left]))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script], {
      cwd: KERNEL_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONDONTWRITEBYTECODE: '1', ...Object.fromEntries(sandboxEnv(cuts).map((e) => e.split('='))) },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [1000, 500, { stdout: 77, stderr: LIMITS.modelStderrChars }, 12345, OUTPUT_CUTS.filesSnapshotEntries, 42, 21, []]);
  });
});
