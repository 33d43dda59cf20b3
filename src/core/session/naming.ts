import { createHash } from 'node:crypto';
import { LABEL_PREFIX, MANAGED_LABEL } from '../sandbox/docker';

export const LABELS = {
  managed: MANAGED_LABEL,
  thread: `${LABEL_PREFIX}.thread`,
  threadHash: `${LABEL_PREFIX}.thread-hash`,
  session: `${LABEL_PREFIX}.session`,
  created: `${LABEL_PREFIX}.created`,
  role: `${LABEL_PREFIX}.role`,
} as const;

/** Docker names for a thread's container and volume, derived from a hash of the thread key. */
export interface SessionNames {
  threadKey: string;
  threadHash: string;
  container: string;
  volume: string;
}

export function threadHash(threadKey: string): string {
  return createHash('sha256').update(threadKey).digest('hex').slice(0, 16);
}

export function sessionNames(threadKey: string): SessionNames {
  const hash = threadHash(threadKey);
  return { threadKey, threadHash: hash, container: `code-interpreter-${hash}`, volume: `code-interpreter-${hash}-data` };
}

export function sessionLabels(names: SessionNames, sessionId: string, role: 'session' | 'data'): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.thread]: names.threadKey.slice(0, 1024),
    [LABELS.threadHash]: names.threadHash,
    [LABELS.session]: sessionId,
    [LABELS.created]: new Date().toISOString(),
    [LABELS.role]: role,
  };
}
