import { InfrastructureError } from '../errors';
import { Logger, silentLogger } from '../log';
import { TIMINGS } from '../policy/limits';
import { DockerClient } from '../sandbox/docker';
import { AgentChannel } from './channel';
import { KernelState } from './protocol';
import { ChannelRunOptions, ChannelRunResult, runOnChannel } from './run';

export type KernelRunOptions = Omit<ChannelRunOptions, 'onStuck'>;

/**
 * The container's Python kernel, driven through its session agent: the agent owns the process (it
 * outlives this host), queues executions from every host, and says when one starts.
 */
export class KernelClient {
  constructor(
    readonly channel: AgentChannel,
    private readonly log: Logger = silentLogger,
  ) {}

  /** The kernel as the agent last described it. */
  get state(): KernelState {
    return this.channel.kernel;
  }

  get ready(): boolean {
    return this.channel.open && this.channel.kernel.state === 'ready';
  }

  /** Start the kernel unless it runs; resolves once it is ready (the data stack imported). */
  async start(): Promise<KernelState> {
    if (this.ready) return this.state;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InfrastructureError(`The Python kernel did not start within ${TIMINGS.kernelStartMs / 1000} s.`, 'Restart the session; if it happens again, rebuild the sandbox image.')),
        TIMINGS.kernelStartMs,
      );
    });
    try {
      const state = await Promise.race([this.channel.request<KernelState>({ type: 'kernel', action: 'start' }), late]);
      this.channel.kernel = state;
      // "kernel ready in <short id>": the e2e suite finds the warm-pool containers a run readied by it.
      this.log.info(`kernel ready in ${this.channel.containerId.slice(0, 12)} (pid ${state.pid}, warm ${state.warmMs} ms, seccomp ${state.seccomp})`);
      return state;
    } catch (err) {
      if (!this.channel.open) throw err;
      const tail = this.channel.kernel.stderrTail?.trim().slice(-2000);
      throw new InfrastructureError(
        `The Python kernel could not start: ${(err as Error).message}${tail ? `\n${tail}` : ''}`,
        'Rebuild the sandbox image (code-interpreter image build) and try again.',
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run code; never rejects for the code's own failures, only reports them. A stuck execution costs the kernel. */
  execute(id: string, code: string, opts: KernelRunOptions): Promise<ChannelRunResult> {
    return runOnChannel(this.channel, id, { type: 'execute', code }, {
      ...opts,
      onStuck: async () => {
        this.log.warn(`execution ${id} did not stop within ${opts.graceMs} ms of the interrupt; killing the kernel`);
        await this.kill();
      },
    });
  }

  /** SIGKILL the kernel (a stuck C call may hold the GIL); resolves once it has exited. */
  async kill(): Promise<void> {
    await this.channel.request({ type: 'kernel', action: 'kill' }).catch((err: Error) => this.log.warn(`killing the kernel failed: ${err.message}`));
  }

  /** A fresh kernel: variables are gone, files kept. */
  async restart(): Promise<KernelState> {
    await this.kill();
    return this.start();
  }
}

/**
 * Run a shell command through the agent: it enforces the timeout and kills the command's whole
 * process tree; the host's clock (timeout + slack) is the backstop, killing the group from outside.
 */
export function runShellOnChannel(
  channel: AgentChannel,
  docker: DockerClient,
  containerId: string,
  id: string,
  command: string,
  opts: Omit<KernelRunOptions, 'graceMs'>,
): Promise<ChannelRunResult> {
  let pgid = 0;
  return runOnChannel(channel, id, { type: 'shell', command, timeoutSeconds: opts.timeoutMs / 1000 }, {
    ...opts,
    timeoutMs: opts.timeoutMs + TIMINGS.shellTimeoutSlackMs,
    graceMs: TIMINGS.shellTimeoutSlackMs,
    onStarted: (s) => (pgid = s.pgid ?? 0),
    onStuck: async () => {
      const target = pgid ? [`-${pgid}`] : [];
      await docker.execOnce(containerId, ['kill', '-KILL', '--', ...target]).catch(() => undefined);
      // The command may have stopped the sandbox's own processes (kill -STOP): continue them.
      await docker.execOnce(containerId, ['kill', '-CONT', '--', '-1']).catch(() => undefined);
    },
  });
}
