// npm run manifest: writes package.json's contributes.languageModelTools, and the tool.* strings of
// package.nls.json, from TOOL_SCHEMAS (src/core/tools/schemas.ts), their one source. Everything else
// in both files is kept as it is, in the same JSON layout (2-space indent, trailing newline).
// `--check` writes nothing and exits 1 when either file differs from what it would write
// (test/unit/manifest.test.ts runs it).
import { buildSync } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

// The schemas module is TypeScript: bundle it (with the limits it reads) and import the result.
const [bundle] = buildSync({ entryPoints: [join(root, 'src/core/tools/schemas.ts')], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'error' }).outputFiles;
const { TOOL_SCHEMAS, VSCODE_TOOL_PREFIX } = await import(`data:text/javascript;base64,${Buffer.from(bundle.contents).toString('base64')}`);

const key = (name, field) => `tool.${name}.${field}`;

const tools = TOOL_SCHEMAS.map((s) => ({
  name: `${VSCODE_TOOL_PREFIX}${s.name}`,
  toolReferenceName: s.name,
  displayName: `%${key(s.name, 'displayName')}%`,
  userDescription: `%${key(s.name, 'userDescription')}%`,
  modelDescription: s.description,
  icon: s.icon,
  canBeReferencedInPrompt: true,
  tags: ['code-interpreter', 'sandbox', s.readOnly ? 'read-only' : 'side-effects'],
  inputSchema: s.inputSchema,
}));
const toolStrings = Object.fromEntries(TOOL_SCHEMAS.flatMap((s) => [[key(s.name, 'displayName'), s.title], [key(s.name, 'userDescription'), s.userDescription]]));

const files = {
  'package.json': (pkg) => ({ ...pkg, contributes: { ...pkg.contributes, languageModelTools: tools } }),
  // The tool strings take the place of the first tool.* key there was (or go first); other keys stay in order.
  'package.nls.json': (nls) => {
    const entries = Object.entries(nls);
    const at = entries.findIndex(([k]) => k.startsWith('tool.'));
    const rest = entries.filter(([k]) => !k.startsWith('tool.'));
    const before = at < 0 ? 0 : entries.slice(0, at).filter(([k]) => !k.startsWith('tool.')).length;
    return Object.fromEntries([...rest.slice(0, before), ...Object.entries(toolStrings), ...rest.slice(before)]);
  },
};

/** The top-level keys (or tools, by name) whose JSON differs: what a failed check names. */
function differences(a, b) {
  const byName = (v) => (Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [x?.name ?? i, x])) : v);
  const [x, y] = [byName(a), byName(b)];
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

const stale = [];
for (const [file, update] of Object.entries(files)) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const now = JSON.parse(text);
  const want = update(now);
  const next = `${JSON.stringify(want, null, 2)}\n`;
  if (next === text) continue;
  const what = file === 'package.json' ? differences(now.contributes.languageModelTools, want.contributes.languageModelTools) : differences(now, want);
  stale.push(`${file} (${what.join(', ') || 'layout'})`);
  if (!check) writeFileSync(path, next);
}
if (check && stale.length) {
  console.error(`Not generated from TOOL_SCHEMAS (src/core/tools/schemas.ts): ${stale.join('; ')}. Run npm run manifest.`);
  process.exit(1);
}
console.log(check ? 'package.json and package.nls.json match TOOL_SCHEMAS' : stale.length ? `wrote ${stale.join('; ')}` : 'package.json and package.nls.json are up to date');
