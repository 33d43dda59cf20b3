// Bundles the CLI (and, when present, the extension) with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir } from 'node:fs/promises';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ssh2 (via dockerode) loads optional native add-ons inside try/catch; keep them out of the bundle.
  external: ['vscode', 'cpu-features', '*.node'],
};

const builds = [{ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' }];
if (existsSync('src/vscode/extension.ts')) builds.push({ ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' });
// The output panel's page: a browser bundle (no Node, no vscode), loaded by the webview under a nonce CSP.
if (existsSync('webview/main.ts')) {
  builds.push({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' });
  // vscode-elements draws its icons with the codicon font, shipped next to the bundle.
  await mkdir('dist/codicons', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) await cp(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);
  // plotly.js's strict bundle (no eval: the panel's CSP has no 'unsafe-eval'), which the panel loads
  // only when it shows a Plotly figure (webview/plotly.ts).
  await cp('node_modules/plotly.js-strict-dist-min/plotly-strict.min.js', 'dist/plotly.min.js');
}

if (process.argv.includes('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await chmod('dist/cli.js', 0o755);
}
