import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseWebviewMessage } from '../../webview/protocol';

const root = join(__dirname, '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers of every import/require/export-from in a file. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\s)import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    specs.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return specs;
}

const NODE = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

describe('layers', () => {
  it('webview/ imports neither core, the extension, vscode nor Node built-ins', () => {
    const found = files(join(root, 'webview'));
    assert.ok(found.length >= 3, 'webview sources exist');
    for (const f of found) {
      for (const spec of imports(f)) {
        const where = `${relative(root, f)} imports ${spec}`;
        assert.notEqual(spec, 'vscode', where);
        assert.ok(!NODE.has(spec) && !spec.startsWith('node:'), where);
        assert.ok(!/(^|\/)src\//.test(spec) && !spec.startsWith('..'), where);
      }
    }
  });

  it('src/vscode never talks to Docker directly', () => {
    for (const f of files(join(root, 'src', 'vscode'))) {
      for (const spec of imports(f)) {
        assert.ok(!/^(dockerode|docker-modem|ssh2)$/.test(spec), `${relative(root, f)} imports ${spec}`);
        assert.ok(!spec.includes('core/sandbox/'), `${relative(root, f)} imports ${spec}: go through the session API`);
      }
    }
  });

  it('the imports this test reads are the real ones', () => {
    const mainImports = imports(join(root, 'webview', 'main.ts'));
    assert.ok(mainImports.includes('./protocol'));
    assert.ok(mainImports.some((s) => s.startsWith('@vscode-elements/elements')));
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
