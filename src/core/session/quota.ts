import { Logger } from '../log';
import { LIMITS } from '../policy/limits';
import { formatBytes } from '../policy/truncate';

/**
 * The session's disk quota: watched while a call runs (the call is stopped past it) and checked
 * after it; refused up front for an upload that would not fit.
 */
export class QuotaGuard {
  constructor(
    private readonly quotaBytes: number,
    /** Bytes in /mnt/data now (asks the container). */
    private readonly usage: () => Promise<{ bytes: number }>,
    private readonly log: Logger,
  ) {}

  /**
   * While a call runs: stop it (`onExceeded`) when /mnt/data grows past the quota, and tell
   * `onUnreachable` when the container cannot be asked (it may have stopped under the call).
   * Returns a function that stops watching and says whether the quota stopped the call.
   */
  watch(onExceeded: () => void, onUnreachable: () => void): () => boolean {
    let exceeded = false;
    let polling = false;
    let askedWhy = false;
    const timer = setInterval(() => {
      if (polling) {
        // No answer for a whole interval: under gVisor a dead sandbox's exec stream stays open, so
        // the question hangs rather than fails. Let the caller look at the container (once a poll).
        if (!askedWhy) {
          askedWhy = true;
          onUnreachable();
        }
        return;
      }
      polling = true;
      askedWhy = false;
      this.usage()
        .then((u) => {
          if (u.bytes > this.quotaBytes && !exceeded) {
            exceeded = true;
            this.log.warn(`/mnt/data holds ${u.bytes} bytes, over the quota; stopping the call`);
            onExceeded();
          }
        })
        .catch(() => onUnreachable())
        .finally(() => (polling = false));
    }, LIMITS.quotaPollMs);
    return () => {
      clearInterval(timer);
      return exceeded;
    };
  }

  /** What the call must say about the quota after it ended (undefined: within the quota). */
  async problem(usageBytes: number | null | undefined, stoppedByQuota: boolean): Promise<string | undefined> {
    let used = usageBytes ?? undefined;
    if (used === undefined || used > this.quotaBytes || stoppedByQuota) used = (await this.usage().catch(() => undefined))?.bytes ?? used;
    if (used === undefined || (used <= this.quotaBytes && !stoppedByQuota)) return undefined;
    return (
      `Disk quota exceeded: the session's files in /mnt/data use ${formatBytes(used)} of the ${formatBytes(this.quotaBytes)} quota, so the call ${stoppedByQuota ? 'was stopped' : 'failed'}. ` +
      'Files already saved were kept; free space by deleting files you no longer need (e.g. runShellCommand `rm -r big_folder` or `du -sh * | sort -h` to find them), then try again.'
    );
  }

  /** An upload of `size` bytes when /mnt/data holds `used`: the refusal, or undefined when it fits. */
  refuseUpload(size: number, used: number): { message: string; fix: string } | undefined {
    if (used + size <= this.quotaBytes) return undefined;
    return {
      message: `Uploading ${formatBytes(size)} would exceed the session's disk quota: /mnt/data already uses ${formatBytes(used)} of ${formatBytes(this.quotaBytes)}.`,
      fix: 'Delete files you no longer need in the session first, or raise the quota setting.',
    };
  }
}
