import { Logger } from '../log';
import { HistoryStore } from '../notebook/history';
import { ExecutionRecord } from '../notebook/nbformat';
import { LIMITS, TIMINGS } from '../policy/limits';
import { SessionNames } from './naming';

/**
 * A thread's executions: the last LIMITS.historyPerSession, each also appended to the thread's
 * history file, so other processes and restarts see them. With a file, the records are read from
 * it when first asked for and dropped from memory after TIMINGS.historyIdleMs without use (read
 * again on demand); without one, memory is all there is.
 */
export class ThreadRecords {
  /** In memory (undefined: not read yet, or dropped while idle). */
  private list?: ExecutionRecord[];
  private loading?: Promise<ExecutionRecord[]>;
  /** Records added while the file was being read (the read does not include them). */
  private addedWhileLoading: ExecutionRecord[] = [];
  /** Bumped by clear(): a read begun before it is of no use after it. */
  private generation = 0;
  private lastUsed = 0;
  private idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly names: SessionNames,
    private readonly store: HistoryStore | undefined,
    private readonly log: Logger,
    private readonly idleMs = TIMINGS.historyIdleMs,
  ) {
    if (!store) this.list = [];
  }

  /** The records, oldest first: from memory, or read from the thread's file. */
  all(): Promise<ExecutionRecord[]> {
    this.used();
    if (this.list) return Promise.resolve(this.list);
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.store!.load(this.names.threadHash)
      .catch((err: Error) => {
        this.log.warn(`history of ${this.names.container} could not be read: ${err.message}`);
        return [] as ExecutionRecord[];
      })
      .then((loaded) => {
        if (generation !== this.generation) return this.all();
        this.loading = undefined;
        this.list = trim([...loaded, ...this.addedWhileLoading]);
        this.addedWhileLoading = [];
        return this.list;
      });
    this.loading = loading;
    return loading;
  }

  /** Whether the records are in memory now (tests). */
  get inMemory(): boolean {
    return this.list !== undefined;
  }

  /** Keep a new record; the returned promise ends once it is in the file (it never rejects: a failure is logged). */
  add(record: ExecutionRecord): Promise<void> {
    this.used();
    if (this.list) {
      this.list.push(record);
      this.list = trim(this.list);
    } else if (this.loading) {
      this.addedWhileLoading.push(record);
    } // else: not in memory; the file has it for the next read
    return (this.store?.append(this.names.threadHash, record) ?? Promise.resolve()).catch((err: Error) => {
      this.log.warn(`history of ${this.names.container} could not be written: ${err.message}`);
    });
  }

  /** The thread was deleted: its history goes too. */
  async clear(): Promise<void> {
    this.generation++;
    this.list = [];
    this.loading = undefined;
    this.addedWhileLoading = [];
    await this.store?.remove(this.names.threadHash).catch((err: Error) => {
      this.log.warn(`history of ${this.names.container} could not be removed: ${err.message}`);
    });
  }

  /** Drop the records from memory (the file keeps them): after idleMs without use. */
  private used(): void {
    this.lastUsed = Date.now();
    if (!this.store || this.idleTimer || !(this.idleMs > 0)) return;
    const check = () => {
      const left = this.lastUsed + this.idleMs - Date.now();
      if (left > 0) {
        this.idleTimer = setTimeout(check, left).unref();
        return;
      }
      this.idleTimer = undefined;
      if (!this.loading) this.list = undefined;
    };
    this.idleTimer = setTimeout(check, this.idleMs).unref();
  }
}

function trim(list: ExecutionRecord[]): ExecutionRecord[] {
  return list.length > LIMITS.historyPerSession ? list.slice(-LIMITS.historyPerSession) : list;
}
