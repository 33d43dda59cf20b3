/** The core's public surface: one call builds the services every adapter (CLI, VS Code, MCP) uses. */
import { EnvironmentImage, EnvironmentImageOptions } from './environment/image';
import { EngineUnavailableError } from './errors';
import { Logger, silentLogger } from './log';
import { DockerClient } from './sandbox/docker';
import { EngineOptions } from './sandbox/engine';
import { BuildProgress, ImageOptions, SandboxImage } from './sandbox/image';
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
  /**
   * The one readiness check every adapter makes before a session is used: the Docker engine answers
   * (else an EngineUnavailableError saying how to start it), and the image sessions run on is there —
   * built when it is not: the built-in image first (minutes, once), then the workspace's environment
   * (asking its approve hook). Build lines go to `onProgress` (an environment's to its progress hook,
   * where the adapter set one). Resolves with the tag sessions run on. With `engineOnly`, only the
   * engine is asked (a first check at start-up that must not start a build).
   */
  ready(onProgress?: BuildProgress): Promise<string>;
  ready(onProgress: BuildProgress | undefined, opts: { engineOnly: true }): Promise<void>;
}

export function createCore(options: CoreOptions = {}): Core {
  const log = options.log ?? silentLogger;
  const docker = new DockerClient(log, options.engine);
  const image = new SandboxImage(docker, options.image, log);
  const environment = new EnvironmentImage(docker, image, options.environment, log);
  const manager = new SessionManager({ docker, image: environment, config: options.sandbox, idleStopMinutes: options.idleStopMinutes, poolSize: options.poolSize, watchdogSeconds: options.watchdogSeconds, historyDir: options.historyDir, log });
  function ready(onProgress?: BuildProgress): Promise<string>;
  function ready(onProgress: BuildProgress | undefined, opts: { engineOnly: true }): Promise<void>;
  async function ready(onProgress?: BuildProgress, opts?: { engineOnly: true }): Promise<string | void> {
    await docker.ping().catch((err) => {
      throw new EngineUnavailableError(err);
    });
    if (opts?.engineOnly) return;
    return environment.ensure(onProgress);
  }
  return { docker, image, environment, manager, ready };
}

export * from './errors';
export * from './log';
export { AuditLog } from './audit/audit';
export type { AuditCodeMode, AuditEntry } from './audit/audit';
export * from './notebook/nbformat';
export { bundleText, hasImage, htmlToText, tableHtml } from './notebook/plaintext';
export { defaultStateDir, HistoryStore } from './notebook/history';
export { LIMITS, CONTAINER_DEFAULTS, OUTPUT_CUTS, TIMINGS } from './policy/limits';
export type { OutputCuts } from './policy/limits';
export { validateSessionPath, DATA_DIR, OUTPUTS_DIR, isUserFile } from './policy/paths';
export { formatBytes, nameForModel } from './policy/truncate';
export { userFiles } from './session/files';
export type { FileEntry } from './session/files';
export { DockerClient } from './sandbox/docker';
export { contextDigest, describeEngine, dockerConfigDir, resolveEngine } from './sandbox/engine';
export type { EngineEndpoint, EngineOptions, EngineSource } from './sandbox/engine';
export { engineReport, formatEngineReport } from './sandbox/doctor';
export type { EngineReport } from './sandbox/doctor';
export { SandboxImage, hashImageContext } from './sandbox/image';
export type { BuildProgress, ImageSource } from './sandbox/image';
export { EnvironmentImage, ENV_REPOSITORY } from './environment/image';
export type { EnvironmentHooks, EnvironmentImageOptions, EnvironmentStatus } from './environment/image';
export { EnvironmentError } from './environment/build';
export { describePlan, ENV_DIR_NAME, ENV_FILES, readEnvironment } from './environment/spec';
export { findPackageHint, hintText } from './environment/hints';
export type { PackageHint } from './environment/hints';
export type { EnvironmentSpec } from './environment/spec';
export { cellSource, exportNotebook, toNotebook } from './notebook/export';
export type { Notebook, NotebookEnvironment } from './notebook/export';
export type { SandboxConfig } from './sandbox/spec';
export { SessionManager } from './session/manager';
export type { SessionSummary } from './session/manager';
export { Session } from './session/session';
export type { ResourceUse, SessionResources } from './session/resources';
export { NEAR_LIMIT, nearLimit, resourceBrief, resourceMeters, resourceSummary } from './session/resource-text';
export type { ResourceMeter } from './session/resource-text';
export type { ExecutionStart, SessionEvents } from './session/session';
export { threadHash, sessionNames, threadKeyOf } from './session/naming';
export * from './tools';
