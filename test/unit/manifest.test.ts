import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TOOL_SCHEMAS, VSCODE_TOOL_PREFIX } from '../../src/core/tools/schemas';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nls: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8'));
const contract = readFileSync(join(root, 'docs', 'vscode-contract.md'), 'utf8');

/** Every %key% in a JSON value. */
function nlsKeys(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') for (const m of value.matchAll(/^%([^%]+)%$/g)) out.push(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => nlsKeys(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => nlsKeys(v, out));
  return out;
}

describe('package.json manifest', () => {
  it('contributes the tools exactly as npm run manifest writes them from TOOL_SCHEMAS', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'manifest.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `package.json or package.nls.json is not what TOOL_SCHEMAS gives: run npm run manifest\n${r.stderr}${r.stdout}`);
  });

  it('contributes the eight tools under their VS Code ids', () => {
    const tools = pkg.contributes.languageModelTools as { name: string; toolReferenceName: string; canBeReferencedInPrompt: boolean }[];
    assert.deepEqual(tools.map((t) => t.toolReferenceName), TOOL_SCHEMAS.map((s) => s.name));
    for (const tool of tools) {
      assert.equal(tool.name, `${VSCODE_TOOL_PREFIX}${tool.toolReferenceName}`);
      assert.match(tool.name, /^(?!copilot_|vscode_)[\w-]+$/);
      assert.equal(tool.canBeReferencedInPrompt, true);
    }
  });

  it('gives every command a category and a title from package.nls.json', () => {
    const commands = pkg.contributes.commands as { command: string; title: string; category?: string }[];
    for (const c of commands) {
      assert.ok(c.category, `${c.command} has a category`);
      assert.match(c.title, /^%.+%$/, `${c.command}'s title is localised`);
    }
  });

  it('has exactly the commands the contract names', () => {
    const names = [...contract.matchAll(/`(?:codeInterpreter)?\.(\w+)`/g)].map((m) => `codeInterpreter.${m[1]}`);
    const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepEqual(contributed, [...new Set(names)].filter((n) => !n.endsWith('.interpreter') && !n.endsWith('.sessions') && !n.endsWith('.outputPanel')).sort());
  });

  it('uses the contract identifiers', () => {
    assert.equal(`${pkg.publisher}.${pkg.name}`, 'code-interpreter.code-interpreter-vscode');
    assert.equal(pkg.main, './dist/extension.js');
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    const participant = pkg.contributes.chatParticipants[0];
    assert.equal(participant.id, 'codeInterpreter.interpreter');
    assert.equal(participant.name, 'interpreter');
    assert.deepEqual(participant.commands.map((c: { name: string }) => c.name).sort(), ['export', 'files', 'notebook', 'reset']);
    assert.ok(pkg.contributes.viewsContainers.activitybar.some((v: { id: string }) => v.id === 'codeInterpreter'));
    assert.ok(pkg.contributes.views.codeInterpreter.some((v: { id: string }) => v.id === 'codeInterpreter.sessions'));
    assert.ok(pkg.activationEvents.includes('onFileSystem:sandbox-session'));
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:codeInterpreter.outputPanel'));
  });

  it('declares the contract settings', () => {
    const props = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^codeInterpreter\./, '')).sort();
    assert.deepEqual(props, ['audit.code', 'audit.enabled', 'confirm', 'cpus', 'dockerHost', 'environment.path', 'idleStopMinutes', 'image', 'maxUploadMb', 'memoryMb', 'network', 'pidsLimit', 'retentionDays', 'runtime', 'pythonTimeoutSeconds', 'shellTimeoutSeconds'].sort());
    const p = pkg.contributes.configuration.properties;
    assert.deepEqual(p['codeInterpreter.confirm'].enum, ['always', 'dataMovesOnly', 'never']);
    assert.deepEqual(p['codeInterpreter.audit.code'].enum, ['code', 'hash']);
    // A workspace may not loosen the sandbox: these are machine-scoped.
    for (const k of ['network', 'runtime', 'image', 'confirm', 'memoryMb', 'dockerHost']) assert.equal(p[`codeInterpreter.${k}`].scope, 'machine', k);
  });

  it('has every %key% in package.nls.json, and no unused key', () => {
    const used = new Set(nlsKeys(pkg));
    for (const key of used) assert.ok(key in nls, `package.nls.json has ${key}`);
    for (const key of Object.keys(nls)) assert.ok(used.has(key), `${key} is used`);
  });

  it('ships the files the VSIX needs', () => {
    for (const f of ['LICENSE', '.vscodeignore', 'media/icon.png', 'media/icon.svg', 'media/panel.css']) assert.ok(existsSync(join(root, f)), f);
    const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8');
    for (const keep of ['!dist/extension.js', '!dist/webview.js', '!dist/plotly.min.js', '!sandbox-image/**', '!media/**', '!package.nls.json']) assert.ok(ignore.includes(keep), keep);
    assert.match(pkg.engines.vscode, /^\^1\.1(3[0-9])\.\d+$/);
  });
});
