import { resetFake } from './fake-vscode';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import {
  defaultThreadKey,
  describeThreadKey,
  PARTICIPANT_ID,
  resolveParticipantThread,
  resolveToolThread,
  THREAD_METADATA_KEY,
  threadFromChat,
  threadFromHistory,
} from '../../src/vscode/threads';

const RESOURCE = 'vscode-chat-session://local/c2Vzc2lvbi0x';

function responseTurn(metadata: Record<string, unknown> | undefined, participant = PARTICIPANT_ID): vscode.ChatResponseTurn {
  return new (vscode.ChatResponseTurn as unknown as new (...a: unknown[]) => vscode.ChatResponseTurn)([], { metadata }, participant);
}
function requestTurn(prompt: string): vscode.ChatRequestTurn {
  return new (vscode.ChatRequestTurn as unknown as new (...a: unknown[]) => vscode.ChatRequestTurn)(prompt, undefined, [], PARTICIPANT_ID);
}
function request(token: unknown, extra: Record<string, unknown> = {}): vscode.ChatRequest {
  return { prompt: 'hi', toolInvocationToken: token, references: [], ...extra } as unknown as vscode.ChatRequest;
}

describe('src/vscode/threads.ts', () => {
  beforeEach(() => resetFake());

  it('takes the thread from a chatSessionResource option, then the token (sessionResource, sessionId), in that order', () => {
    const uri = vscode.Uri.parse(RESOURCE);
    assert.deepEqual(threadFromChat({ chatSessionResource: uri }, { sessionId: 'other' }), { key: `chat:${uri.toString()}`, source: 'chatSessionResource' });
    assert.deepEqual(threadFromChat({}, { sessionResource: uri, sessionId: 'other' }), { key: `chat:${uri.toString()}`, source: 'token.sessionResource' });
    // A Uri revived from IPC arrives as a plain object: the same key as the Uri itself.
    assert.deepEqual(threadFromChat({}, { sessionResource: { scheme: uri.scheme, authority: uri.authority, path: uri.path } }), { key: `chat:${uri.toString()}`, source: 'token.sessionResource' });
    assert.deepEqual(threadFromChat({}, { sessionId: 'abc' }), { key: 'chat:abc', source: 'token.sessionId' });
    assert.deepEqual(threadFromChat({ chatSessionId: 'fromPrepare' }, undefined), { key: 'chat:fromPrepare', source: 'token.sessionId' });
    assert.equal(threadFromChat({}, {}), undefined);
    assert.equal(threadFromChat(undefined, 'a string token'), undefined);
    assert.equal(threadFromChat({}, { sessionId: '' }), undefined, 'an empty id is no thread');
  });

  it('bounds a long chat id by hashing it', () => {
    const long = 'x'.repeat(600);
    const t = threadFromChat({}, { sessionId: long })!;
    assert.equal(t.key, `chat:sha256:${createHash('sha256').update(long).digest('hex')}`);
    assert.ok(t.key.length <= 512);
  });

  it('reads the latest thread id our participant stored in the history', () => {
    const history = [requestTurn('one'), responseTurn({ [THREAD_METADATA_KEY]: 'chat:first' }), requestTurn('two'), responseTurn({ [THREAD_METADATA_KEY]: 'chat:second' }), responseTurn({ other: 1 })];
    assert.equal(threadFromHistory(history), 'chat:second');
    assert.equal(threadFromHistory([responseTurn({ [THREAD_METADATA_KEY]: 42 })]), undefined, 'a key that is not a string is ignored');
    assert.equal(threadFromHistory([requestTurn('only a request')]), undefined);
  });

  it('gives a participant request a token-borne thread first, then the history, else a fresh thread (new chat) or the default (old chat)', () => {
    const token = { sessionResource: vscode.Uri.parse(RESOURCE) };
    const withHistory = { history: [responseTurn({ [THREAD_METADATA_KEY]: 'chat:from-history' })] } as unknown as vscode.ChatContext;
    assert.equal(resolveParticipantThread(request(token), withHistory).source, 'token.sessionResource');
    assert.deepEqual(resolveParticipantThread(request(undefined), withHistory), { key: 'chat:from-history', source: 'history' });
    const fresh = resolveParticipantThread(request(undefined), { history: [] } as unknown as vscode.ChatContext);
    assert.equal(fresh.source, 'new');
    assert.match(fresh.key, /^chat:participant:[0-9a-f-]{36}$/);
    assert.notEqual(resolveParticipantThread(request(undefined), { history: [] } as unknown as vscode.ChatContext).key, fresh.key, 'each new chat its own thread');
    assert.deepEqual(resolveParticipantThread(request(undefined), { history: [requestTurn('x')] } as unknown as vscode.ChatContext), { key: defaultThreadKey(), source: 'default' });
  });

  it('gives a tool call the chat thread, else the participant request in flight, else the default session', () => {
    assert.equal(resolveToolThread({}, { sessionId: 'abc' }, () => 'chat:participant:1').key, 'chat:abc');
    assert.deepEqual(resolveToolThread({}, undefined, () => 'chat:participant:1'), { key: 'chat:participant:1', source: 'history' });
    assert.deepEqual(resolveToolThread({}, undefined, () => undefined), { key: defaultThreadKey(), source: 'default' });
  });

  it('keys the default session by the workspace, stable across calls', () => {
    assert.equal(defaultThreadKey(), 'window:default');
    (vscode.workspace as { workspaceFolders: unknown }).workspaceFolders = [{ uri: vscode.Uri.file('/home/u/project'), name: 'project', index: 0 }];
    const key = defaultThreadKey();
    assert.match(key, /^window:[0-9a-f]{12}$/);
    assert.equal(defaultThreadKey(), key);
    (vscode.workspace as { workspaceFolders: unknown }).workspaceFolders = [{ uri: vscode.Uri.file('/home/u/other'), name: 'other', index: 0 }];
    assert.notEqual(defaultThreadKey(), key, 'another workspace, another session');
  });

  it('describes thread keys for people', () => {
    assert.equal(describeThreadKey('window:abc'), 'Default session');
    assert.equal(describeThreadKey('manual:1234567890'), 'Session 123456');
    assert.match(describeThreadKey('chat:anything'), /^Chat [0-9a-f]{6}$/);
    assert.equal(describeThreadKey('x'.repeat(50)), `${'x'.repeat(37)}…`);
  });
});
