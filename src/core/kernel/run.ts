import { Output, ExecutionStatus } from '../notebook/nbformat';
import { AgentChannel, AgentStreamRequest } from './channel';
import { AgentMessage, CollectedExecution, ExecutionCollector } from './protocol';

export interface ChannelRunOptions {
  /** Counted from the agent's `started`, not from the request: waiting in the queue or for a warming kernel is not the code's time. */
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (output: Output) => void;
  /** How long a stopped run gets to end before `onStuck`. */
  graceMs: number;
  /** The run did not end within graceMs of the timeout or interrupt (Python: kill the kernel). */
  onStuck: () => Promise<void>;
  /** The agent started it (the shell's pgid, the kernel's id). */
  onStarted?: (started: NonNullable<ChannelRunResult['started']>) => void;
}

/** How a run on the channel ended, with its one status (the only place agent answers become a status). */
export interface ChannelRunResult extends CollectedExecution {
  status: ExecutionStatus;
  /**
   * `done`: the agent reported the end. `lost`: the kernel died during it. `closed`: the channel
   * closed (container stopped, agent killed). `unresponsive`: the agent stopped answering and the
   * host ended it (and its kernel). `stuck`: given up after the grace period. `failed`: the agent
   * could not run it (`error` says why).
   */
  ended: 'done' | 'lost' | 'closed' | 'unresponsive' | 'stuck' | 'failed';
  error?: string;
  durationMs: number;
  /** The agent's `started` (kernelId and pid of the kernel that ran it, or the shell's pid/pgid). */
  started?: { kernelId?: string; pid?: number; pgid?: number };
  /** Interrupted while still queued: it never ran, the kernel was not touched. */
  notStarted: boolean;
}

/**
 * Run one shell command or Python execution over the channel: live outputs, the timeout from its
 * start, the interrupt (Python) or cancel (shell) on timeout or abort, the backstop after the grace.
 */
export async function runOnChannel(channel: AgentChannel, id: string, req: AgentStreamRequest, opts: ChannelRunOptions): Promise<ChannelRunResult> {
  const collector = new ExecutionCollector(opts.onOutput);
  const t0 = Date.now();
  let startedAt: number | undefined;
  let started: ChannelRunResult['started'];
  let stopReason: 'timeout' | 'interrupted' | undefined;
  let stuck = false;
  let error: string | undefined;
  let clock: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let finish!: (ended: ChannelRunResult['ended']) => void;
  const ended = new Promise<ChannelRunResult['ended']>((r) => (finish = r));

  const stop = (reason: 'timeout' | 'interrupted') => {
    if (stopReason) return;
    stopReason = reason;
    channel.stop(id, req.type === 'execute' ? 'interrupt' : 'cancel');
    graceTimer = setTimeout(() => {
      stuck = true;
      void opts.onStuck().finally(() => finish('stuck'));
    }, opts.graceMs);
  };
  const onAbort = () => stop('interrupted');

  channel.start(id, req, (msg: AgentMessage) => {
    switch (msg.type) {
      case 'started':
        startedAt = Date.now();
        started = { kernelId: msg.kernelId, pid: msg.pid, pgid: msg.pgid };
        opts.onStarted?.(started);
        clock = setTimeout(() => stop('timeout'), opts.timeoutMs);
        return;
      case 'lost':
        return finish('lost');
      case 'closed':
        return finish(channel.closedBecause === 'unresponsive' ? 'unresponsive' : 'closed');
      case 'failed':
        error = msg.error;
        return finish('failed');
      default:
        if (collector.accept(msg as Parameters<ExecutionCollector['accept']>[0])) finish('done');
    }
  });
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  let how = await ended;
  clearTimeout(clock);
  clearTimeout(graceTimer);
  opts.signal?.removeEventListener('abort', onAbort);
  if (stuck) how = 'stuck';

  const result = collector.result;
  const done = result.done as (typeof result.done & { notStarted?: boolean }) | undefined;
  const durationMs = done?.durationMs ?? Date.now() - (startedAt ?? t0);
  let status: ExecutionStatus;
  if (how !== 'done' || !done) status = stopReason ?? 'killed';
  else {
    status = done.status;
    // The code ended with an error because it was stopped: say why it was stopped.
    if (stopReason && status !== 'ok') status = stopReason;
  }
  return { ...result, status, ended: how, error, durationMs, started, notStarted: !!done?.notStarted };
}
