import { createHash } from 'node:crypto';
import { LABEL_PREFIX, MANAGED_LABEL } from '../sandbox/docker';
import { SANDBOX_UID } from '../sandbox/spec';

export const LABELS = {
  managed: MANAGED_LABEL,
  thread: `${LABEL_PREFIX}.thread`,
  threadHash: `${LABEL_PREFIX}.thread-hash`,
  session: `${LABEL_PREFIX}.session`,
  created: `${LABEL_PREFIX}.created`,
  role: `${LABEL_PREFIX}.role`,
  /** On a link volume: the data volume (a claimed pool volume) that holds the thread's files. */
  dataVolume: `${LABEL_PREFIX}.data-volume`,
  /** On a data volume: the uid its files belong to (volumes from before uid 65532 have none). */
  owner: `${LABEL_PREFIX}.owner`,
  /** On a container: the runtime it was created with (shown by the sessions list). */
  runtime: `${LABEL_PREFIX}.runtime`,
} as const;

/** What a labelled container or volume is for. */
export type Role = 'session' | 'data' | 'link' | 'pool' | 'pool-data';

export const CONTAINER_PREFIX = 'code-interpreter-';
export const POOL_PREFIX = 'code-interpreter-pool-';

/**
 * A thread key for an id that comes from outside (a chat session's id, a notebook's URI): prefixed
 * with its kind, and bounded, since keys are stored in Docker labels (a long id becomes its digest).
 */
export function threadKeyOf(kind: 'chat' | 'notebook', id: string): string {
  const key = `${kind}:${id}`;
  return key.length <= 512 ? key : `${kind}:sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** Docker names for a thread's container and volume, derived from a hash of the thread key. */
export interface SessionNames {
  threadKey: string;
  threadHash: string;
  container: string;
  volume: string;
  /** A label-only volume that names the data volume when the thread claimed a pooled container. */
  link: string;
}

export function threadHash(threadKey: string): string {
  return createHash('sha256').update(threadKey).digest('hex').slice(0, 16);
}

export function sessionNames(threadKey: string): SessionNames {
  const hash = threadHash(threadKey);
  return {
    threadKey,
    threadHash: hash,
    container: `${CONTAINER_PREFIX}${hash}`,
    volume: `${CONTAINER_PREFIX}${hash}-data`,
    link: `${CONTAINER_PREFIX}${hash}-link`,
  };
}

/** The thread hash a container's name carries (claimed pool containers are renamed to it). */
export function hashFromContainerName(name: string): string | undefined {
  return /^\/?code-interpreter-([0-9a-f]{16})$/.exec(name)?.[1];
}

export function sessionLabels(names: SessionNames, sessionId: string, role: Role): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.thread]: names.threadKey.slice(0, 1024),
    [LABELS.threadHash]: names.threadHash,
    [LABELS.session]: sessionId,
    [LABELS.created]: new Date().toISOString(),
    [LABELS.role]: role,
    ...(role === 'data' ? { [LABELS.owner]: String(SANDBOX_UID) } : {}),
  };
}

export function poolLabels(role: 'pool' | 'pool-data'): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.role]: role, [LABELS.created]: new Date().toISOString(), ...(role === 'pool-data' ? { [LABELS.owner]: String(SANDBOX_UID) } : {}) };
}
