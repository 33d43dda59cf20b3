/** The core's public surface: one call builds the services every adapter (CLI, VS Code, MCP) uses. */
import { Logger, silentLogger } from './log';
import { DockerClient } from './sandbox/docker';
import { EngineOptions } from './sandbox/engine';
import { ImageOptions, SandboxImage } from './sandbox/image';
import { SandboxConfig } from './sandbox/spec';
import { SessionManager } from './session/manager';

export interface CoreOptions {
  log?: Logger;
  image?: ImageOptions;
  sandbox?: Partial<SandboxConfig>;
  idleStopMinutes?: number;
  /** Warm containers for new threads (default 1; 0 disables). */
  poolSize?: number;
  /** The in-container watchdog's idle limit in seconds (default: idle stop + 5 minutes). */
  watchdogSeconds?: number;
  /** Keep each thread's execution history here (e.g. `join(defaultStateDir(), 'history')`). */
  historyDir?: string;
  /** Which Docker engine: an explicit host (setting, --docker-host) ahead of the Docker CLI's own order. */
  engine?: EngineOptions;
}

export interface Core {
  docker: DockerClient;
  image: SandboxImage;
  manager: SessionManager;
}

export function createCore(options: CoreOptions = {}): Core {
  const log = options.log ?? silentLogger;
  const docker = new DockerClient(log, options.engine);
  const image = new SandboxImage(docker, options.image, log);
  const manager = new SessionManager({ docker, image, config: options.sandbox, idleStopMinutes: options.idleStopMinutes, poolSize: options.poolSize, watchdogSeconds: options.watchdogSeconds, historyDir: options.historyDir, log });
  return { docker, image, manager };
}

export * from './errors';
export * from './log';
export { AuditLog } from './audit/audit';
export type { AuditCodeMode, AuditEntry } from './audit/audit';
export * from './notebook/nbformat';
export { bundleText, hasImage, htmlToText } from './notebook/plaintext';
export { defaultStateDir, HistoryStore } from './notebook/history';
export { LIMITS, CONTAINER_DEFAULTS } from './policy/limits';
export { validateSessionPath, DATA_DIR } from './policy/paths';
export { DockerClient } from './sandbox/docker';
export { contextDigest, describeEngine, dockerConfigDir, resolveEngine } from './sandbox/engine';
export type { EngineEndpoint, EngineOptions, EngineSource } from './sandbox/engine';
export { engineReport, formatEngineReport } from './sandbox/doctor';
export type { EngineReport } from './sandbox/doctor';
export { SandboxImage, hashImageContext } from './sandbox/image';
export type { SandboxConfig } from './sandbox/spec';
export { SessionManager } from './session/manager';
export type { SessionSummary } from './session/manager';
export { Session } from './session/session';
export { threadHash, sessionNames } from './session/naming';
export * from './tools';
