import { StreamInfo } from '../kernel/protocol';
import { Logger } from '../log';
import { HistoryStore } from '../notebook/history';
import { ExecutionKind, ExecutionRecord, Output } from '../notebook/nbformat';
import { DockerClient } from '../sandbox/docker';
import { ImageSource } from '../sandbox/image';
import { ResolvedRuntime } from '../sandbox/runtime';
import { SandboxConfig } from '../sandbox/spec';
import type { Session } from './session';
import { WarmPool } from './pool';

/** The shapes a Session is made from and speaks in: its dependencies, run options, results and events. */
export interface SessionDeps {
  docker: DockerClient;
  image: ImageSource;
  config: SandboxConfig;
  log?: Logger;
  /** Called whenever the session is used (the manager's idle clock). */
  onActivity?: (session: Session) => void;
  /** Where a new thread gets a warm container from, when there is one. */
  pool?: WarmPool;
  /** The in-container watchdog's idle limit (stops a container whose host went away). */
  watchdogSeconds: number;
  /** Keeps the thread's executions across processes (optional). */
  history?: HistoryStore;
  /** The runtime containers run under (`auto` resolved once per engine). */
  runtime: () => Promise<ResolvedRuntime>;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (output: Output) => void;
  /** Called with the execution's id just before the session emits its execution-start. */
  onStart?: (id: string) => void;
}

/** An execution and what the caller should be told about it besides its outputs. */
export interface ExecutionResult {
  record: ExecutionRecord;
  /** Plain sentences: kernel restarts, lost variables, where full output was saved. */
  notes: string[];
  streams: Partial<Record<'stdout' | 'stderr', StreamInfo>>;
  gaps: Partial<Record<'stdout' | 'stderr', number>>;
  exitCode?: number;
}

export interface ExecutionStart {
  id: string;
  kind: ExecutionKind;
  code: string;
  started: string;
}

/** What a Session tells its listeners (the VS Code views, the panel, tests). */
export interface SessionEvents {
  'execution-start': [ExecutionStart];
  output: [id: string, output: Output];
  'execution-end': [ExecutionRecord];
  busy: [busy: boolean];
  /** The kernel became ready or exited (sessions view, status). */
  kernel: [];
  deleted: [];
}
