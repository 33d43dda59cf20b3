import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AGENT_MESSAGE_TYPES, AgentMessageSchema, isSessionRelative, parseAgentMessage } from '../../src/core/kernel/messages';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'kernel-protocol.md');

/** The rows of a marked table in the protocol document: type → field names. */
function docTable(name: string): Map<string, string[]> {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf(`<!-- ${name}:start -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  assert.ok(start >= 0 && end > start, `docs/kernel-protocol.md has the ${name} table`);
  const rows = new Map<string, string[]>();
  for (const line of text.slice(start, end).split('\n')) {
    const m = /^\| `([\w-]+)` \| (.*) \|$/.exec(line.trim());
    if (m) rows.set(m[1], [...m[2].matchAll(/`(\w+)`/g)].map((f) => f[1]));
  }
  return rows;
}

const valid = {
  hello: { type: 'hello', agentPid: 7, kernel: { state: 'ready', kernelId: 'ab', pid: 9, warmMs: 800, seccomp: true, cgroup: {}, exitCode: null, stderrTail: '' } },
  started: { type: 'started', id: 'e1', kernelId: 'ab', pid: 9 },
  output: { type: 'output', id: 'e1', output: { output_type: 'stream', name: 'stdout', text: 'hi' } },
  clear_output: { type: 'clear_output', id: 'e1', wait: false },
  stream_gap: { type: 'stream_gap', id: 'e1', name: 'stderr', omittedBytes: 10 },
  done: {
    type: 'done',
    id: 'e1',
    status: 'ok',
    durationMs: 5,
    files: [{ path: 'out/a.csv', size: 3, mtime: '2026-01-01T00:00:00Z', change: 'created' }],
    streams: { stdout: { bytes: 5000, savedTo: '.outputs/e1.stdout.txt', savedBytes: 5000, saveTruncated: false } },
    usageBytes: 10,
    limitHits: {},
  },
  lost: { type: 'lost', id: 'e1', exitCode: 137 },
  result: { type: 'result', id: 'c1', ok: true, value: { x: 1 } },
  error: { type: 'error', message: 'no agent' },
  'kernel-state': { type: 'kernel-state', state: 'exited', kernelId: 'ab', pid: 9, exitCode: 1 },
} as const;

describe('the agent protocol: one schema, checked where the host receives it', () => {
  it('docs/kernel-protocol.md lists exactly the message types and fields of the schemas', () => {
    const rows = docTable('agent-messages');
    assert.deepEqual([...rows.keys()].sort(), [...AGENT_MESSAGE_TYPES].sort());
    for (const option of AgentMessageSchema.options) {
      const type = option.shape.type.value;
      const fields = Object.keys(option.shape).filter((k) => k !== 'type').sort();
      assert.deepEqual([...(rows.get(type) ?? [])].sort(), fields, `the fields of ${type}`);
    }
  });

  it('accepts each well-formed message type', () => {
    for (const [type, msg] of Object.entries(valid)) {
      const r = parseAgentMessage(JSON.stringify(msg));
      assert.ok(r.ok, `${type}: ${r.ok ? '' : r.error}`);
      assert.equal(r.ok && r.message.type, type);
    }
    assert.deepEqual(Object.keys(valid).sort(), [...AGENT_MESSAGE_TYPES].sort(), 'every type is tried');
  });

  it('rejects each message type when malformed', () => {
    const bad: Array<[string, unknown]> = [
      ['garbage', 'not json'],
      ['no type', { id: 'e1' }],
      ['unknown type', { type: 'exec-anything', id: 'e1' }],
      ['hello without a pid', { type: 'hello', kernel: { state: 'ready' } }],
      ['hello with a bad kernel state', { type: 'hello', agentPid: 1, kernel: { state: 'owned' } }],
      ['kernel-state with a negative pid', { type: 'kernel-state', state: 'ready', pid: -4 }],
      ['result without ok', { type: 'result', id: 'c1' }],
      ['error without message', { type: 'error' }],
      ['started with a string pid', { type: 'started', id: 'e1', pid: '7' }],
      ['output of an unknown output_type', { type: 'output', id: 'e1', output: { output_type: 'shell', text: 'x' } }],
      ['output of a stream named stdin', { type: 'output', id: 'e1', output: { output_type: 'stream', name: 'stdin', text: 'x' } }],
      ['error output without a traceback list', { type: 'output', id: 'e1', output: { output_type: 'error', ename: 'E', evalue: 'v', traceback: 'x' } }],
      ['clear_output without wait', { type: 'clear_output', id: 'e1' }],
      ['stream_gap with negative bytes', { type: 'stream_gap', id: 'e1', name: 'stdout', omittedBytes: -1 }],
      ['done with a status it may not have', { ...valid.done, status: 'hacked' }],
      ['done with a file outside /mnt/data', { ...valid.done, files: [{ ...valid.done.files[0], path: '../../etc/FORGED.txt' }] }],
      ['done with an absolute file', { ...valid.done, files: [{ ...valid.done.files[0], path: '/etc/passwd' }] }],
      ['done with a dot segment', { ...valid.done, files: [{ ...valid.done.files[0], path: 'a/./b' }] }],
      ['done with a fractional size', { ...valid.done, files: [{ ...valid.done.files[0], size: 1.5 }] }],
      ['done with a saved stream outside', { ...valid.done, streams: { stdout: { ...valid.done.streams.stdout, savedTo: '../x' } } }],
      ['done without an id', { ...valid.done, id: undefined }],
      ['lost with a string exit code', { type: 'lost', id: 'e1', exitCode: 'x' }],
    ];
    for (const [what, msg] of bad) {
      const r = parseAgentMessage(typeof msg === 'string' ? msg : JSON.stringify(msg));
      assert.equal(r.ok, false, `${what} must be refused`);
    }
  });

  it('drops fields the protocol does not have', () => {
    const r = parseAgentMessage(JSON.stringify({ ...valid.started, injected: '<script>' }));
    assert.ok(r.ok);
    assert.equal('injected' in (r.ok ? r.message : {}), false);
  });

  it('session paths: relative, no empty, . or .. part, no NUL', () => {
    for (const p of ['a.csv', 'd/1', '.outputs/e1.stdout.txt', 'a b/ü.txt', '..hidden']) assert.ok(isSessionRelative(p), p);
    for (const p of ['', '/a', 'a/../b', '..', 'a//b', './a', 'a\0b', 'x'.repeat(5000)]) assert.equal(isSessionRelative(p), false, JSON.stringify(p.slice(0, 20)));
  });
});
