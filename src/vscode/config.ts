/** Typed reading of the `codeInterpreter.*` settings: the one place that knows their names. */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { AuditCodeMode, CoreOptions } from '../core';
import { CONTAINER_DEFAULTS, ENV_DIR_NAME, LIMITS } from '../core';

export type ConfirmMode = 'always' | 'dataMovesOnly' | 'never';

export interface Settings {
  /** The Docker endpoint ('' = as the Docker CLI finds it: DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket). */
  dockerHost: string;
  /** An explicit image instead of the built-in one ('' = build ours). */
  image: string;
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
  network: string;
  runtime: string;
  pythonTimeoutSeconds: number;
  shellTimeoutSeconds: number;
  idleStopMinutes: number;
  retentionDays: number;
  maxUploadBytes: number;
  audit: { enabled: boolean; code: AuditCodeMode };
  confirm: ConfirmMode;
  /** The sandbox environment folder as written in the setting ('' = the default, see environmentDir). */
  environmentPath: string;
}

export const SECTION = 'codeInterpreter';

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, n));
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    dockerHost: (c.get<string>('dockerHost') ?? '').trim(),
    image: (c.get<string>('image') ?? '').trim(),
    memoryMb: clamp(c.get('memoryMb'), 256, 262_144, CONTAINER_DEFAULTS.memoryMb),
    cpus: clamp(c.get('cpus'), 0.1, 256, CONTAINER_DEFAULTS.cpus),
    pidsLimit: Math.round(clamp(c.get('pidsLimit'), 32, 65_536, CONTAINER_DEFAULTS.pidsLimit)),
    network: (c.get<string>('network') ?? '').trim() || CONTAINER_DEFAULTS.network,
    runtime: (c.get<string>('runtime') ?? '').trim() || CONTAINER_DEFAULTS.runtime,
    pythonTimeoutSeconds: Math.round(clamp(c.get('pythonTimeoutSeconds'), LIMITS.pythonTimeout.min, LIMITS.pythonTimeout.max, LIMITS.pythonTimeout.default)),
    shellTimeoutSeconds: Math.round(clamp(c.get('shellTimeoutSeconds'), LIMITS.shellTimeout.min, LIMITS.shellTimeout.max, LIMITS.shellTimeout.default)),
    idleStopMinutes: clamp(c.get('idleStopMinutes'), 0, 10_080, CONTAINER_DEFAULTS.idleStopMinutes),
    retentionDays: clamp(c.get('retentionDays'), 0, 3650, LIMITS.defaultRetentionDays),
    maxUploadBytes: Math.round(clamp(c.get('maxUploadMb'), 1, 16_384, LIMITS.defaultMaxUploadBytes / 1024 / 1024) * 1024 * 1024),
    audit: {
      enabled: c.get<boolean>('audit.enabled') ?? true,
      code: oneOf(c.get('audit.code'), ['code', 'hash'] as const, 'code'),
    },
    confirm: oneOf(c.get('confirm'), ['always', 'dataMovesOnly', 'never'] as const, 'always'),
    environmentPath: (c.get<string>('environment.path') ?? '').trim(),
  };
}

/**
 * The folder holding apt.txt / requirements.txt / wheels/: the setting (relative paths against the
 * first workspace folder), else `.code-interpreter` in the first workspace folder; undefined in a
 * window without a folder and without an absolute setting.
 */
export function environmentDir(s: Settings): string | undefined {
  const root = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  const path = s.environmentPath.replace(/^~(?=$|[\\/])/, homedir());
  if (path && isAbsolute(path)) return resolve(path);
  if (!root) return undefined;
  return resolve(root, path || ENV_DIR_NAME);
}

/** The part of the settings that shapes the core (containers and image); changing it needs a reload. */
export function coreOptions(s: Settings): Pick<CoreOptions, 'image' | 'sandbox' | 'idleStopMinutes' | 'engine'> {
  return {
    engine: { host: s.dockerHost, hostOrigin: `the ${SECTION}.dockerHost setting` },
    image: s.image ? { imageOverride: s.image } : undefined,
    sandbox: { memoryMb: s.memoryMb, cpus: s.cpus, pidsLimit: s.pidsLimit, network: s.network, runtime: s.runtime },
    idleStopMinutes: s.idleStopMinutes,
  };
}

/** Settings whose change only takes effect after a window reload (they are fixed in the core). */
export const RELOAD_SETTINGS = ['dockerHost', 'image', 'memoryMb', 'cpus', 'pidsLimit', 'network', 'runtime', 'idleStopMinutes', 'audit.enabled', 'audit.code'].map((k) => `${SECTION}.${k}`);
