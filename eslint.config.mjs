// Lint: typescript-eslint's recommended rules (no type information: fast) and the layers, held as
// import zones. test/unit/layers.test.ts lints a probe file in each zone through ESLint's API.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_'));

/** A relative import that reaches one of these folders of src/, from anywhere below src/. */
const toSrc = (...dirs) => `^(\\.{1,2}/)+(.*/)?(${dirs.join('|')})(/|$)`;

/** no-restricted-imports for one zone (the typescript-eslint flavour also sees `import x = require(…)`). */
const zone = (files, paths, patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
});

const noVscode = { name: 'vscode', message: 'Only src/vscode talks to the VS Code API.' };

export default defineConfig(
  globalIgnores(['out/', 'dist/', 'node_modules/', '.e2e/', '.test-artifacts/', 'test/e2e/toolchain/', 'sandbox-image/', '**/*.vsix']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `catch {}` and `() => {}` are how this code says "nothing to do" (best-effort cleanup, no-op callbacks).
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-empty-function': 'off',
      // `await using _s = …` holds a session for its disposal only: `_` names are unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The `let x: T | undefined` read by a callback before its one assignment is how a dependency cycle is tied (extension.ts).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: ANSI escapes are matched on purpose (terminal output, the webview's ANSI renderer).
      'no-control-regex': 'off',
      // Off: the explicit `any`s are deliberate (command handlers take each command's own arguments, bench JSON); implicit any is tsc's.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['webview/**'], languageOptions: { globals: globals.browser } },
  // The e2e suite's page.evaluate callbacks run in the browser.
  { files: ['test/e2e/**'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  // CommonJS (the e2e suite's scripted-model extension): require() is how it imports.
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },

  zone(['src/core/**'], [noVscode], [
    { regex: toSrc('vscode', 'cli', 'mcp'), message: 'src/core imports none of the adapters (src/vscode, src/cli, src/mcp).' },
  ]),
  zone(['src/cli/**', 'src/mcp/**'], [noVscode], [
    { regex: toSrc('vscode'), message: 'The CLI and the MCP server do not import the VS Code adapter.' },
  ]),
  zone(['src/vscode/**'], [
    ...['dockerode', 'docker-modem', 'ssh2'].map((name) => ({ name, message: 'src/vscode goes through the session API, not Docker.' })),
  ], [
    { regex: '(^|/)core/sandbox(/|$)', message: 'src/vscode goes through the session API (src/core), not core/sandbox.' },
  ]),
  zone(['webview/**'], [
    noVscode,
    ...NODE_BUILTINS.map((name) => ({ name, message: 'The webview runs in a browser: no Node built-ins.' })),
  ], [
    { regex: '^node:', message: 'The webview runs in a browser: no Node built-ins.' },
    { regex: '^\\.\\./', message: 'The webview imports nothing outside webview/ (webview/protocol.ts holds the shared message types).' },
  ]),
);
