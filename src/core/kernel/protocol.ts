import { FileChange, Output } from '../notebook/nbformat';
import { LIMITS } from '../policy/limits';

/** Messages the in-container kernel and shell runner send (docs/kernel-protocol.md). */
export interface StreamInfo {
  bytes: number;
  savedTo: string | null;
  savedBytes: number;
  saveTruncated: boolean;
}

/** How often the container hit its memory limit (OOM kills) and its pids limit. */
export interface CgroupCounters {
  oomKills?: number;
  pidsMaxHits?: number;
}

export type ContainerMessage =
  | { type: 'ready'; pid: number; python?: string; warmMs?: number; seccomp?: boolean; cgroup?: CgroupCounters }
  | { type: 'started'; pid: number; pgid: number }
  /** `displayId`: the output belongs to a display handle; `update`: it replaces that handle's outputs. */
  | { type: 'output'; id: string; output: Output; displayId?: string; update?: boolean }
  /** IPython's clear_output(): drop the execution's outputs so far (with `wait`, when the next one comes). */
  | { type: 'clear_output'; id: string; wait: boolean }
  | { type: 'stream_gap'; id: string; name: 'stdout' | 'stderr'; omittedBytes: number }
  | {
      type: 'done';
      id: string;
      status: 'ok' | 'error' | 'interrupted' | 'timeout';
      durationMs: number;
      exitCode?: number;
      files?: FileChange[];
      streams?: Partial<Record<'stdout' | 'stderr', StreamInfo>>;
      /** Bytes in /mnt/data after the call (null when there were too many files to count quickly). */
      usageBytes?: number | null;
      /** Limits hit during the call. */
      limitHits?: CgroupCounters;
    };

export type DoneMessage = Extract<ContainerMessage, { type: 'done' }>;

/** The kernel as the session agent describes it (hello, kernel-state, kernel results). */
export interface KernelState {
  state: 'none' | 'starting' | 'ready' | 'exited';
  /** New for every kernel process the agent starts: a change means the variables are gone. */
  kernelId?: string | null;
  pid?: number | null;
  warmMs?: number | null;
  seccomp?: boolean | null;
  /** The container's limit counters when this kernel started (to tell an OOM kill from a crash). */
  cgroup?: CgroupCounters;
  exitCode?: number | null;
  stderrTail?: string;
}

/** What the session agent sends (docs/kernel-protocol.md, "The session agent"). */
export type AgentMessage =
  | Exclude<ContainerMessage, { type: 'started' } | { type: 'done' }>
  | (DoneMessage & { notStarted?: boolean })
  /** A shell command started (pid/pgid), or an execution taken by the kernel (kernelId/pid). */
  | { type: 'started'; id: string; pid?: number; pgid?: number; kernelId?: string }
  | { type: 'hello'; agentPid: number; kernel: KernelState }
  | ({ type: 'kernel-state' } & KernelState)
  | { type: 'result'; id: string; ok: boolean; value?: unknown; error?: string }
  /** attach.py could not reach the agent. */
  | { type: 'error'; message: string }
  /** The kernel died while running this execution. */
  | { type: 'lost'; id: string; exitCode?: number | null }
  /** Host-side only: the channel closed before the stream ended. */
  | { type: 'closed'; id: string }
  /** Host-side only: the agent refused or could not run the request (a `result` with ok:false for a stream's id). */
  | { type: 'failed'; id: string; error: string };

/** Splits a byte stream into newline-terminated JSON messages; bounded line length. */
export class LineDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes: number = LIMITS.maxProtocolLineBytes,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      const line = this.size ? Buffer.concat([...this.buffered, part]).toString('utf8') : part.toString('utf8');
      this.buffered = [];
      this.size = 0;
      if (line.trim()) this.onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.size += rest.length;
      if (this.size > this.maxLineBytes) throw new Error(`protocol line longer than ${this.maxLineBytes} bytes`);
      this.buffered.push(rest);
    }
  }
}

export function parseMessage(line: string): ContainerMessage {
  const msg = JSON.parse(line) as ContainerMessage;
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') {
    throw new Error(`not a protocol message: ${line.slice(0, 200)}`);
  }
  return msg;
}

/** What one execution produced, gathered from output / stream_gap / done messages. */
export interface CollectedExecution {
  outputs: Output[];
  gaps: Partial<Record<'stdout' | 'stderr', number>>;
  done?: DoneMessage;
}

export class ExecutionCollector {
  readonly result: CollectedExecution = { outputs: [], gaps: {} };
  /** The outputs of each display handle of this execution (update_display replaces them). */
  private readonly displays = new Map<string, Output[]>();
  private clearPending = false;

  constructor(private readonly onOutput?: (output: Output) => void) {}

  /** Feed a message; returns true when the execution is done. */
  accept(msg: ContainerMessage): boolean {
    switch (msg.type) {
      case 'output':
        if (msg.update && msg.displayId !== undefined) {
          // Jupyter replaces the handle's output where it is; one shown by an earlier execution
          // stays as that execution recorded it.
          for (const old of this.displays.get(msg.displayId) ?? []) {
            const at = this.result.outputs.indexOf(old);
            if (at >= 0) this.result.outputs[at] = msg.output;
          }
          this.displays.set(msg.displayId, [msg.output]);
          return false;
        }
        this.applyPendingClear();
        this.result.outputs.push(msg.output);
        if (msg.displayId !== undefined) this.displays.set(msg.displayId, [...(this.displays.get(msg.displayId) ?? []), msg.output]);
        this.onOutput?.(msg.output);
        return false;
      case 'clear_output':
        this.clearPending = true;
        if (!msg.wait) this.applyPendingClear();
        return false;
      case 'stream_gap':
        this.result.gaps[msg.name] = (this.result.gaps[msg.name] ?? 0) + msg.omittedBytes;
        // Mark the gap in the saved record itself, so the panel and notebook show it too.
        {
          const marker: Output = {
            output_type: 'stream',
            name: msg.name,
            text: `\n[... ${msg.omittedBytes.toLocaleString('en-US')} bytes not shown ...]\n`,
          };
          this.applyPendingClear();
          this.result.outputs.push(marker);
          this.onOutput?.(marker);
        }
        return false;
      case 'done':
        this.result.done = msg;
        return true;
      default:
        return false;
    }
  }

  private applyPendingClear(): void {
    if (!this.clearPending) return;
    this.clearPending = false;
    this.result.outputs.length = 0;
  }
}
