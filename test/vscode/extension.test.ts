/**
 * Runs inside VS Code's extension host (see .vscode-test.mjs): the extension as users get it, against
 * the real Docker engine. Tools are invoked outside a chat, so they use the window's default session.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

declare function suite(name: string, fn: () => void): void;
declare function test(name: string, fn: () => Promise<void> | void): void;
declare function suiteTeardown(fn: () => Promise<void> | void): void;

const ID = 'code-interpreter.code-interpreter-vscode';
const TOOLS = ['executePythonCode', 'runShellCommand', 'generatePdfReport', 'readSessionFile', 'searchSessionFiles', 'listSessionFiles', 'getSessionFile', 'uploadFileToSession'];

function text(result: vscode.LanguageModelToolResult): string {
  return result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

suite('Code Interpreter in VS Code', () => {
  let threadKey: string | undefined;

  test('activates and registers the eight tools and the commands', async () => {
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, `${ID} is installed`);
    await ext.activate();
    for (const t of TOOLS) assert.ok(vscode.lm.tools.some((x) => x.name === `codeInterpreter_${t}`), t);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['runSelection', 'openOutputPanel', 'exportNotebook', 'newSession']) assert.ok(commands.includes(`codeInterpreter.${c}`), c);
  });

  test('executePythonCode returns the stdout text and the chart as a PNG data part', async () => {
    const code = 'import matplotlib.pyplot as plt\nx = 6 * 7\nprint("answer", x)\nplt.plot([1, 2, 3]); plt.savefig("line.png")';
    const result = await vscode.lm.invokeTool('codeInterpreter_executePythonCode', { input: { pythonCode: code }, toolInvocationToken: undefined });
    assert.match(text(result), /answer 42/);
    assert.match(text(result), /line\.png/);
    const png = result.content.find((p) => p instanceof vscode.LanguageModelDataPart && p.mimeType === 'image/png') as vscode.LanguageModelDataPart | undefined;
    assert.ok(png && png.data[0] === 0x89 && png.data[1] === 0x50, 'a PNG image part');
    const api = vscode.extensions.getExtension(ID)!.exports as { model: { active: string } };
    threadKey = api.model.active;
  });

  test('variables persist, and session files open through sandbox-session:', async () => {
    const result = await vscode.lm.invokeTool('codeInterpreter_executePythonCode', { input: { pythonCode: 'print(x + 1)' }, toolInvocationToken: undefined });
    assert.match(text(result), /43/);
    const api = vscode.extensions.getExtension(ID)!.exports as { model: { session(k: string): { names: { threadHash: string } } } };
    const hash = api.model.session(threadKey!).names.threadHash;
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.parse(`sandbox-session://${hash}/line.png`));
    assert.equal(bytes[0], 0x89);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(vscode.Uri.parse(`sandbox-session://${hash}/x.txt`), new Uint8Array([1]))));
  });

  test('paths outside /mnt/data are refused with an explanation', async () => {
    const result = await vscode.lm.invokeTool('codeInterpreter_readSessionFile', { input: { path: '../../etc/passwd' }, toolInvocationToken: undefined });
    assert.match(text(result), /refused/i);
  });

  suiteTeardown(async () => {
    // This suite's session is the test workspace's default one: delete it (container and files).
    const api = vscode.extensions.getExtension(ID)?.exports as { model: { session(k: string): { delete(): Promise<void> } } } | undefined;
    if (api && threadKey) await api.model.session(threadKey).delete();
  });
});
