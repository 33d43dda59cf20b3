/** The core's public surface: one call builds the services every adapter (CLI, VS Code, MCP) uses. */
import { EnvironmentImage, EnvironmentImageOptions } from './environment/image';
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
  /** The workspace's environment (apt.txt, requirements.txt, wheels/); none: the built-in image. */
  environment?: EnvironmentImageOptions;
}

export interface Core {
  docker: DockerClient;
  /** The built-in sandbox image. */
  image: SandboxImage;
  /** What sessions run on: the workspace's environment derived from `image`, or `image` itself. */
  environment: EnvironmentImage;
  manager: SessionManager;
}

export function createCore(options: CoreOptions = {}): Core {
  const log = options.log ?? silentLogger;
  const docker = new DockerClient(log, options.engine);
  const image = new SandboxImage(docker, options.image, log);
  const environment = new EnvironmentImage(docker, image, options.environment, log);
  const manager = new SessionManager({ docker, image: environment, config: options.sandbox, idleStopMinutes: options.idleStopMinutes, poolSize: options.poolSize, watchdogSeconds: options.watchdogSeconds, historyDir: options.historyDir, log });
  return { docker, image, environment, manager };
}

export * from './errors';
export * from './log';
export { AuditLog } from './audit/audit';
export type { AuditCodeMode, AuditEntry } from './audit/audit';
export * from './notebook/nbformat';
export { bundleText, hasImage, htmlToText } from './notebook/plaintext';
export { defaultStateDir, HistoryStore } from './notebook/history';
export { LIMITS, CONTAINER_DEFAULTS, OUTPUT_CUTS, TIMINGS } from './policy/limits';
export type { OutputCuts } from './policy/limits';
export { validateSessionPath, DATA_DIR } from './policy/paths';
export { DockerClient } from './sandbox/docker';
export { contextDigest, describeEngine, dockerConfigDir, resolveEngine } from './sandbox/engine';
export type { EngineEndpoint, EngineOptions, EngineSource } from './sandbox/engine';
export { engineReport, formatEngineReport } from './sandbox/doctor';
export type { EngineReport } from './sandbox/doctor';
export { SandboxImage, hashImageContext } from './sandbox/image';
export type { ImageSource } from './sandbox/image';
export { EnvironmentImage, ENV_REPOSITORY } from './environment/image';
export type { EnvironmentHooks, EnvironmentImageOptions, EnvironmentStatus } from './environment/image';
export { EnvironmentError } from './environment/build';
export { describePlan, ENV_DIR_NAME, ENV_FILES, readEnvironment } from './environment/spec';
export { findPackageHint, hintText } from './environment/hints';
export type { PackageHint } from './environment/hints';
export type { EnvironmentSpec } from './environment/spec';
export { exportNotebook, toNotebook } from './notebook/export';
export type { NotebookEnvironment } from './notebook/export';
export type { SandboxConfig } from './sandbox/spec';
export { SessionManager } from './session/manager';
export type { SessionSummary } from './session/manager';
export { Session } from './session/session';
export { threadHash, sessionNames } from './session/naming';
export * from './tools';
