import { EventEmitter } from 'node:events';
import { v4 as uuid } from 'uuid';
import { InfrastructureError, InputError } from '../errors';
import { AgentChannel } from '../kernel/channel';
import { KernelClient, runShellOnChannel } from '../kernel/client';
import { CgroupCounters, DoneMessage } from '../kernel/protocol';
import { ChannelRunResult } from '../kernel/run';
import { Logger, silentLogger } from '../log';
import { coalesceStreams, ExecutionKind, ExecutionRecord } from '../notebook/nbformat';
import { LIMITS } from '../policy/limits';
import { SessionFiles } from './files';
import { SessionNames } from './naming';
import { LOST_VARIABLES, Provisioner, SessionState } from './provisioner';
import { QuotaGuard } from './quota';
import { ThreadRecords } from './records';
import { LossReports } from './reports';
import { ResourceMonitor, SessionResources } from './resources';

export type { SessionState } from './provisioner';
import type { ExecutionResult, ExecutionStart, RunOptions, SessionDeps, SessionEvents } from './types';
export type { ExecutionResult, ExecutionStart, RunOptions, SessionDeps, SessionEvents } from './types';

/** Why this process let go of a session's channel. */
type DropReason = 'deleted' | 'stopped' | 'detached';

/** A call's session was deleted, stopped or let go of by this process while the call was under way. */
class SessionDroppedError extends InfrastructureError {}

/**
 * One chat thread's sandbox: a container, its /mnt/data volume, and one channel to its session
 * agent, which owns the Python kernel (so variables outlive this process). Calls are queued one at
 * a time. Disposing a Session deletes it (tests, throwaway threads); stop/detach keep it.
 */
export class Session extends EventEmitter<SessionEvents> implements AsyncDisposable {
  readonly files: SessionFiles;
  private readonly records: ThreadRecords;
  lastUsed = Date.now();
  private readonly container: Provisioner;
  private readonly quota: QuotaGuard;
  private readonly reports: LossReports;
  private readonly monitor: ResourceMonitor;
  private channel?: AgentChannel;
  /**
   * How many times this process let go of the channel (delete, stop, detach), and why it last did: a
   * call notes the count when it starts, and one that finds it changed says why it cannot go on.
   */
  private drops = 0;
  private lastDrop?: DropReason;
  private attaching?: Promise<AgentChannel>;
  private kernel?: KernelClient;
  /** The kernel whose variables this thread's caller has seen (a different one means they are gone). */
  private knownKernel?: string;
  private queue: Promise<unknown> = Promise.resolve();
  private running?: AbortController;
  private busyCount = 0;
  private readonly log: Logger;

  constructor(
    readonly names: SessionNames,
    private readonly deps: SessionDeps,
  ) {
    super();
    this.log = deps.log ?? silentLogger;
    this.container = new Provisioner(names, { ...deps, log: this.log });
    this.quota = new QuotaGuard(deps.config.diskQuotaMb * 1024 * 1024, () => this.files.usage(), this.log);
    this.reports = new LossReports(deps.docker, names.container, deps.config);
    this.files = new SessionFiles({
      docker: deps.docker,
      call: (argv) => this.call(argv),
      container: () => this.ensureContainer(),
      quota: this.quota,
      touch: () => this.touch(),
    });
    this.records = new ThreadRecords(names, deps.history, this.log);
    // Asking the agent for /mnt/data's size is no use of the session: no touch, no start, no attach.
    const channelOpen = () => (this.channel?.open ? this.channel : undefined);
    this.monitor = new ResourceMonitor({
      docker: deps.docker,
      container: names.container,
      diskQuotaBytes: deps.config.diskQuotaMb * 1024 * 1024,
      diskUsage: () => channelOpen()?.request<{ bytes: number }>({ type: 'call', argv: ['usage'] }),
    });
  }

  /** The thread's executions, oldest first (the last LIMITS.historyPerSession): read from the history file when not in memory. */
  async readHistory(): Promise<ExecutionRecord[]> {
    return [...(await this.records.all())];
  }

  get threadKey(): string {
    return this.names.threadKey;
  }

  get id(): string | undefined {
    return this.container.id;
  }

  get state(): SessionState {
    return this.container.state;
  }

  /** The image this session's container was started from (once it was). */
  get image(): string | undefined {
    return this.container.image;
  }

  get busy(): boolean {
    return this.busyCount > 0;
  }

  private touch(): void {
    this.lastUsed = Date.now();
    this.deps.onActivity?.(this);
  }

  /** Run fn after every earlier queued call has finished: calls never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.busyCount++;
      this.emit('busy', true);
      try {
        return await fn();
      } finally {
        this.busyCount--;
        this.touch();
        this.emit('busy', false);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The running container's id, creating and starting it as needed. */
  ensureContainer(): Promise<string> {
    // An open channel means a live container: skip the round trip to Docker on the hot path.
    if (this.channel?.open && this.container.current) return Promise.resolve(this.container.containerId!);
    return this.container.ensure();
  }

  /** The channel to the container's session agent, attaching (and starting the agent) as needed. */
  private async ensureChannel(): Promise<AgentChannel> {
    const containerId = await this.ensureContainer();
    if (this.channel?.open && this.channelOf === containerId) return this.channel;
    this.attaching ??= this.attach(containerId).finally(() => (this.attaching = undefined));
    return this.attaching;
  }

  private channelOf?: string;

  private async attach(containerId: string): Promise<AgentChannel> {
    this.channel?.close();
    const adopted = this.container.adopted;
    this.container.adopted = undefined;
    const channel = adopted?.open ? adopted : await AgentChannel.attach(this.deps.docker, containerId, this.log);
    channel.on('kernel-state', () => this.emit('kernel'));
    channel.on('close', () => this.emit('kernel'));
    this.channel = channel;
    this.channelOf = containerId;
    this.kernel = new KernelClient(channel, this.log);
    // A kernel already running in the container (another host, an earlier CLI call) keeps its variables.
    if (channel.kernel.state === 'ready') this.knownKernel ??= channel.kernel.kernelId ?? undefined;
    this.emit('kernel');
    return channel;
  }

  /** A one-shot helper call over the channel. */
  private call<T>(argv: string[]): Promise<T> {
    return this.overChannel(argv[0], (channel) => channel.request<T>({ type: 'call', argv }));
  }

  /**
   * Use the channel (attached as needed); when it breaks under the call, say what stopped: Docker,
   * the container or its agent. A refusal from the sandbox passes through as it is.
   */
  private async overChannel<T>(what: string, use: (channel: AgentChannel) => Promise<T>): Promise<T> {
    const held = this.drops;
    let channel: AgentChannel | undefined;
    try {
      channel = await this.ensureChannel();
    } catch (err) {
      if (err instanceof InputError) throw err;
      const dropped = this.droppedError(held, what, false, err);
      if (dropped) throw dropped;
      const lost = await this.reports.callLost(what, err);
      // Not attached while the container runs: the attach itself failed, and its error says why.
      throw lost.running ? err : lost.error;
    }
    this.touch();
    return this.onChannel(what, channel, held, () => use(channel));
  }

  /**
   * Use a channel this call already holds (never attaching again: a session deleted under the call
   * must not come back); when it breaks, say why — this process let go of it (deleted, stopped,
   * detached), or Docker, the container or its agent stopped.
   */
  private async onChannel<T>(what: string, channel: AgentChannel, held: number, use: () => Promise<T>): Promise<T> {
    try {
      this.checkHeld(held, what, false);
      return await use();
    } catch (err) {
      if (err instanceof SessionDroppedError) throw err;
      const dropped = this.droppedError(held, what, true, err);
      if (dropped) throw dropped;
      if (channel.open || err instanceof InputError) throw err;
      throw (await this.reports.callLost(what, err)).error;
    }
  }

  /** Throw when this process let go of the session (deleted, stopped, detached) since a call noted `held`. */
  private checkHeld(held: number, what: string, started: boolean): void {
    const dropped = this.droppedError(held, what, started);
    if (dropped) throw dropped;
  }

  private droppedError(held: number, what: string, started: boolean, cause?: unknown): SessionDroppedError | undefined {
    const reason = this.drops !== held ? this.lastDrop : undefined;
    if (!reason) return undefined;
    const ran = started ? `the ${what} was stopped` : `the ${what} did not run`;
    switch (reason) {
      case 'deleted':
        return new SessionDroppedError(`The session was deleted during the call: ${ran}, and its files in /mnt/data are gone.`, 'Run it again: a new session starts, with an empty /mnt/data.', { cause });
      case 'stopped':
        return new SessionDroppedError(`The session was stopped during the call: ${ran}; files in /mnt/data are kept.`, 'Run it again: the next call starts the session again.', { cause });
      case 'detached':
        return new SessionDroppedError(`This process let go of the session during the call (it is closing): ${ran}; the sandbox and its files are kept.`, 'Run it again.', { cause });
    }
  }

  /** Bytes in /mnt/data (all files, saved outputs included). */
  usage(): Promise<{ bytes: number; files: number }> {
    return this.files.usage();
  }

  /**
   * Memory, CPU, processes and /mnt/data next to their limits, as the engine reports them now. Starts
   * nothing and is no use of the session (the idle clock keeps running); never throws.
   */
  resources(): Promise<SessionResources> {
    return this.monitor.read();
  }

  /** Interrupt whatever runs now (Python or shell). */
  interrupt(): void {
    this.running?.abort();
  }

  private linkSignal(signal?: AbortSignal): AbortController {
    const controller = new AbortController();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.running = controller;
    return controller;
  }

  /** The part every call shares: the queue, the start event, live outputs, the quota watch, the record. */
  private runCall(kind: ExecutionKind, code: string, opts: RunOptions, run: (channel: AgentChannel, id: string, held: number, o: RunOptions) => Promise<ChannelRunResult>, explain: (r: ChannelRunResult, notes: string[]) => Promise<void>): Promise<ExecutionResult> {
    return this.exclusive(async () => {
      const held = this.drops;
      const channel = await this.overChannel(kind === 'shell' ? 'command' : 'execution', async (c) => c);
      const notes = this.container.takeNotes();
      const id = uuid();
      const started = new Date().toISOString();
      opts.onStart?.(id);
      this.emit('execution-start', { id, kind, code, started });
      const controller = this.linkSignal(opts.signal);
      const stopWatching = this.quota.watch(
        () => controller.abort(),
        () => void this.closeIfStopped(channel),
      );
      const what = kind === 'shell' ? 'command' : 'execution';
      let r: ChannelRunResult;
      let stoppedByQuota: boolean;
      try {
        this.checkHeld(held, what, false);
        r = await run(channel, id, held, {
          timeoutMs: opts.timeoutMs,
          signal: controller.signal,
          onOutput: (o) => {
            opts.onOutput?.(o);
            this.emit('output', id, o);
          },
        });
      } catch (err) {
        throw err instanceof SessionDroppedError ? err : (this.droppedError(held, what, true, err) ?? err);
      } finally {
        this.running = undefined;
        stoppedByQuota = stopWatching();
      }
      // Deleted (or let go of) under the call: its result means nothing, and no record is kept of it.
      this.checkHeld(held, what, true);
      await explain(r, notes);
      return this.conclude({ id, kind, code, started, r, notes, stoppedByQuota });
    });
  }

  /** Under gVisor an exec's stream may stay open when its container dies: drop the channel then. */
  private async closeIfStopped(channel: AgentChannel): Promise<void> {
    const info = await this.deps.docker.inspectContainer(this.names.container).catch(() => undefined);
    if (!info?.State?.Running) {
      this.log.warn(`session ${this.names.container}: the container stopped during the call; ending it`);
      channel.close();
    }
  }

  /** Run Python in the session's kernel (started, or found running, in the container). */
  runPython(code: string, opts: RunOptions, kind: ExecutionKind = 'python'): Promise<ExecutionResult> {
    let atStart: CgroupCounters | undefined;
    return this.runCall(
      kind,
      code,
      opts,
      async (channel, id, held, o) => {
        const kernel = this.kernelOn(channel, held, 'execution');
        const state = await this.onChannel('execution', channel, held, () => kernel.start());
        atStart = state.cgroup;
        const r = await kernel.execute(id, code, { ...o, graceMs: LIMITS.interruptGraceMs });
        return r;
      },
      async (r, notes) => {
        const ran = r.started?.kernelId;
        if (ran && this.knownKernel && ran !== this.knownKernel && !notes.some((n) => n.endsWith(LOST_VARIABLES))) {
          notes.push(`The Python kernel was restarted; ${LOST_VARIABLES}`);
        }
        if (ran) this.knownKernel = ran;
        const said = await this.reports.pythonEnd(r, atStart);
        if (said) notes.push(said.kernelLost ? `${said.text} ${LOST_VARIABLES}` : said.text);
        if (said?.kernelLost) this.knownKernel = undefined;
      },
    );
  }

  /** Run a shell command in /mnt/data; its whole process tree is killed when it ends or times out. */
  runShell(command: string, opts: RunOptions): Promise<ExecutionResult> {
    return this.runCall(
      'shell',
      command,
      opts,
      (channel, id, _held, o) => runShellOnChannel(channel, this.deps.docker, channel.containerId, id, command, o),
      async (r, notes) => {
        const said = await this.reports.shellEnd(r);
        if (said) notes.push(said);
      },
    );
  }

  /** The end of every execution: limit notes, the quota check, the record kept in history. */
  private async conclude(e: ExecutionStart & { r: ChannelRunResult; notes: string[]; stoppedByQuota: boolean }): Promise<ExecutionResult> {
    const done: DoneMessage | undefined = e.r.done;
    this.monitor.noteDisk(done?.usageBytes);
    const notes = [...e.notes, ...this.reports.limitNotes(done?.limitHits)];
    let status = e.r.status;
    const quota = done ? await this.quota.problem(done.usageBytes, e.stoppedByQuota) : undefined;
    if (quota) {
      notes.push(quota);
      status = 'error';
    }
    const record: ExecutionRecord = {
      id: e.id,
      session: this.id ?? '',
      kind: e.kind,
      code: e.code,
      started: e.started,
      durationMs: e.r.durationMs,
      status,
      outputs: coalesceStreams(e.r.outputs),
      files: done?.files ?? [],
    };
    void this.records.add(record); // written in the background (a failure is logged); the manager's dispose waits for it
    this.emit('execution-end', record);
    return { record, notes, streams: done?.streams ?? {}, gaps: e.r.gaps, exitCode: done?.exitCode };
  }

  /** Restart the Python kernel (variables are lost, files kept). */
  restartKernel(): Promise<void> {
    return this.exclusive(async () => {
      const held = this.drops;
      const channel = await this.overChannel('kernel restart', async (c) => c);
      const kernel = this.kernelOn(channel, held, 'kernel restart');
      const state = await this.onChannel('kernel restart', channel, held, () => kernel.restart());
      this.knownKernel = state.kernelId ?? undefined;
    });
  }

  /** The kernel client of the channel a call holds; an error saying why when this process let go of it. */
  private kernelOn(channel: AgentChannel, held: number, what: string): KernelClient {
    this.checkHeld(held, what, false);
    if (this.channel !== channel || !this.kernel) throw new InfrastructureError(`The connection to the sandbox was replaced during the call: the ${what} did not run.`, 'Run it again.');
    return this.kernel;
  }

  /** Stop the container (volume kept); the next use starts it again. */
  async stop(): Promise<void> {
    this.interrupt();
    await this.exclusive(async () => {
      this.dropChannel('stopped');
      await this.container.stop();
    });
  }

  /** Remove the container and the volume: the session's files are gone. */
  async delete(): Promise<void> {
    this.interrupt();
    this.dropChannel('deleted');
    await this.container.remove();
    await this.records.clear();
    this.emit('deleted');
  }

  /** Close this process's connection; the container, its kernel and its variables stay. */
  async detach(): Promise<void> {
    this.dropChannel('detached');
  }

  private dropChannel(reason: DropReason): void {
    this.drops++;
    this.lastDrop = reason;
    this.channel?.close();
    this.channel = undefined;
    this.kernel = undefined;
    this.knownKernel = undefined;
  }

  /** The container as Docker reports it (for tests and diagnostics). */
  async inspect() {
    const c = await this.deps.docker.inspectContainer(this.names.container);
    if (!c) throw new InfrastructureError(`The session container ${this.names.container} does not exist.`);
    return c;
  }

  get kernelPid(): number | undefined {
    return this.kernel?.ready ? (this.kernel.state.pid ?? undefined) : undefined;
  }

  get kernelInfo(): { seccomp?: boolean; warmMs?: number } | undefined {
    const s = this.kernel?.state;
    return s && s.state !== 'none' ? { seccomp: s.seccomp ?? undefined, warmMs: s.warmMs ?? undefined } : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete();
  }
}
