import { EventEmitter } from 'node:events';
import { InfrastructureError, InputError } from '../errors';
import { Logger, silentLogger } from '../log';
import { OUTPUT_CUTS, OutputCuts, TIMINGS } from '../policy/limits';
import { DockerClient, ExecHandle } from '../sandbox/docker';
import { sandboxEnv } from '../sandbox/helper';
import { parseAgentMessage } from './messages';
import { AgentMessage, KernelState, LineDecoder } from './protocol';

/** Our interpreters ignore PYTHON* variables and the user site directory (both writable by user code). */
export const ATTACH_COMMAND = ['python3', '-E', '-s', '-S', '-B', '/opt/sandbox/attach.py'];

/** A request whose answer is one `result` message. */
export type AgentRequest = { type: 'call'; argv: string[] } | { type: 'kernel'; action: 'start' | 'restart' | 'kill' | 'status' };

/** A request answered by a stream of messages ending in `done` (or `lost`). */
export type AgentStreamRequest = { type: 'shell'; command: string; timeoutSeconds: number } | { type: 'execute'; code: string };

interface ChannelEvents {
  close: [];
  'kernel-state': [KernelState];
}

/**
 * One attached stream to the container's session agent (docs/kernel-protocol.md, "The session
 * agent"): helper calls, shell commands and Python executions are multiplexed on it by id. It is
 * opened once per session and host process; the agent, and the kernel it owns, outlive it.
 */
export class AgentChannel extends EventEmitter<ChannelEvents> {
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; what: string }>();
  private readonly streams = new Map<string, (msg: AgentMessage) => void>();
  private closedFlag = false;
  private next = 0;
  private readonly stderrTail: string[] = [];
  /** The kernel as the agent last described it. */
  kernel: KernelState = { state: 'none' };
  /** The agent's pid in the container (its hello). */
  private agentPid?: number;
  /** Set when the host ended the agent because it stopped answering (see check()). */
  closedBecause?: 'unresponsive';
  private monitor?: NodeJS.Timeout;
  private checking = false;

  private constructor(
    /** The container whose agent this reaches. */
    readonly containerId: string,
    private readonly handle: ExecHandle,
    private readonly log: Logger,
    private readonly docker: DockerClient,
  ) {
    super();
    const decoder = new LineDecoder((line) => this.onLine(line));
    handle.stdout.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.log.error(`session agent protocol error: ${(err as Error).message}; closing the channel`);
        this.close();
      }
    });
    handle.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail.push(chunk.toString('utf8'));
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    void handle.exited.then(() => this.onClosed());
  }

  /** Attach to the container's agent (starting it if needed); resolves on its hello. */
  static async attach(docker: DockerClient, containerId: string, log: Logger = silentLogger, cuts: OutputCuts = OUTPUT_CUTS): Promise<AgentChannel> {
    const handle = await docker.exec(containerId, ATTACH_COMMAND, { stdin: true, env: sandboxEnv(cuts) });
    const channel = new AgentChannel(containerId, handle, log, docker);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        channel.close();
        reject(new InfrastructureError(`The sandbox's session agent did not answer within ${TIMINGS.agentAttachMs / 1000} s.`, 'Restart the session; if it happens again, rebuild the sandbox image.'));
      }, TIMINGS.agentAttachMs);
      const onHello = () => {
        clearTimeout(timer);
        channel.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        clearTimeout(timer);
        channel.hello = undefined;
        reject(
          new InfrastructureError(
            `Could not reach the sandbox's session agent: ${channel.failure ?? (channel.stderrTail.join('').trim().slice(-1000) || 'the connection closed')}`,
            'Try again; if it keeps failing, restart the session or rebuild the sandbox image (code-interpreter image build).',
          ),
        );
      };
      channel.hello = onHello;
      channel.once('close', onClose);
    });
    return channel;
  }

  private hello?: () => void;
  private failure?: string;

  get open(): boolean {
    return !this.closedFlag;
  }

  private onLine(line: string): void {
    const parsed = parseAgentMessage(line);
    if (!parsed.ok) {
      this.log.warn(`session agent: dropped a message that does not fit the protocol (${parsed.error}): ${line.slice(0, 200)}`);
      return;
    }
    const msg = parsed.message;
    switch (msg.type) {
      case 'hello':
        this.agentPid = msg.agentPid;
        this.kernel = msg.kernel;
        this.hello?.();
        this.hello = undefined;
        return;
      case 'error':
        this.failure = msg.message;
        return;
      case 'kernel-state': {
        const { type: _type, ...state } = msg;
        this.kernel = state;
        this.emit('kernel-state', state);
        return;
      }
      case 'result': {
        const p = this.pending.get(msg.id);
        const route = this.streams.get(msg.id);
        if (!p && route && !msg.ok) {
          this.streams.delete(msg.id);
          route({ type: 'failed', id: msg.id, error: msg.error ?? 'the sandbox could not run it' });
        }
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new InputError(msg.error ?? `${p.what} failed`));
        return;
      }
      default: {
        const route = 'id' in msg ? this.streams.get(msg.id) : undefined;
        if (!route) return;
        if (msg.type === 'done' || msg.type === 'lost') this.streams.delete(msg.id);
        route(msg);
      }
    }
  }

  private send(message: object): boolean {
    if (this.closedFlag || !this.handle.stdin) return false;
    this.handle.stdin.write(JSON.stringify(message) + '\n');
    return true;
  }

  private newId(prefix: string): string {
    return `${prefix}${++this.next}`;
  }

  private gone(what: string): InfrastructureError {
    if (this.closedBecause === 'unresponsive') {
      return new InfrastructureError(
        `The sandbox's session agent stopped answering during the call (${what}), so it was ended, and the Python kernel with it (variables are gone; files in /mnt/data are kept).`,
        'Try again; the next call starts them afresh. Code that stops or kills the sandbox\'s own processes (kill -STOP, kill -9) causes this.',
      );
    }
    return new InfrastructureError(`The connection to the sandbox was lost during the call (${what}): the container stopped, or Docker went away.`, 'Try again; the next call starts the session afresh.');
  }

  /** True when the agent answers a ping within `ms` (an answer refusing it counts: it is alive). */
  async ping(ms: number = TIMINGS.agentPingTimeoutMs): Promise<boolean> {
    if (this.closedFlag) return false;
    const id = this.newId('p');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const answered = this.ask(id, { type: 'ping' }, 'ping').then(
      () => true,
      (err: Error) => !(err instanceof InfrastructureError),
    );
    try {
      return await Promise.race([answered, late]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /** While anything waits on the agent, check now and then that it still answers. */
  private watch(): void {
    if (this.monitor || this.closedFlag) return;
    this.monitor = setInterval(() => void this.check(), TIMINGS.agentPingIntervalMs);
    this.monitor.unref();
  }

  private busy(): boolean {
    return this.streams.size > 0 || [...this.pending.keys()].some((id) => !id.startsWith('p'));
  }

  /**
   * The agent and the relay run as the same user as the code (a shell command can stop or kill
   * them): a call must still end. An agent that does not answer a ping gets the sandbox's processes
   * continued (SIGCONT, from outside, by the engine); one that still does not answer is killed with
   * its kernel, which ends every call waiting on it with a result that says so.
   */
  private async check(): Promise<void> {
    if (this.checking) return;
    if (!this.busy() || this.closedFlag) {
      clearInterval(this.monitor);
      this.monitor = undefined;
      return;
    }
    this.checking = true;
    try {
      if (await this.ping()) return;
      this.log.warn(`the session agent in ${this.containerId.slice(0, 12)} did not answer within ${TIMINGS.agentPingTimeoutMs / 1000} s; continuing the sandbox's processes`);
      await this.docker.execOnce(this.containerId, ['kill', '-CONT', '--', '-1']).catch(() => undefined);
      if (this.closedFlag || (await this.ping())) return;
      this.log.error(`the session agent in ${this.containerId.slice(0, 12)} still does not answer; ending it and its kernel`);
      this.closedBecause = 'unresponsive';
      const pids = [this.agentPid, this.kernel.pid ?? undefined].filter((p): p is number => typeof p === 'number' && p > 1).map(String);
      if (pids.length) await this.docker.execOnce(this.containerId, ['kill', '-KILL', '--', ...pids]).catch(() => undefined);
      this.close();
    } finally {
      this.checking = false;
    }
  }

  /** A one-answer request: the value, an InputError (refusal) or an InfrastructureError (channel lost). */
  request<T>(req: AgentRequest): Promise<T> {
    const what = req.type === 'call' ? req.argv[0] : `kernel ${req.action}`;
    return this.ask<T>(this.newId(req.type === 'call' ? 'c' : 'k'), req, what);
  }

  private ask<T>(id: string, message: object, what: string): Promise<T> {
    if (this.closedFlag) return Promise.reject(this.gone(what));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, what });
      this.send({ ...message, id });
      if (!id.startsWith('p')) this.watch();
    });
  }

  /** Start a shell command or an execution; every message about it goes to onMessage until done/lost/closed. */
  start(id: string, req: AgentStreamRequest, onMessage: (msg: AgentMessage) => void): void {
    if (this.closedFlag) {
      onMessage({ type: 'closed', id });
      return;
    }
    this.streams.set(id, onMessage);
    this.send({ ...req, id });
    this.watch();
  }

  /** Interrupt an execution (queued: it never starts) or cancel a shell command. */
  stop(id: string, kind: 'interrupt' | 'cancel'): void {
    this.send({ type: kind, id });
  }

  /** Drop the connection: the agent, its kernel and the variables stay in the container. */
  close(): void {
    if (this.closedFlag) return;
    this.handle.stdin?.end();
    this.handle.close();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.monitor);
    this.monitor = undefined;
    for (const [id, p] of this.pending) p.reject(this.gone(p.what || id));
    this.pending.clear();
    for (const [id, route] of this.streams) route({ type: 'closed', id });
    this.streams.clear();
    this.emit('close');
  }
}
