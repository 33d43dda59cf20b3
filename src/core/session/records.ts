import { Logger } from '../log';
import { HistoryStore } from '../notebook/history';
import { ExecutionRecord } from '../notebook/nbformat';
import { LIMITS } from '../policy/limits';
import { SessionNames } from './naming';

/**
 * A thread's executions: the last LIMITS.historyPerSession in memory (the panel, notebook export),
 * each also appended to the thread's history file, so other processes and restarts see them.
 */
export class ThreadRecords {
  readonly list: ExecutionRecord[] = [];

  constructor(
    private readonly names: SessionNames,
    private readonly store: HistoryStore | undefined,
    private readonly log: Logger,
  ) {
    try {
      this.list.push(...(store?.load(names.threadHash) ?? []));
    } catch (err) {
      log.warn(`history of ${names.container} could not be read: ${(err as Error).message}`);
    }
  }

  add(record: ExecutionRecord): void {
    this.list.push(record);
    if (this.list.length > LIMITS.historyPerSession) this.list.shift();
    try {
      this.store?.append(this.names.threadHash, record, this.list);
    } catch (err) {
      this.log.warn(`history of ${this.names.container} could not be written: ${(err as Error).message}`);
    }
  }

  /** The thread was deleted: its history goes too. */
  clear(): void {
    this.store?.remove(this.names.threadHash);
    this.list.length = 0;
  }
}
