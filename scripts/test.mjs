// Runs the test tiers with node:test: unit (no Docker), then integration (real Docker engine and image).
// `node scripts/test.mjs unit` or `... integration` runs one tier.
import { spawnSync } from 'node:child_process';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration'];
let failed = false;
for (const tier of tiers) {
  console.log(`\n# ${tier} tests`);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', `out/test/${tier}/`], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
