/**
 * Progress notifications for one tool call: stream text and image-build lines are batched and
 * sent as `notifications/progress` with an increasing `progress` count, at most every `intervalMs`.
 * `close()` flushes what is left; nothing is sent after it (a progress notification after the
 * response would name a token the client has already forgotten).
 */
import { LIMITS, TIMINGS } from '../core';

export interface ProgressNotice {
  progressToken: string | number;
  progress: number;
  message: string;
}

/** Characters of text one progress message carries (the tail is kept). */
export const MAX_PROGRESS_MESSAGE = LIMITS.maxProgressChars;

export class ProgressReporter {
  private buffer = '';
  private count = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly token: string | number,
    private readonly send: (notice: ProgressNotice) => Promise<void>,
    private readonly intervalMs: number = TIMINGS.progressIntervalMs,
  ) {}

  /** Queue text; it goes out with the next flush. */
  push(text: string): void {
    if (this.closed || text === '') return;
    this.buffer += text;
    if (this.buffer.length > MAX_PROGRESS_MESSAGE * 4) this.buffer = this.buffer.slice(-MAX_PROGRESS_MESSAGE * 2);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.intervalMs);
  }

  /** Send the queued text now (as one notification). */
  flush(): void {
    if (this.closed || this.buffer === '') return;
    let message = this.buffer;
    this.buffer = '';
    if (message.length > MAX_PROGRESS_MESSAGE) message = '…' + message.slice(-(MAX_PROGRESS_MESSAGE - 1));
    const notice: ProgressNotice = { progressToken: this.token, progress: ++this.count, message };
    this.sending = this.sending.then(() => this.send(notice)).catch(() => undefined);
  }

  /** Flush, stop, and wait until every notification was handed to the transport. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    this.closed = true;
    await this.sending;
  }

  get sent(): number {
    return this.count;
  }
}
