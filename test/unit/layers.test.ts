import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { parseWebviewMessage } from '../../webview/protocol';

const root = join(__dirname, '..', '..', '..');

/**
 * The layers are held by lint (eslint.config.mjs, `npm run lint` in CI). These probes lint source text
 * as if it were a file at `file` (which need not exist) through ESLint's API, with the project's config,
 * and return the layer messages: proof that each zone is enforced, and does not forbid what is allowed.
 */
const eslint = new ESLint({ cwd: root });
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  assert.equal(result.fatalErrorCount, 0, JSON.stringify(result.messages));
  return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports' && m.severity === 2).map((m) => m.message);
}

async function refused(file: string, imports: string[]) {
  for (const line of imports) assert.equal((await layerErrors(file, `${line}\n`)).length, 1, `${file}: ${line} is a lint error`);
}

async function allowed(file: string, imports: string[]) {
  assert.deepEqual(await layerErrors(file, imports.join('\n') + '\n'), [], `${file}: these imports are allowed`);
}

describe('layers (lint)', () => {
  it('src/core imports neither vscode nor the adapters', async () => {
    await refused('src/core/probe.ts', [
      "import * as vscode from 'vscode';",
      "import type { Uri } from 'vscode';",
      "import { Commands } from '../vscode/commands';",
      "import { startMcpServer } from '../mcp';",
      "export { main } from '../cli/main';",
    ]);
    await refused('src/core/tools/probe.ts', ["import '../../vscode/extension';", "import vscode = require('vscode');"]);
    await allowed('src/core/tools/probe.ts', ["import { join } from 'node:path';", "import Docker from 'dockerode';", "import { LIMITS } from '../policy/limits';", "import { ToolName } from './base';"]);
  });

  it('src/cli and src/mcp do not import the VS Code adapter', async () => {
    for (const dir of ['cli', 'mcp']) {
      await refused(`src/${dir}/probe.ts`, ["import * as vscode from 'vscode';", "import { activate } from '../vscode/extension';"]);
      await allowed(`src/${dir}/probe.ts`, ["import { TOOLS } from '../core/tools';", "import { spawn } from 'node:child_process';"]);
    }
  });

  it('src/vscode never talks to Docker directly', async () => {
    await refused('src/vscode/probe.ts', ["import Docker from 'dockerode';", "import { Client } from 'ssh2';", "import { DockerClient } from '../core/sandbox/docker';"]);
    await allowed('src/vscode/probe.ts', ["import * as vscode from 'vscode';", "import { SessionManager } from '../core';", "import { TOOL_SCHEMAS } from '../core/tools/schemas';"]);
  });

  it('webview/ imports neither core, the extension, vscode nor Node built-ins', async () => {
    await refused('webview/probe.ts', [
      "import * as vscode from 'vscode';",
      "import { readFileSync } from 'node:fs';",
      "import { readFileSync } from 'fs';",
      "import * as path from 'path';",
      "import { spawn } from 'child_process';",
      "import { TOOL_SCHEMAS } from '../src/core/tools/schemas';",
      "import { Commands } from '../src/vscode/commands';",
    ]);
    await allowed('webview/probe.ts', ["import MarkdownIt from 'markdown-it';", "import { HostMessage } from './protocol';", "import '@vscode-elements/elements/dist/vscode-button/index.js';"]);
  });
});

describe('webview messages', () => {
  const session = '0123456789abcdef';
  it('accepts exactly the declared shapes', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'selectSession', session }), { type: 'selectSession', session });
    assert.deepEqual(parseWebviewMessage({ type: 'openFile', session, path: 'out/chart.png' }), { type: 'openFile', session, path: 'out/chart.png' });
  });
  it('refuses anything else', () => {
    for (const bad of [
      null,
      'ready',
      [],
      { type: 'ready', extra: 1 },
      { type: 'selectSession', session: '../../etc' },
      { type: 'selectSession', session: session.toUpperCase() },
      { type: 'openFile', session, path: '' },
      { type: 'openFile', session, path: 'x'.repeat(5000) },
      { type: 'openFile', session, path: 3 },
      { type: 'runCode', session, code: 'print(1)' },
      { type: 'interrupt' },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});
