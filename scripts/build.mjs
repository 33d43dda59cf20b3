// Bundles the CLI (and, when present, the extension) with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';

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

if (process.argv.includes('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await chmod('dist/cli.js', 0o755);
}
