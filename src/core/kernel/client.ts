import { EventEmitter } from 'node:events';
import { InfrastructureError } from '../errors';
import { Logger, silentLogger } from '../log';
import { Output } from '../notebook/nbformat';
import { OUTPUT_CUTS, OutputCuts, TIMINGS } from '../policy/limits';
import { DockerClient, ExecHandle } from '../sandbox/docker';
import { sandboxEnv } from '../sandbox/helper';
import { CgroupCounters, CollectedExecution, ContainerMessage, ExecutionCollector, LineDecoder, parseMessage } from './protocol';

export const KERNEL_COMMAND = ['python3', '/opt/sandbox/kernel.py'];

export interface KernelRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (output: Output) => void;
  /** How long an interrupted execution gets to stop before the kernel is killed. */
  graceMs: number;
}

/** How an execution ended, from the host's point of view. */
export interface KernelRunResult extends CollectedExecution {
  status: 'ok' | 'error' | 'timeout' | 'interrupted' | 'killed';
  /** The kernel process is gone (killed after the grace period, crashed, or OOM): variables are lost. */
  kernelLost: boolean;
  durationMs: number;
}

/**
 * The host side of one kernel process: started by `docker exec`, spoken to in JSON lines over its
 * stdin/stdout. One execution at a time (the Session queues them).
 */
export class KernelClient extends EventEmitter {
  private readonly stderrTail: string[] = [];
  private current?: { id: string; collector: ExecutionCollector; finish: () => void };
  private exitedFlag = false;
  readonly exited: Promise<number | null>;
  pid = 0;
  seccomp: boolean | undefined;
  warmMs: number | undefined;
  /** The container's limit counters when this kernel started (to tell an OOM kill from a crash). */
  cgroupAtStart: CgroupCounters = {};

  private constructor(
    private readonly docker: DockerClient,
    private readonly containerId: string,
    private readonly handle: ExecHandle,
    private readonly log: Logger,
  ) {
    super();
    this.exited = handle.exited.then((code) => {
      this.exitedFlag = true;
      this.current?.finish();
      this.emit('exit', code);
      return code;
    });
    const decoder = new LineDecoder((line) => this.onLine(line));
    handle.stdout.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.log.error(`kernel protocol error: ${(err as Error).message}; killing the kernel`);
        void this.kill();
      }
    });
    handle.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.log.debug(`kernel stderr: ${text.trimEnd()}`);
      this.stderrTail.push(text);
      if (this.stderrTail.length > 50) this.stderrTail.shift();
    });
  }

  get alive(): boolean {
    return !this.exitedFlag;
  }

  /** Start a kernel in a running container and wait until it has warmed up; it cuts outputs at `cuts`. */
  static async start(docker: DockerClient, containerId: string, log: Logger = silentLogger, cuts: OutputCuts = OUTPUT_CUTS): Promise<KernelClient> {
    const handle = await docker.exec(containerId, KERNEL_COMMAND, { stdin: true, env: sandboxEnv(cuts) });
    const kernel = new KernelClient(docker, containerId, handle, log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        void kernel.kill();
        reject(new InfrastructureError(`The Python kernel did not start within ${TIMINGS.kernelStartMs / 1000} s.`, 'Restart the session; if it happens again, rebuild the sandbox image.'));
      }, TIMINGS.kernelStartMs);
      kernel.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      kernel.once('exit', (code) => {
        clearTimeout(timer);
        const message = kernel.stderrTail.join('').slice(-2000).trim();
        reject(
          // 137: killed; 126: Docker could not run it (the container was stopping); null: no exit code (Docker went away).
          code === 137 || code === 126 || code === null
            ? new InfrastructureError('The Python kernel was stopped while it started (the container stopped, or ran out of memory).', 'Try again; the next call starts the session afresh.')
            : new InfrastructureError(
                `The Python kernel exited during start-up (exit ${code}): ${message || 'no message'}`,
                'Rebuild the sandbox image (code-interpreter image build) and try again.',
              ),
        );
      });
    });
    log.info(`kernel ready in ${containerId.slice(0, 12)} (pid ${kernel.pid}, warm ${kernel.warmMs} ms, seccomp ${kernel.seccomp})`);
    return kernel;
  }

  private onLine(line: string): void {
    let msg: ContainerMessage;
    try {
      msg = parseMessage(line);
    } catch (err) {
      this.log.warn(`kernel sent a bad line: ${(err as Error).message}`);
      return;
    }
    if (msg.type === 'ready') {
      this.pid = msg.pid;
      this.seccomp = msg.seccomp;
      this.warmMs = msg.warmMs;
      this.cgroupAtStart = msg.cgroup ?? {};
      this.emit('ready');
      return;
    }
    const current = this.current;
    if (!current || !('id' in msg) || msg.id !== current.id) return;
    if (current.collector.accept(msg)) current.finish();
  }

  private send(message: object): void {
    if (!this.alive || !this.handle.stdin) return;
    this.handle.stdin.write(JSON.stringify(message) + '\n');
  }

  /** Run code; never rejects for the code's own failures, only reports them. */
  async execute(id: string, code: string, opts: KernelRunOptions): Promise<KernelRunResult> {
    if (this.current) throw new Error('kernel is busy (executions must be queued)');
    if (!this.alive) {
      return { outputs: [], gaps: {}, status: 'killed', kernelLost: true, durationMs: 0 };
    }
    const started = Date.now();
    const collector = new ExecutionCollector(opts.onOutput);
    let stopReason: 'timeout' | 'interrupted' | undefined;
    let killed = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finished = new Promise<void>((resolve) => {
      this.current = { id, collector, finish: resolve };
    });
    const stop = (reason: 'timeout' | 'interrupted') => {
      if (stopReason) return;
      stopReason = reason;
      this.send({ type: 'interrupt', id });
      graceTimer = setTimeout(() => {
        killed = true;
        this.log.warn(`execution ${id} did not stop within ${opts.graceMs} ms of the interrupt; killing the kernel`);
        void this.kill();
      }, opts.graceMs);
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('interrupted');
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    this.send({ type: 'execute', id, code });
    await finished;
    clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    this.current = undefined;

    const result = collector.result;
    const durationMs = Date.now() - started;
    if (!result.done || killed || !this.alive) {
      // The kernel is gone: killed after the grace period, or it died (crash, OOM, SIGKILL).
      if (this.alive) await this.kill();
      return { ...result, status: stopReason ?? 'killed', kernelLost: true, durationMs };
    }
    let status: KernelRunResult['status'] = result.done.status === 'timeout' ? 'timeout' : result.done.status;
    if (stopReason && status !== 'ok') status = stopReason;
    return { ...result, status, kernelLost: false, durationMs: result.done.durationMs ?? durationMs };
  }

  /** Kill the kernel process (from outside it: a stuck C call may hold the GIL). */
  async kill(): Promise<void> {
    if (!this.alive) return;
    try {
      if (this.pid) await this.docker.execOnce(this.containerId, ['kill', '-KILL', String(this.pid)]);
    } catch (err) {
      this.log.warn(`killing kernel pid ${this.pid} failed: ${(err as Error).message}`);
    }
    this.handle.stdin?.end();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, TIMINGS.kernelKillWaitMs))]);
    if (!this.exitedFlag) this.handle.close();
  }

  /** Give up on a kernel whose container stopped: drop the connection, so the running call ends as lost. */
  abandon(): void {
    if (this.alive) this.handle.close();
  }

  /** Ask the kernel to exit; kill it if it does not. */
  async shutdown(): Promise<void> {
    if (!this.alive) return;
    this.send({ type: 'shutdown' });
    this.handle.stdin?.end();
    const ended = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), TIMINGS.kernelShutdownMs))]);
    if (!ended) await this.kill();
    if (!this.exitedFlag) this.handle.close();
  }
}
