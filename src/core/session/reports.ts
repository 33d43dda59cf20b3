import { InfrastructureError } from '../errors';
import { CgroupCounters } from '../kernel/protocol';
import { ChannelRunResult } from '../kernel/run';
import { LIMITS } from '../policy/limits';
import { DockerClient } from '../sandbox/docker';
import { runHelper } from '../sandbox/helper';
import { SandboxConfig } from '../sandbox/spec';

export type CallKind = 'execution' | 'command';

const containerGone = (what: CallKind) =>
  `The sandbox container stopped during the ${what} (it was killed or removed, or Docker restarted); the next call starts it again.`;

/** The exit code of a gVisor sandbox whose own kernel (the Sentry, a Go program) died: a Go fatal error. */
const GVISOR_KERNEL_FAILED = 2;

/**
 * gVisor's kernel (a Go program) stops the whole sandbox when the host refuses it a thread or
 * memory: the engine's limits hold the whole sandbox, and the session's own limits are held inside
 * with headroom below them (hostLimits), so this is what is left when that headroom was not enough.
 */
const gvisorStopped = (what: CallKind) =>
  `The sandbox stopped during the ${what}: gVisor's kernel exited (code ${GVISOR_KERNEL_FAILED}), as it does when the host refuses it a thread or memory — the engine's limits hold the whole sandbox, gVisor included. ` +
  'Files in /mnt/data are kept; the next call starts a new sandbox. ' +
  'If it happens again, start fewer processes or threads at a time (e.g. xargs -P 4), or choose the runc runtime.';

/** The host ended a session agent that stopped answering (AgentChannel's check). */
const AGENT_UNRESPONSIVE =
  "The sandbox's session agent stopped answering (the code stopped or killed the sandbox's own processes), so it was ended, and the Python kernel with it: variables are gone, files in /mnt/data are kept. The next call starts them again.";

const SMALLER_PIECES = 'Work with smaller pieces of data (e.g. read CSVs in chunks, select columns) or raise the memory setting.';

/**
 * What to tell the caller when a call hit a limit or the sandbox went away under it: read from
 * the engine and the container's counters, never guessed from the host's side alone.
 */
export class LossReports {
  constructor(
    private readonly docker: DockerClient,
    private readonly container: string,
    private readonly config: SandboxConfig,
  ) {}

  limitNotes(hits: CgroupCounters | undefined): string[] {
    const notes: string[] = [];
    if (hits?.pidsMaxHits) notes.push(`The process limit (${this.config.pidsLimit} processes per session) was reached: starting more processes failed.`);
    if (hits?.oomKills) notes.push(`A process was killed: out of memory (limit ${this.config.memoryMb} MB).`);
    return notes;
  }

  /**
   * After a call was cut short: the container's limit counters if it still runs, undefined if it
   * stopped or went away. Throws Docker's own error (with the fix) when Docker is unreachable.
   */
  async aliveCounters(): Promise<CgroupCounters | undefined> {
    await this.docker.ping();
    const c = await this.docker.inspectContainer(this.container).catch(() => undefined);
    if (!c?.State?.Running) return undefined;
    // Docker may still call a container that is being killed "running"; a failing exec tells.
    try {
      return await runHelper<CgroupCounters>(this.docker, c.Id, ['cgroup']);
    } catch {
      return undefined;
    }
  }

  /**
   * The channel to the container's agent broke during a call (`what`), or could not be opened:
   * Docker's own error when the engine is unreachable, else whether the container is still running
   * and the error that says which of the two stopped.
   */
  async callLost(what: string, cause?: unknown): Promise<{ running: boolean; error: Error }> {
    await this.docker.ping();
    const c = await this.docker.inspectContainer(this.container).catch(() => undefined);
    const running = !!c?.State?.Running;
    const where = running ? "The sandbox's session agent stopped" : 'The sandbox container stopped';
    return { running, error: new InfrastructureError(`${where} during the call (${what}).`, 'Try again; the next call starts it again.', { cause }) };
  }

  /**
   * The container stopped during a call: out of memory (under gVisor without the guard the OOM
   * killer may stop the whole sandbox), or killed, removed, or Docker restarted.
   */
  async whyContainerStopped(what: CallKind): Promise<string> {
    let info = await this.docker.inspectContainer(this.container).catch(() => undefined);
    if (info && !info.State?.Running && !info.State?.OOMKilled) {
      // The engine may record the OOM kill a moment after the container stopped.
      await new Promise((r) => setTimeout(r, 500));
      info = await this.docker.inspectContainer(this.container).catch(() => undefined);
    }
    if (info?.State?.OOMKilled) {
      return `The sandbox ran out of memory (limit ${this.config.memoryMb} MB) during the ${what}, and its container was stopped (the whole sandbox, as under gVisor); the next call starts it again. ${SMALLER_PIECES}`;
    }
    if (info?.HostConfig?.Runtime === 'runsc' && info.State?.ExitCode === GVISOR_KERNEL_FAILED) return gvisorStopped(what);
    return containerGone(what);
  }

  /** What to say about a Python run that did not end with the kernel's own `done` (nothing when it did). */
  async pythonEnd(r: ChannelRunResult, atStart: CgroupCounters | undefined): Promise<{ text: string; kernelLost: boolean } | undefined> {
    if (r.ended === 'done' || r.notStarted) return undefined;
    if (r.ended === 'failed') return { text: `The code could not be run: ${r.error}`, kernelLost: false };
    if (r.ended === 'unresponsive') return { text: AGENT_UNRESPONSIVE, kernelLost: true };
    const stopped = r.ended === 'stuck' && (r.status === 'timeout' || r.status === 'interrupted') ? r.status : undefined;
    return { text: await this.kernelLoss({ stopped, channelClosed: r.ended === 'closed' }, atStart), kernelLost: true };
  }

  /** What to say about a shell command that did not end with its `done` (nothing when it did). */
  async shellEnd(r: ChannelRunResult): Promise<string | undefined> {
    if (r.ended === 'done') return undefined;
    if (r.ended === 'failed') return `The shell command could not be run: ${r.error}`;
    if (r.ended === 'unresponsive') return AGENT_UNRESPONSIVE;
    return (await this.aliveCounters()) ? 'The shell command was ended without a result (its process tree was killed).' : this.whyContainerStopped('command');
  }

  /**
   * Why the kernel died, in words: stuck past the interrupt, out of memory, the container or the
   * session agent went away, or a crash. `atStart`: the counters when that kernel started.
   */
  private async kernelLoss(how: { stopped?: 'timeout' | 'interrupted'; channelClosed: boolean }, atStart: CgroupCounters | undefined): Promise<string> {
    if (how.stopped) {
      return `The code did not stop within ${LIMITS.interruptGraceMs / 1000} s of the ${how.stopped === 'timeout' ? 'timeout' : 'interrupt'}, so the Python kernel was killed and will be restarted.`;
    }
    const counters = await this.aliveCounters();
    if (!counters) return this.whyContainerStopped('execution');
    if ((counters.oomKills ?? 0) > (atStart?.oomKills ?? 0)) {
      return `The Python kernel ran out of memory (limit ${this.config.memoryMb} MB) and was killed. ${SMALLER_PIECES}`;
    }
    if (how.channelClosed) return "The sandbox's session agent stopped during the execution (it was killed), and the Python kernel with it.";
    return 'The Python kernel died during the execution (it crashed or was killed).';
  }
}
