// Extension-host tests in desktop VS Code, for machines that can download it (not run in CI, where
// test/e2e/ drives code-server instead): `npm i -D @vscode/test-cli @vscode/test-electron`, then
// `npm run test:vscode`. They need a Docker engine, like the integration tests.
import { defineConfig } from '@vscode/test-cli';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workspace = mkdtempSync(join(tmpdir(), 'ci-vscode-test-'));
writeFileSync(join(workspace, 'numbers.csv'), 'n\n1\n2\n3\n');

export default defineConfig({
  label: 'extension-host',
  files: 'out/test/vscode/**/*.test.js',
  version: '1.139.1',
  workspaceFolder: workspace,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'tdd', timeout: 300_000 },
});
