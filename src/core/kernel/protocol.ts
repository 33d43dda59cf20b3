import { FileChange, Output } from '../notebook/nbformat';

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
  | { type: 'output'; id: string; output: Output }
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

/** Splits a byte stream into newline-terminated JSON messages; bounded line length. */
export class LineDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = 256 * 1024 * 1024,
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

  constructor(private readonly onOutput?: (output: Output) => void) {}

  /** Feed a message; returns true when the execution is done. */
  accept(msg: ContainerMessage): boolean {
    switch (msg.type) {
      case 'output':
        this.result.outputs.push(msg.output);
        this.onOutput?.(msg.output);
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
}
