/**
 * Sessions' resource use for the views: read from the engine every few seconds, only while a view
 * that shows it is visible and only for sessions that run; nothing is polled otherwise.
 */
import * as vscode from 'vscode';
import type { Logger, SessionResources } from '../core';
import type { SessionsModel } from './sessions';

/** How often figures are read while a view shows them. */
export const RESOURCE_INTERVAL_MS = 5_000;

export class ResourceWatch implements vscode.Disposable {
  private readonly figures = new Map<string, { value: SessionResources; text: string }>();
  /** Per view: the threads it shows now (none: not visible). */
  private readonly interests = new Map<string, () => string[]>();
  private readonly _onDidChange = new vscode.EventEmitter<string>();
  /** A thread's figures changed (or were dropped). */
  readonly onDidChange = this._onDidChange.event;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private disposed = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: SessionsModel,
    private readonly log: Logger,
    private readonly intervalMs = RESOURCE_INTERVAL_MS,
  ) {
    // A session started or stopped: read now rather than at the next tick.
    this.subscription = model.onDidChangeSessions(() => this.changedSessions());
  }

  /** The last figures of a thread (undefined: none read, or it does not run). */
  get(threadKey: string): SessionResources | undefined {
    return this.figures.get(threadKey)?.value;
  }

  /** A view shows these threads' figures while `keys` is set (set it undefined when the view is hidden). */
  setInterest(view: string, keys: (() => string[]) | undefined): void {
    const had = this.interests.has(view);
    if (keys) this.interests.set(view, keys);
    else this.interests.delete(view);
    if (keys && !had) this.tickSoon(0);
    else if (this.interests.size === 0) this.stop();
  }

  private lastRunning = '';

  private changedSessions(): void {
    const running = this.wanted().join('\n');
    if (running === this.lastRunning) return;
    this.lastRunning = running;
    if (this.interests.size) this.tickSoon(0);
  }

  /** Threads some visible view shows, that run now. */
  private wanted(): string[] {
    const shown = new Set([...this.interests.values()].flatMap((k) => k()));
    return this.model
      .list()
      .filter((i) => shown.has(i.threadKey) && i.state === 'running')
      .map((i) => i.threadKey);
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tickSoon(delayMs: number): void {
    if (this.disposed || this.ticking) return;
    this.stop();
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.interests.size === 0 || this.disposed) return;
    this.ticking = true;
    try {
      const keys = this.wanted();
      for (const key of [...this.figures.keys()]) if (!keys.includes(key)) this.drop(key);
      await Promise.all(
        keys.map(async (key) => {
          const value = await this.model.manager.resources(key);
          if (this.disposed) return;
          if (value.state === 'not running') return this.drop(key);
          const text = JSON.stringify(value, (k, v) => (k === 'at' ? undefined : v));
          if (this.figures.get(key)?.text === text) return;
          this.figures.set(key, { value, text });
          this._onDidChange.fire(key);
        }),
      );
    } catch (err) {
      this.log.debug(`resource figures: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
    if (this.interests.size) this.tickSoon(this.intervalMs);
  }

  private drop(key: string): void {
    if (this.figures.delete(key)) this._onDidChange.fire(key);
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    this.subscription.dispose();
    this._onDidChange.dispose();
  }
}
