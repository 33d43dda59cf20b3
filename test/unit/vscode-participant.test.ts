import { fake, resetFake } from './fake-vscode';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { AuditLog, LIMITS, silentLogger } from '../../src/core';
import type { Settings } from '../../src/vscode/config';
import type { EnvironmentView } from '../../src/vscode/environment';
import { historyMessages, InterpreterMetadata, MAX_ROUNDS, registerParticipant } from '../../src/vscode/participant';
import { SessionsModel } from '../../src/vscode/sessions';
import { PARTICIPANT_ID, THREAD_METADATA_KEY } from '../../src/vscode/threads';
import { ToolService, toolId } from '../../src/vscode/tools';
import { FakeManager, memento } from './fake-core';

type Part = vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart;
/** What the scripted model answers in each round (the last answer repeats). */
type Script = (round: number, messages: vscode.LanguageModelChatMessage[]) => Part[];

const text = (value: string) => new vscode.LanguageModelTextPart(value);
const call = (callId: string, name: string, input: object) => new vscode.LanguageModelToolCallPart(callId, toolId(name as never), input);
const newTurn = <T>(cls: unknown, ...args: unknown[]) => new (cls as new (...a: unknown[]) => T)(...args);

function setup(script: Script) {
  const manager = new FakeManager();
  const model = new SessionsModel(manager.asManager(), memento() as unknown as vscode.Memento, silentLogger);
  const audit = new AuditLog(mkdtempSync(join(tmpdir(), 'ci-participant-')));
  const settings = { confirm: 'always', pythonTimeoutSeconds: 60, shellTimeoutSeconds: 60, maxUploadBytes: 1000 } as Settings;
  const tools = new ToolService({ model, settings: () => settings, audit: () => audit, log: silentLogger, ready: async () => undefined });
  tools.register();
  const environment = { canAddPackages: false, forModel: () => undefined } as unknown as EnvironmentView;
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file('/ext') };
  registerParticipant(context as unknown as vscode.ExtensionContext, { model, tools, log: silentLogger, extensionUri: context.extensionUri, exportTo: async () => undefined, openNotebook: async () => undefined, environment });
  const handler = fake.participants.get(PARTICIPANT_ID)!;

  const sent: vscode.LanguageModelChatMessage[][] = [];
  let messages: vscode.LanguageModelChatMessage[] = [];
  const lm = {
    sendRequest: async (m: vscode.LanguageModelChatMessage[]) => {
      messages = m; // the participant's own array: what it adds later is seen here too
      sent.push([...m]);
      const parts = script(sent.length - 1, m);
      return { stream: (async function* () { yield* parts; })() };
    },
  };
  const out: string[] = [];
  const stream = {
    markdown: (v: string | vscode.MarkdownString) => out.push(typeof v === 'string' ? v : v.value),
    anchor: (uri: vscode.Uri, title?: string) => out.push(`<anchor ${uri.toString()} ${title ?? ''}>`),
    progress: (v: string) => out.push(`<progress ${v}>`),
    button: () => undefined,
  };
  const ask = async (prompt: string, opts: { references?: unknown[]; history?: unknown[]; command?: string; token?: vscode.CancellationToken; toolInvocationToken?: unknown } = {}) => {
    const request = { prompt, command: opts.command, references: opts.references ?? [], toolReferences: [], toolInvocationToken: opts.toolInvocationToken, model: lm };
    const result = (await handler(request, { history: opts.history ?? [] }, stream, opts.token ?? new vscode.CancellationTokenSource().token)) as vscode.ChatResult;
    return result;
  };
  const auditLines = () => (existsSync(audit.file) ? readFileSync(audit.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tool: string; caller: string; thread: string; status: string }) : []);
  return { manager, ask, sent, out, auditLines, lastMessages: () => messages };
}

/** The tool-result parts of a user message, as [callId, text]. */
function results(message: vscode.LanguageModelChatMessage): [string, string][] {
  return message.content.map((p) => {
    assert.ok(p instanceof vscode.LanguageModelToolResultPart, 'a tool result part');
    return [p.callId, p.content.map((c) => (c instanceof vscode.LanguageModelTextPart ? c.value : '')).join('')];
  });
}

describe('src/vscode/participant.ts', () => {
  beforeEach(() => resetFake());

  describe('history rebuild', () => {
    it("replays our own turns with their tool calls and results, matched by call id, and skips other participants'", () => {
      const rounds = [
        { text: 'Loading.', calls: [{ callId: 'c1', name: toolId('executePythonCode'), input: { pythonCode: 'load()' }, result: 'ran 1' }, { name: 'no id', input: {}, result: 'dropped' }] },
        { text: 'Done.', calls: [] },
      ];
      const history = [
        newTurn<vscode.ChatRequestTurn>(vscode.ChatRequestTurn, 'load the data', undefined, [], PARTICIPANT_ID),
        newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [], { metadata: { [THREAD_METADATA_KEY]: 'chat:t', rounds } }, PARTICIPANT_ID),
        newTurn<vscode.ChatRequestTurn>(vscode.ChatRequestTurn, 'not for us', undefined, [], 'someone.else'),
        newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [new vscode.ChatResponseMarkdownPart('their answer')], { metadata: {} }, 'someone.else'),
        newTurn<vscode.ChatRequestTurn>(vscode.ChatRequestTurn, '', 'files', [], PARTICIPANT_ID),
        newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [new vscode.ChatResponseMarkdownPart('See ![chart](data:image/png;base64,AAAA) and '), new vscode.ChatResponseMarkdownPart('more.')], { metadata: { [THREAD_METADATA_KEY]: 'chat:t' } }, PARTICIPANT_ID),
      ];
      const messages = historyMessages(history);
      const shape = messages.map((m) => [
        m.role === vscode.LanguageModelChatMessageRole.User ? 'user' : 'assistant',
        m.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : p instanceof vscode.LanguageModelToolCallPart ? `call ${p.callId} ${p.name} ${JSON.stringify(p.input)}` : p instanceof vscode.LanguageModelToolResultPart ? `result ${p.callId}` : '?')),
      ]);
      assert.deepEqual(shape, [
        ['user', ['load the data']],
        ['assistant', ['Loading.', `call c1 ${toolId('executePythonCode')} {"pythonCode":"load()"}`]],
        ['user', ['result c1']],
        ['assistant', ['Done.']],
        ['user', ['/files ']],
        ['assistant', ['See [image] and more.']],
      ]);
      assert.deepEqual(results(messages[2]), [['c1', 'ran 1']]);
    });
  });

  describe('the tool loop', () => {
    it('stops after MAX_ROUNDS rounds of tool calls and says so, every call answered under its own id', async () => {
      const { ask, sent, out, lastMessages } = setup((round) => [call(`r${round}`, 'listSessionFiles', {})]);
      const result = await ask('list forever');
      assert.equal(sent.length, MAX_ROUNDS);
      assert.match(out.join(''), new RegExp(`I stopped after ${MAX_ROUNDS} rounds of tool calls`));
      const meta = result.metadata as InterpreterMetadata;
      assert.equal(meta.rounds?.length, MAX_ROUNDS);
      assert.deepEqual(meta.rounds?.map((r) => r.calls.map((c) => c.callId)), Array.from({ length: MAX_ROUNDS }, (_, i) => [`r${i}`]));
      const all = lastMessages();
      assert.deepEqual(results(all[all.length - 1]).map(([id]) => id), [`r${MAX_ROUNDS - 1}`]);
    });

    it('ends when the model answers without tool calls, keeping the thread in the metadata', async () => {
      const { ask, sent, out } = setup(() => [text('No code needed.')]);
      const result = await ask('hello');
      assert.equal(sent.length, 1);
      assert.equal(out.join(''), 'No code needed.');
      const meta = result.metadata as InterpreterMetadata;
      assert.match(meta[THREAD_METADATA_KEY], /^chat:participant:/);
      assert.deepEqual(meta.rounds, [{ text: 'No code needed.', calls: [] }]);
    });

    it("matches each result to its call id, shows each call's own outcome, and tells the model of a refused call", async () => {
      const { ask, sent, out, manager } = setup((round) =>
        round === 0 ? [text('Plotting.'), call('bad', 'noSuchTool', {}), call('plot', 'executePythonCode', { pythonCode: 'plot()' }), call('ls', 'listSessionFiles', {})] : [text('Here it is.')],
      );
      const result = await ask('chart it');
      const key = (result.metadata as InterpreterMetadata)[THREAD_METADATA_KEY];
      assert.equal(manager.sessions.get(key)?.ran[0]?.code, 'plot()', 'the calls ran in the thread the participant resolved');
      assert.equal(sent.length, 2);
      const answered = results(sent[1][sent[1].length - 1]);
      assert.deepEqual(answered.map(([id]) => id), ['bad', 'plot', 'ls']);
      assert.match(answered[0][1], /^The tool call failed: .*codeInterpreter_noSuchTool/);
      assert.match(answered[1][1], /ran 1/);
      assert.equal(answered[2][1], '/mnt/data is empty.');
      assert.deepEqual((result.metadata as InterpreterMetadata).rounds?.[0].calls.map((c) => c.callId), ['bad', 'plot', 'ls']);
      assert.doesNotMatch(out.join(''), /data:image/, 'no chart: the code made none');
    });

    it('shows the chart and the created file of the call that made them, once', async () => {
      const { ask, out, manager } = setup((round) => (round === 0 ? [call('plot', 'executePythonCode', { pythonCode: 'plot()' }), call('again', 'executePythonCode', { pythonCode: 'plot()' })] : [text('Done.')]));
      const key = 'chat:participant:fixed';
      const history = [newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [], { metadata: { [THREAD_METADATA_KEY]: key } }, PARTICIPANT_ID)];
      manager.session(key).chart = true;
      manager.session(key).creates = 'summary.csv';
      await ask('chart it', { history });
      const shown = out.join('');
      assert.equal(shown.match(/!\[chart\]\(data:image\/png;base64,/g)?.length, 2, 'one chart per call');
      assert.equal(shown.match(/<anchor sandbox-session:\/\/[0-9a-f]{16}\/summary\.csv summary\\\.csv>/g)?.length, 1, 'a file link once, however often it changed');
    });

    it('a call that wrote 3,000 files: the model reads a short report, the chat links a few dozen and counts the rest', async () => {
      const { ask, out, manager, sent } = setup((round) => (round === 0 ? [call('many', 'runShellCommand', { command: 'touch d/{1..3000}' })] : [text('Done.')]));
      const key = 'chat:participant:many';
      const history = [newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [], { metadata: { [THREAD_METADATA_KEY]: key } }, PARTICIPANT_ID)];
      manager.session(key).creates = Array.from({ length: 3000 }, (_, i) => `d/${i + 1}.csv`);
      await ask('make files', { history });
      const [[, result]] = results(sent[1][sent[1].length - 1]);
      const report = result.slice(result.indexOf('Files created or changed'));
      assert.ok(report.length <= 2000, `the report is ${report.length} characters`);
      assert.match(report, /3,000 files/);
      const shown = out.join('');
      const links = shown.match(/<anchor sandbox-session:\/\/[0-9a-f]{16}\/d\/\d+\.csv /g) ?? [];
      assert.equal(links.length, LIMITS.reportNamedFiles);
      assert.match(shown, /<anchor sandbox-session:\/\/[0-9a-f]{16}\/d\/1\.csv d\\\/1\\\.csv>, <anchor sandbox-session:\/\/[0-9a-f]{16}\/d\/2\.csv /, 'in the report\'s order');
      assert.match(shown, new RegExp(`and ${(3000 - LIMITS.reportNamedFiles).toLocaleString('en-US')} more \\(the Code Interpreter sessions view lists them all\\)`));
    });

    it('answers the calls the user cancelled halfway under their own ids', async () => {
      const source = new vscode.CancellationTokenSource();
      const { ask, manager, lastMessages } = setup(() => [call('first', 'executePythonCode', { pythonCode: 'slow()' }), call('second', 'listSessionFiles', {})]);
      const key = 'chat:participant:cancel';
      manager.session(key).runPython = async function (code: string, opts: { timeoutMs: number; signal?: AbortSignal }) {
        source.cancel();
        return Object.getPrototypeOf(this).runPython.call(this, code, opts);
      };
      const history = [newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [], { metadata: { [THREAD_METADATA_KEY]: key } }, PARTICIPANT_ID)];
      await ask('go', { history, token: source.token });
      const all = lastMessages();
      assert.deepEqual(results(all[all.length - 1]).map(([id, t]) => [id, t.startsWith('Cancelled') ? 'cancelled' : 'ran']), [['first', 'ran'], ['second', 'cancelled']]);
      assert.equal(manager.session(key).ran[0].aborted(), true, 'the running call saw the cancellation');
    });

    it('uploads #file attachments through the core and tells the model; a file over the limit is named, not read', async () => {
      const { ask, sent, out, manager, auditLines } = setup(() => [text('ok')]);
      fake.files.set('file:///ws/data.csv', Buffer.from('a,b\n1,2\n'));
      fake.files.set('file:///ws/big.bin', Buffer.alloc(2048));
      const references = [
        { id: 'data', value: vscode.Uri.file('/ws/data.csv') },
        { id: 'big', value: vscode.Uri.file('/ws/big.bin') },
        { id: 'sel', value: new vscode.Location(vscode.Uri.file('/ws/data.csv'), new vscode.Position(0, 0)) },
        { id: 'missing', value: vscode.Uri.file('/ws/gone.csv') },
        { id: 'sandbox', value: vscode.Uri.parse('sandbox-session://0123456789abcdef/x.csv') },
      ];
      const result = await ask('summarise', { references });
      const key = (result.metadata as InterpreterMetadata)[THREAD_METADATA_KEY];
      const prompt = sent[0][sent[0].length - 1].content[0] as vscode.LanguageModelTextPart;
      assert.equal(prompt.value, 'summarise\n\n(Attached and uploaded to /mnt/data: data.csv (8 B))');
      assert.deepEqual([...manager.session(key).stored.keys()], ['data.csv']);
      assert.ok(out.includes('big.bin is 2.0 KB, over the upload limit (1000 B); it was not uploaded.\n\n'), out.join('|'));
      assert.ok(out.includes('<progress Uploading data.csv to /mnt/data…>'));
      assert.deepEqual(auditLines().map((l) => [l.tool, l.caller, l.status, l.thread]), [['uploadFileToSession', 'vscode:user', 'ok', key], ['uploadFileToSession', 'vscode:user', 'rejected', key]]);
    });

    it('lists the user\'s files for /files, without the saved outputs', async () => {
      const { ask, out, manager, sent } = setup(() => [text('unused')]);
      const key = 'chat:participant:files';
      manager.session(key).stored.set('report.pdf', Buffer.alloc(2048));
      manager.session(key).stored.set('.outputs/e1.stdout.txt', Buffer.from('x'));
      const history = [newTurn<vscode.ChatResponseTurn>(vscode.ChatResponseTurn, [], { metadata: { [THREAD_METADATA_KEY]: key } }, PARTICIPANT_ID)];
      const result = await ask('', { command: 'files', history });
      assert.equal(sent.length, 0);
      assert.equal((result.metadata as InterpreterMetadata).command, 'files');
      const shown = out.join('');
      assert.match(shown, /1 files in `\/mnt\/data`:/);
      assert.match(shown, /report\\\.pdf> — 2\.0 KB, 2025-01-01 00:00:00/);
      assert.doesNotMatch(shown, /\.outputs/);
    });
  });
});
