/**
 * Thread keys: a notebook's (its URI), and chat thread → session key, in one function (DESIGN.md "Chat threads"). The stable API gives tools
 * no thread id, so the key comes, in this order, from:
 *   1. a `chatSessionResource` option, where a build provides it (a Uri, on prepare/invoke options);
 *   2. the `toolInvocationToken`'s `sessionResource` (1.139) or `sessionId` (older), checked by shape;
 *   3. for our own participant, the thread id kept in ChatResult.metadata, read back from history;
 *   4. else the window's default session.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { threadKeyOf } from '../core';

export const PARTICIPANT_ID = 'codeInterpreter.interpreter';

/** What ChatResult.metadata holds for a thread (read back from context.history). */
export const THREAD_METADATA_KEY = 'codeInterpreterThread';

export type ThreadSource = 'chatSessionResource' | 'token.sessionResource' | 'token.sessionId' | 'history' | 'new' | 'default';

export interface ResolvedThread {
  key: string;
  source: ThreadSource;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** A Uri, a revived Uri-like object ({scheme, authority, path}), or a string — as a string, else undefined. */
function uriString(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v;
  if (v instanceof vscode.Uri) return v.toString();
  if (isRecord(v) && typeof v.scheme === 'string' && typeof v.path === 'string') {
    try {
      return vscode.Uri.from({ scheme: v.scheme, authority: typeof v.authority === 'string' ? v.authority : '', path: v.path, query: typeof v.query === 'string' ? v.query : '', fragment: typeof v.fragment === 'string' ? v.fragment : '' }).toString();
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Thread keys are stored in Docker labels and shown shortened: keep them plain and bounded. */
function chatKey(id: string): string {
  return threadKeyOf('chat', id);
}

/** The thread from tool options and/or the invocation token (steps 1 and 2), if any. */
export function threadFromChat(options: unknown, token: unknown): ResolvedThread | undefined {
  if (isRecord(options)) {
    const resource = uriString(options.chatSessionResource);
    if (resource) return { key: chatKey(resource), source: 'chatSessionResource' };
  }
  if (isRecord(token)) {
    const resource = uriString(token.sessionResource);
    if (resource) return { key: chatKey(resource), source: 'token.sessionResource' };
    if (typeof token.sessionId === 'string' && token.sessionId) return { key: chatKey(token.sessionId), source: 'token.sessionId' };
  }
  if (isRecord(options) && typeof options.chatSessionId === 'string' && options.chatSessionId) {
    // Some builds pass the chat session id on prepare options (the same value as token.sessionId).
    return { key: chatKey(options.chatSessionId), source: 'token.sessionId' };
  }
  return undefined;
}

/** The thread id our participant stored in an earlier ChatResult of this conversation (step 3). */
export function threadFromHistory(history: vscode.ChatContext['history']): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i];
    if (turn instanceof vscode.ChatResponseTurn) {
      const key = turn.result?.metadata?.[THREAD_METADATA_KEY];
      if (typeof key === 'string' && key) return key;
    }
  }
  return undefined;
}

/** The window's default session (step 4): one per workspace, stable across reloads. */
export function defaultThreadKey(): string {
  const ws = vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!ws) return 'window:default';
  return `window:${createHash('sha256').update(ws.toString()).digest('hex').slice(0, 12)}`;
}

/**
 * A notebook's thread: keyed by the notebook's URI, so reopening the notebook finds its files (and,
 * while its container lives, its variables). Bounded like a chat key; a renamed or moved notebook,
 * or an untitled one once saved, starts another thread.
 */
export function notebookThreadKey(uri: vscode.Uri): string {
  return threadKeyOf('notebook', uri.toString());
}

/** A tool call (Copilot agent mode, `#` reference, our participant, or no chat at all). */
export function resolveToolThread(options: unknown, token: unknown, participantThread?: () => string | undefined): ResolvedThread {
  return threadFromChat(options, token) ?? withKey(participantThread?.(), 'history') ?? { key: defaultThreadKey(), source: 'default' };
}

/**
 * Our participant's request. A conversation with no earlier turn and no token-borne id is a new
 * thread (a new chat should not see another chat's variables), so it gets a fresh key.
 */
export function resolveParticipantThread(request: vscode.ChatRequest, context: vscode.ChatContext): ResolvedThread {
  return (
    threadFromChat(request, request.toolInvocationToken) ??
    withKey(threadFromHistory(context.history), 'history') ??
    (context.history.length === 0 ? { key: `chat:participant:${randomUUID()}`, source: 'new' } : { key: defaultThreadKey(), source: 'default' })
  );
}

function withKey(key: string | undefined, source: ThreadSource): ResolvedThread | undefined {
  return key ? { key, source } : undefined;
}

/** A short human title for a thread key (used when nothing better is known). */
export function describeThreadKey(key: string): string {
  if (key.startsWith('window:')) return vscode.l10n.t('Default session');
  if (key.startsWith('manual:')) return vscode.l10n.t('Session {0}', key.slice(7, 13));
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 6);
  if (key.startsWith('chat:')) return vscode.l10n.t('Chat {0}', digest);
  if (key.startsWith('notebook:')) {
    let name = '';
    try {
      if (!key.startsWith('notebook:sha256:')) name = vscode.Uri.parse(key.slice('notebook:'.length)).path.split('/').pop() ?? '';
    } catch {
      // not a URI: the digest names it
    }
    return vscode.l10n.t('Notebook {0}', name || digest);
  }
  return key.length <= 40 ? key : `${key.slice(0, 37)}…`;
}
