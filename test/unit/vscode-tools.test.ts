import { fake, resetFake } from './fake-vscode';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { AuditLog, outcome, silentLogger, TOOL_SCHEMAS, UploadSource, uploadTooLarge } from '../../src/core';
import type { ConfirmMode, Settings } from '../../src/vscode/config';
import { SessionsModel } from '../../src/vscode/sessions';
import { defaultThreadKey } from '../../src/vscode/threads';
import { fence, inlineCode, ToolService, toolId, toToolResult, withDefaultTimeout } from '../../src/vscode/tools';
import { FakeManager, memento, PNG_BASE64 } from './fake-core';

const RESOURCE = 'vscode-chat-session://local/dGhyZWFk';
const chatToken = () => ({ sessionResource: vscode.Uri.parse(RESOURCE) });
const chatKey = () => `chat:${vscode.Uri.parse(RESOURCE).toString()}`;

interface AuditLine {
  tool: string;
  caller: string;
  thread: string;
  status: string;
  code?: string;
  filesWritten: string[];
  error?: string;
}

function setup(confirm: ConfirmMode = 'always') {
  const manager = new FakeManager();
  const model = new SessionsModel(manager.asManager(), memento() as unknown as vscode.Memento, silentLogger);
  const audit = new AuditLog(mkdtempSync(join(tmpdir(), 'ci-vscode-tools-')));
  const settings = { confirm, pythonTimeoutSeconds: 77, shellTimeoutSeconds: 33, maxUploadBytes: 1000 } as Settings;
  const events: string[] = [];
  const service = new ToolService({
    model,
    settings: () => settings,
    audit: () => audit,
    log: silentLogger,
    ready: async () => void events.push('ready'),
  });
  service.register();
  const tool = (name: string) => fake.tools.get(toolId(name as never))!;
  const prepare = (name: string, input: unknown) => tool(name).prepareInvocation!({ input }, new vscode.CancellationTokenSource().token) as vscode.PreparedToolInvocation;
  const invoke = (name: string, input: unknown, toolInvocationToken?: unknown, token = new vscode.CancellationTokenSource().token) => tool(name).invoke({ input, toolInvocationToken }, token);
  const auditLines = (): AuditLine[] => (existsSync(audit.file) ? readFileSync(audit.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine) : []);
  return { manager, model, service, settings, events, prepare, invoke, auditLines };
}

const text = (r: vscode.LanguageModelToolResult) => r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('\n');
const md = (m: string | vscode.MarkdownString | undefined) => (typeof m === 'string' ? m : (m?.value ?? ''));

describe('src/vscode/tools.ts', () => {
  beforeEach(() => resetFake());

  it('registers the eight core tools under codeInterpreter_ ids', () => {
    setup();
    assert.deepEqual([...fake.tools.keys()].sort(), TOOL_SCHEMAS.map((s) => `codeInterpreter_${s.name}`).sort());
  });

  describe('prepare messages', () => {
    it('shows the code to confirm, fenced so that it cannot close its own fence', () => {
      const { prepare } = setup('always');
      const code = 'print("```")\n```\nstill code';
      const p = prepare('executePythonCode', { pythonCode: code });
      assert.equal(p.invocationMessage, 'Running Python in Default session');
      assert.equal(p.confirmationMessages?.title, 'Run Python in the sandbox?');
      const message = md(p.confirmationMessages?.message);
      assert.ok(message.includes(fence(code, 'python')), message);
      assert.ok(message.includes('````python\n'), 'a fence longer than any run of backticks in the code');
      assert.ok(message.includes('Session: **Default session**'), message);
      const shell = prepare('runShellCommand', { command: 'wc -l *.csv', explanation: 'Counts lines.' });
      assert.match(md(shell.confirmationMessages?.message), /Counts lines\.\n\n```bash\nwc -l \*\.csv\n```/);
      const pdf = prepare('generatePdfReport', { pythonCode: 'x', expectedOutputFilename: 'r.pdf', saveAsFilename: 'final.pdf' });
      assert.equal(pdf.confirmationMessages?.title, 'Generate a PDF report in the sandbox?');
      assert.ok(md(pdf.confirmationMessages?.message).includes(`Writes ${inlineCode('r.pdf')}, saved as ${inlineCode('final.pdf')}.`));
    });

    it('confirms code only when the setting says always, but moving data always', () => {
      const { prepare } = setup('never');
      (vscode.workspace as { workspaceFolders: unknown }).workspaceFolders = [{ uri: vscode.Uri.file('/ws'), name: 'ws', index: 0 }];
      assert.equal(prepare('executePythonCode', { pythonCode: 'print(1)' }).confirmationMessages, undefined);
      assert.equal(prepare('runShellCommand', { command: 'ls' }).confirmationMessages, undefined);
      const up = prepare('uploadFileToSession', { source: 'data/in.csv' });
      assert.equal(up.confirmationMessages?.title, 'Copy a workspace file into the sandbox?');
      assert.ok(md(up.confirmationMessages?.message).includes(`From your machine: ${inlineCode('/ws/data/in.csv')}`));
      assert.ok(md(up.confirmationMessages?.message).includes(`To the sandbox: ${inlineCode('/mnt/data/in.csv')}`));
      assert.ok(md(prepare('uploadFileToSession', { source: 'in.csv', destination: '/raw/x.csv' }).confirmationMessages?.message).includes(inlineCode('/mnt/data/raw/x.csv')));
      assert.equal(prepare('getSessionFile', { path: 'out.csv' }).confirmationMessages, undefined, 'showing a file moves nothing');
      const save = prepare('getSessionFile', { path: 'out.csv', saveTo: 'results/out.csv' });
      assert.equal(save.confirmationMessages?.title, 'Save a sandbox file into your workspace?');
      assert.ok(md(save.confirmationMessages?.message).includes(inlineCode('/ws/results/out.csv')));
    });

    it('says what read-only tools do without asking, and survives input that is no object', () => {
      const { prepare } = setup('always');
      assert.deepEqual(prepare('readSessionFile', { path: 'a.txt' }), { invocationMessage: 'Reading a.txt' });
      assert.deepEqual(prepare('searchSessionFiles', { pattern: 'x`y' }), { invocationMessage: `Searching the sandbox for ${inlineCode('x`y')}` });
      assert.deepEqual(prepare('listSessionFiles', 'not an object'), { invocationMessage: 'Listing files in Default session' });
      assert.equal(md(prepare('executePythonCode', { pythonCode: 42 }).confirmationMessages?.message).includes('```python\n\n```'), true, 'a code that is no string shows as empty');
    });
  });

  describe('invoke', () => {
    it("runs in the chat's thread, with the settings' timeout, after ready, audited once as vscode:chat", async () => {
      const { invoke, manager, model, events, auditLines } = setup();
      const result = await invoke('executePythonCode', { pythonCode: 'print(1)' }, chatToken());
      assert.match(text(result), /ran 1/);
      const session = manager.sessions.get(chatKey())!;
      assert.ok(session, `ran in ${[...manager.sessions.keys()].join(', ')}`);
      assert.equal(session.ran[0].timeoutMs, 77_000, 'the python timeout setting');
      assert.deepEqual(events, ['ready']);
      assert.equal(model.active, chatKey(), 'code makes its thread the active one');
      const lines = auditLines();
      assert.equal(lines.length, 1);
      assert.deepEqual({ tool: lines[0].tool, caller: lines[0].caller, thread: lines[0].thread, status: lines[0].status, code: lines[0].code }, { tool: 'executePythonCode', caller: 'vscode:chat', thread: chatKey(), status: 'ok', code: 'print(1)' });
    });

    it('keeps a timeout the model gave, and names a call with no chat vscode:lm-tool in the default session', async () => {
      const { invoke, manager, model, auditLines } = setup();
      const before = model.active;
      await invoke('runShellCommand', { command: 'ls', timeoutSeconds: 9 });
      const session = manager.sessions.get(defaultThreadKey())!;
      assert.equal(session.ran[0].timeoutMs, 9_000);
      assert.equal(session.ran[0].kind, 'shell');
      assert.equal(auditLines()[0].caller, 'vscode:lm-tool');
      await invoke('listSessionFiles', {}, chatToken());
      assert.equal(model.active, before, 'listing files does not change the active session');
    });

    it('turns input that is no object into a rejected, audited result', async () => {
      const { invoke, manager, events, auditLines } = setup();
      const result = await invoke('executePythonCode', ['print(1)'], chatToken());
      assert.equal(text(result), 'Invalid request: The arguments of executePythonCode must be an object.');
      assert.deepEqual(events, [], 'a refused call waits for no sandbox');
      assert.equal(manager.sessions.get(chatKey())?.ran.length ?? 0, 0);
      const [line] = auditLines();
      assert.deepEqual([line.tool, line.status, line.caller], ['executePythonCode', 'rejected', 'vscode:chat']);
    });

    it('maps the cancellation token to the AbortSignal the core sees', async () => {
      const { invoke, manager } = setup();
      const source = new vscode.CancellationTokenSource();
      const running = invoke('executePythonCode', { pythonCode: 'x' }, chatToken(), source.token);
      source.cancel();
      await running;
      assert.equal(manager.sessions.get(chatKey())!.ran[0].aborted(), true);
      const again = new vscode.CancellationTokenSource();
      await invoke('executePythonCode', { pythonCode: 'y' }, chatToken(), again.token);
      assert.equal(manager.sessions.get(chatKey())!.ran[1].aborted(), false, 'one controller per call');
    });
  });

  describe('result shaping', () => {
    it('hands the model the text, then real images as data parts, and says which were left out', () => {
      const fakePng = Buffer.from('<svg onload=alert(1)>').toString('base64');
      const r = toToolResult(outcome('executePythonCode', 'ok', 'the text', { images: [{ mimeType: 'image/png', data: PNG_BASE64 }, { mimeType: 'image/png', data: fakePng }] }));
      assert.equal(r.content.length, 3);
      assert.ok(r.content[0] instanceof vscode.LanguageModelTextPart);
      assert.equal((r.content[0] as vscode.LanguageModelTextPart).value, 'the text');
      const image = r.content[1] as vscode.LanguageModelDataPart;
      assert.ok(image instanceof vscode.LanguageModelDataPart);
      assert.equal(image.mimeType, 'image/png');
      assert.deepEqual(Buffer.from(image.data), Buffer.from(PNG_BASE64, 'base64'));
      assert.equal((r.content[2] as vscode.LanguageModelTextPart).value, '[1 image output was not valid image data and is not attached]');
      assert.equal(toToolResult(outcome('listSessionFiles', 'ok', 'x')).content.length, 1);
    });

    it("fills in the settings' timeouts only where the model gave none", () => {
      const s = { pythonTimeoutSeconds: 77, shellTimeoutSeconds: 33 } as Settings;
      assert.deepEqual(withDefaultTimeout({ name: 'executePythonCode', input: { pythonCode: 'x' } }, s), { name: 'executePythonCode', input: { pythonCode: 'x', timeoutSeconds: 77 } });
      assert.deepEqual(withDefaultTimeout({ name: 'runShellCommand', input: { command: 'ls' } }, s), { name: 'runShellCommand', input: { command: 'ls', timeoutSeconds: 33 } });
      assert.deepEqual(withDefaultTimeout({ name: 'executePythonCode', input: { pythonCode: 'x', timeoutSeconds: 5 } }, s).input, { pythonCode: 'x', timeoutSeconds: 5 });
      const pdf = { name: 'generatePdfReport', input: { pythonCode: 'x', expectedOutputFilename: 'a.pdf', saveAsFilename: 'a.pdf' } } as const;
      assert.equal(withDefaultTimeout(pdf, s), pdf);
    });
  });

  describe('operations for the rest of the extension', () => {
    it('uploads files the user handed over through the core: one audited upload each, the limit checked before reading', async () => {
      const { service, manager, auditLines } = setup();
      let bigRead = false;
      const sources: UploadSource[] = [
        { name: 'a.csv', read: async () => Buffer.from('1,2'), from: '/ws/a.csv' },
        { name: 'a.csv', read: async () => Buffer.from('other'), from: '/elsewhere/a.csv' },
        { name: 'big.bin', size: 5000, read: async () => ((bigRead = true), Buffer.alloc(5000)) },
        { name: 'dir/b.txt', read: async () => Buffer.from('b') },
      ];
      const attached = await service.upload('manual:1', sources, 'vscode:user');
      assert.deepEqual(attached.uploads.map((u) => [u.source.from ?? u.source.name, u.outcome.status]), [['/ws/a.csv', 'ok'], ['big.bin', 'rejected'], ['dir/b.txt', 'ok']]);
      assert.equal(bigRead, false, 'a file over the limit is never read');
      assert.deepEqual(uploadTooLarge(attached.uploads[1].outcome), { size: 5000, limit: 1000 });
      assert.equal(attached.note, '(Attached and uploaded to /mnt/data: a.csv (3 B); dir_b.txt (1 B))');
      const session = manager.sessions.get('manual:1')!;
      assert.deepEqual([...session.stored.keys()].sort(), ['a.csv', 'dir_b.txt']);
      assert.equal(session.stored.get('a.csv')!.toString(), '1,2', 'the second a.csv is not uploaded over the first');
      assert.deepEqual(
        auditLines().map((l) => [l.tool, l.caller, l.status, l.filesWritten]),
        [['uploadFileToSession', 'vscode:user', 'ok', ['a.csv']], ['uploadFileToSession', 'vscode:user', 'rejected', []], ['uploadFileToSession', 'vscode:user', 'ok', ['dir_b.txt']]],
      );
    });

    it('saves a session file where the user chose through the core, audited with where it went', async () => {
      const { service, manager, auditLines } = setup();
      manager.session('manual:1').stored.set('out/r.csv', Buffer.from('x,y'));
      let written: Buffer | undefined;
      const o = await service.saveAs('manual:1', 'out/r.csv', async (data) => ((written = data), { label: 'r.csv', hostPath: '/ws/r.csv' }), 'vscode:user');
      assert.equal(o.status, 'ok');
      assert.equal(o.text, 'Saved out/r.csv (3 B) to r.csv.');
      assert.equal(written?.toString(), 'x,y');
      const missing = await service.saveAs('manual:1', 'nope.csv', async () => assert.fail('nothing to write'), 'vscode:user');
      assert.equal(missing.status, 'rejected');
      assert.deepEqual(
        auditLines().map((l) => [l.tool, l.caller, l.status, l.filesWritten]),
        [['getSessionFile', 'vscode:user', 'ok', ['/ws/r.csv']], ['getSessionFile', 'vscode:user', 'rejected', []]],
      );
    });

    it("hands a participant each call's own outcome, and runs token-less calls in its thread while it is in flight", async () => {
      const { service, manager } = setup();
      manager.session('chat:participant:1').chart = true;
      const calls = service.beginParticipantRequest('chat:participant:1');
      const token = new vscode.CancellationTokenSource().token;
      const first = await calls.invoke(new vscode.LanguageModelToolCallPart('c1', toolId('executePythonCode'), { pythonCode: '1' }), undefined as never, token);
      const second = await calls.invoke(new vscode.LanguageModelToolCallPart('c2', toolId('listSessionFiles'), {}), undefined as never, token);
      assert.equal(first.outcome?.tool, 'executePythonCode');
      assert.equal(first.outcome?.images.length, 1);
      assert.equal(second.outcome?.tool, 'listSessionFiles');
      assert.match(text(first.result), /ran 1/);
      assert.equal(manager.sessions.get('chat:participant:1')!.ran.length, 1);
      calls.dispose();
      await fake.tools.get(toolId('executePythonCode'))!.invoke({ input: { pythonCode: '2' }, toolInvocationToken: undefined }, token);
      assert.equal(manager.sessions.get(defaultThreadKey())!.ran.length, 1, 'after the request, the default session again');
    });
  });
});
