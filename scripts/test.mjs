// Runs the test tiers with node:test: unit (no Docker), integration (real Docker engine and image),
// remote (the same engine through a Docker context, tcp:// with TLS and ssh://; needs root, sshd, openssl).
// `node scripts/test.mjs unit` (or `integration`, `remote`) runs one tier; a failing tier is named at the end.
import { spawnSync } from 'node:child_process';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'remote'];
const failed = [];
for (const tier of tiers) {
  console.log(`\n# ${tier} tests`);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', `out/test/${tier}/`], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(tier);
}
if (failed.length) console.error(`\n# FAILED tier(s): ${failed.join(', ')}`);
else console.log(`\n# passed: ${tiers.join(', ')}`);
process.exit(failed.length ? 1 : 0);
