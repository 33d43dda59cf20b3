import { z } from 'zod';
import { LIMITS } from '../policy/limits';
import type { AgentMessage } from './protocol';

/**
 * The schema of every message the session agent sends (docs/kernel-protocol.md), checked where the
 * host receives it (AgentChannel). The agent is our code, but what it passes on started in the
 * kernel, which runs user code: nothing is taken on trust. Paths must be relative to /mnt/data
 * without `..`; counts are whole numbers; unknown fields are dropped; a message that does not fit
 * is dropped and logged.
 */

/** A path as the agent's walk of /mnt/data gives them: relative, no empty, `.` or `..` part, no NUL. */
export function isSessionRelative(path: string): boolean {
  if (!path || path.length > LIMITS.maxPathChars || path.includes('\0') || path.startsWith('/')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

const count = z.number().int().nonnegative();
const id = z.string().min(1).max(200);
const relativePath = z.string().refine(isSessionRelative, 'must be a path relative to /mnt/data, without ..');
const streamName = z.enum(['stdout', 'stderr']);
const bundle = z.record(z.string(), z.unknown());

export const OutputSchema = z.discriminatedUnion('output_type', [
  z.object({ output_type: z.literal('stream'), name: streamName, text: z.string() }),
  z.object({ output_type: z.literal('display_data'), data: bundle, metadata: bundle }),
  z.object({ output_type: z.literal('execute_result'), execution_count: count.nullable(), data: bundle, metadata: bundle }),
  z.object({ output_type: z.literal('error'), ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) }),
]);

const FileChangeSchema = z.object({
  path: relativePath,
  size: count,
  mtime: z.string().max(64),
  change: z.enum(['created', 'modified']),
});

const StreamInfoSchema = z.object({
  bytes: count,
  savedTo: relativePath.nullable(),
  savedBytes: count,
  saveTruncated: z.boolean(),
});

const CgroupCountersSchema = z.object({ oomKills: count.optional(), pidsMaxHits: count.optional() });

export const KernelStateSchema = z.object({
  state: z.enum(['none', 'starting', 'ready', 'exited']),
  kernelId: z.string().max(64).nullable().optional(),
  pid: count.nullable().optional(),
  warmMs: count.nullable().optional(),
  seccomp: z.boolean().nullable().optional(),
  cgroup: CgroupCountersSchema.nullable().optional().transform((v) => v ?? undefined),
  exitCode: z.number().int().nullable().optional(),
  stderrTail: z.string().max(10_000).optional(),
});

export const AgentMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), agentPid: count, kernel: KernelStateSchema }),
  KernelStateSchema.extend({ type: z.literal('kernel-state') }),
  z.object({ type: z.literal('result'), id, ok: z.boolean(), value: z.unknown().optional(), error: z.string().optional() }),
  z.object({ type: z.literal('error'), message: z.string().max(10_000) }),
  z.object({ type: z.literal('started'), id, pid: count.optional(), pgid: count.optional(), kernelId: z.string().max(64).optional() }),
  z.object({ type: z.literal('output'), id, output: OutputSchema, displayId: z.string().max(200).optional(), update: z.boolean().optional() }),
  z.object({ type: z.literal('clear_output'), id, wait: z.boolean() }),
  z.object({ type: z.literal('stream_gap'), id, name: streamName, omittedBytes: count }),
  z.object({
    type: z.literal('done'),
    id,
    status: z.enum(['ok', 'error', 'interrupted', 'timeout']),
    durationMs: count,
    exitCode: z.number().int().optional(),
    files: z.array(FileChangeSchema).optional(),
    streams: z.object({ stdout: StreamInfoSchema.optional(), stderr: StreamInfoSchema.optional() }).optional(),
    usageBytes: count.nullable().optional(),
    limitHits: CgroupCountersSchema.optional(),
    notStarted: z.boolean().optional(),
  }),
  z.object({ type: z.literal('lost'), id, exitCode: z.number().int().nullable().optional() }),
]);

/** The message the line holds, or why it was refused. */
export function parseAgentMessage(line: string): { ok: true; message: AgentMessage } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const parsed = AgentMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: parsed.data as AgentMessage };
}

/** The message types the agent may send: the protocol document lists exactly these (a unit test checks). */
export const AGENT_MESSAGE_TYPES = AgentMessageSchema.options.map((o) => o.shape.type.value);
