// Helpers for the e2e suite: processes, code-server, Docker, and driving the VS Code workbench in
// Chromium with playwright-core. See run.mjs for the suite itself.
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class AssertionError extends Error {}
export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

export function log(...args) {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[e2e ${t}]`, ...args);
}

/** Runs a command to completion; resolves with {code, stdout, stderr}; never rejects. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), error: err });
    });
  });
}

/** Runs a command with its output streamed to this process; rejects on a non-zero exit. */
export function runLoud(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit', ...opts });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls fn until it returns a truthy value or the time is up; the last error is kept for the message. */
export async function waitFor(what, fn, { timeoutMs = 30_000, intervalMs = 500 } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new AssertionError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${last.message.split('\n')[0]})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function tail(file, lines = 80) {
  try {
    const text = readFileSync(file, 'utf8').split('\n');
    return text.slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

export function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- code-server

export class CodeServer {
  constructor({ node, entry, userDataDir, extensionsDir, env, logFile }) {
    Object.assign(this, { node, entry, userDataDir, extensionsDir, env, logFile });
  }

  baseArgs() {
    return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  async installExtensions(vsixes) {
    const args = [this.entry, ...this.baseArgs()];
    for (const v of vsixes) args.push('--install-extension', v);
    args.push('--force');
    const r = await run(this.node, args, { env: this.env, timeout: 180_000 });
    writeFileSync(this.logFile + '.install.log', r.stdout + r.stderr);
    if (r.code !== 0) throw new AssertionError(`code-server --install-extension failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
  }

  /** Starts on a free port; `trust: true` keeps workspace trust on (the default run turns it off). */
  async start(workspace, { trust = false } = {}) {
    this.port = await freePort();
    const args = [
      this.entry,
      ...this.baseArgs(),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(trust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      workspace,
    ];
    const out = createWriteStream(this.logFile);
    this.proc = spawn(this.node, args, { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.pipe(out);
    this.proc.stderr.pipe(out);
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    this.url = `http://127.0.0.1:${this.port}`;
    await waitFor('code-server to answer /healthz', async () => {
      if (this.proc.exitCode !== null) throw new Error(`code-server exited with ${this.proc.exitCode}`);
      const res = await fetch(`${this.url}/healthz`).catch(() => undefined);
      return res && res.ok;
    }, { timeoutMs: 60_000, intervalMs: 300 });
    return this.url;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    try {
      process.kill(-this.proc.pid, 'SIGTERM');
    } catch {}
    const done = await Promise.race([this.exited, sleep(10_000).then(() => undefined)]);
    if (!done) {
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {}
    }
  }
}

// ---------------------------------------------------------------- the control channel (scripted-model fixture)

/**
 * Runs a request in the extension host through the fixture's `scriptedTest.control` command
 * (palette: "Scripted Test: Run Control Request"). See fixtures/scripted-model/extension.js.
 */
/** Control requests that only read (asking again is harmless). */
const READ_OPS = new Set(['extension', 'commands', 'models', 'tools', 'editors', 'workspace', 'exports', 'readFile', 'notebook']);

export class Control {
  constructor(dir, workbench) {
    this.dir = dir;
    this.workbench = workbench;
    this.n = 0;
    mkdirSync(dir, { recursive: true });
  }

  /** `opensQuickInput`: the request opens a quick input (a save dialog): the palette is not waited on to close. */
  async send(request, { wait = true, timeoutMs = 30_000, opensQuickInput = false } = {}) {
    const id = `${Date.now()}-${++this.n}`;
    writeFileSync(join(this.dir, 'request.json'), JSON.stringify({ ...request, id }));
    await this.workbench.runCommand('Scripted Test: Run Control Request', { waitHidden: !opensQuickInput });
    if (!wait) return undefined;
    const file = join(this.dir, `response-${id}.json`);
    const what = `the control response to ${JSON.stringify(request).slice(0, 120)}`;
    // A read is asked again when no answer came: an editor that finished opening just then takes the
    // focus, which closes the palette before its Enter (the Enter lands in the editor instead).
    const started = Date.now();
    while (READ_OPS.has(request.op) && !existsSync(file) && Date.now() - started < timeoutMs - 6_000) {
      const answered = await waitFor(what, () => existsSync(file), { timeoutMs: 5_000, intervalMs: 200 }).catch(() => false);
      if (!answered) await this.workbench.runCommand('Scripted Test: Run Control Request');
    }
    const res = await waitFor(what, () => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')), { timeoutMs: Math.max(6_000, timeoutMs - (Date.now() - started)), intervalMs: 200 });
    if (!res.ok) throw new AssertionError(`control request ${request.op} failed in the extension host: ${res.error}`);
    return res.result;
  }

  command(command, ...args) {
    return this.send({ op: 'command', command, args });
  }
}

// ---------------------------------------------------------------- the workbench (Playwright)

export class Workbench {
  constructor(page, artifacts) {
    this.page = page;
    this.artifacts = artifacts;
    this.shots = [];
  }

  async screenshot(name) {
    const file = join(this.artifacts, `${name}.png`);
    await this.page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
    this.shots.push(file);
    return file;
  }

  async dismissNotifications() {
    await this.page.keyboard.press('Escape').catch(() => {});
  }

  /** Runs a command through the command palette by its exact title ("Category: Title"). */
  async runCommand(title, { timeoutMs = 15_000, waitHidden = true } = {}) {
    const page = this.page;
    for (let attempt = 1; ; attempt++) {
      try {
        // (No Escape into the editor: it would clear the selection that "Run Selection" needs.)
        if (await page.locator('.quick-input-widget').isVisible().catch(() => false)) await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`);
        const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible', timeout: timeoutMs });
        // Pick the row whose label is exactly the title (a fuzzy match may list others first) with the
        // keyboard: a click could land on a row's gear or "remove from recently used" buttons.
        const labels = await page.locator('.quick-input-widget .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') || ''));
        const index = labels.findIndex((l) => l === title || l.startsWith(`${title},`));
        if (index < 0) throw new Error(`no palette entry is exactly "${title}" (entries: ${labels.join(' | ')})`);
        const focused = await page.locator('.quick-input-widget .monaco-list-row.focused').getAttribute('aria-label').catch(() => null);
        if (focused !== labels[index]) for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        if (waitHidden) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
        return;
      } catch (e) {
        if (attempt >= 3) throw new AssertionError(`cannot run "${title}" from the command palette: ${e.message.split('\n')[0]}`);
        await sleep(1000);
      }
    }
  }

  /** Titles the palette lists for a filter (to prove commands are contributed). */
  async paletteEntries(filter) {
    const page = this.page;
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    await input.fill(`>${filter}`);
    await sleep(800);
    const labels = await page.locator('.quick-input-widget .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') || r.textContent));
    return labels;
  }

  // ---- chat

  chatInput() {
    return this.page.locator('.interactive-input-part .monaco-editor').last();
  }

  /** Types a request into the Chat view's input and sends it (DESIGN.md: the click needs force). */
  async typeChat(text) {
    const editor = this.chatInput();
    await editor.waitFor({ state: 'visible', timeout: 15_000 });
    await editor.click({ force: true });
    await this.page.keyboard.press('Control+a');
    await this.page.keyboard.press('Backspace');
    await this.page.keyboard.type(text, { delay: 5 });
    await sleep(300);
    // Close a completion list the '@' may have opened, then send.
    await this.page.keyboard.press('Escape');
    await editor.click({ force: true });
    await this.page.keyboard.press('End');
    await this.page.keyboard.press('Enter');
  }

  responses() {
    return this.page.locator('.interactive-item-container.interactive-response');
  }

  async responseCount() {
    return this.responses().count();
  }

  /** The text of the last chat response. */
  async lastResponseText() {
    const n = await this.responseCount();
    if (!n) return '';
    return (await this.responses().nth(n - 1).innerText().catch(() => '')) || '';
  }

  /**
   * Clicks a tool confirmation's approve button if one is showing. Returns its text, or undefined.
   * (Tools that move data always confirm; code-running tools confirm unless settings say otherwise.)
   */
  async approveConfirmations() {
    const page = this.page;
    const buttons = page.locator('.chat-confirmation-widget .monaco-button, .chat-confirmation-widget2 .monaco-button, .chat-tool-invocation-part .monaco-button');
    const n = await buttons.count().catch(() => 0);
    const candidates = [];
    for (let i = 0; i < n; i++) {
      const b = buttons.nth(i);
      const text = ((await b.innerText().catch(() => '')) || (await b.getAttribute('aria-label').catch(() => '')) || '').trim();
      if (/^(allow|continue|run|approve|yes)\b/i.test(text) && (await b.isVisible().catch(() => false))) candidates.push({ b, text });
    }
    // Prefer a one-time approval ("Allow", "Continue") to a broader one ("Allow in this Session").
    const pick = candidates.find((c) => /^(allow|continue|run|approve|yes)$/i.test(c.text)) || candidates[0];
    if (!pick) return undefined;
    if (!this.confirmationShot) this.confirmationShot = await this.screenshot('03a-tool-confirmation');
    await pick.b.click({ force: true }).catch(() => {});
    return pick.text;
  }

  /** Waits for the last response to contain a pattern, approving tool confirmations on the way. */
  async waitForResponse(pattern, { timeoutMs = 180_000, minIndex = 0, onApprove } = {}) {
    return waitFor(`a chat response matching ${pattern}`, async () => {
      const approved = await this.approveConfirmations();
      if (approved && onApprove) onApprove(approved);
      const n = await this.responseCount();
      if (n <= minIndex) return false;
      const text = await this.responses().nth(n - 1).innerText().catch(() => '');
      return pattern.test(text) ? text : false;
    }, { timeoutMs, intervalMs: 700 });
  }

  async chatBusy() {
    // While a request runs, the send action is replaced by a cancel (stop) action.
    return this.page.locator('.interactive-input-part .codicon-stop-circle, .interactive-input-part [aria-label^="Cancel"]').first().isVisible().catch(() => false);
  }

  async clickStop() {
    const stop = this.page.locator('.interactive-input-part .action-label.codicon-stop-circle, .interactive-input-part a[aria-label^="Cancel"], .interactive-input-part .codicon-stop-circle').first();
    await stop.click({ force: true, timeout: 5_000 });
  }

  // ---- text in webviews (iframes; the workbench's own document is left out)

  async framesWithText(needle) {
    const hits = [];
    for (const f of this.page.frames()) {
      if (f === this.page.mainFrame()) continue;
      const text = await f.evaluate(() => (document.body ? document.body.innerText : '')).catch(() => '');
      if (text && text.includes(needle)) hits.push(f);
    }
    return hits;
  }
}

// ---------------------------------------------------------------- Docker

export async function dockerAvailable() {
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Our managed containers: [{id, name, labels, state, created}] */
export async function managedContainers() {
  const r = await run('docker', ['ps', '-a', '--no-trunc', '--filter', 'label=dev.code-interpreter.managed=true', '--format', '{{json .}}']);
  if (r.code !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const j = JSON.parse(l);
    const labels = Object.fromEntries(String(j.Labels || '').split(',').filter(Boolean).map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), kv.slice(i + 1)];
    }));
    return { id: j.ID, name: j.Names, state: j.State, status: j.Status, labels, createdAt: j.CreatedAt };
  });
}

export async function containerVolumes(id) {
  const r = await run('docker', ['inspect', id, '--format', '{{json .Mounts}}']);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout.trim() || '[]') || []).filter((m) => m.Type === 'volume').map((m) => m.Name);
}

/** The window's default thread key, as src/vscode/threads.ts derives it for a workspace folder. */
export function windowThreadKey(folder) {
  const uri = pathToFileURL(folder).toString();
  return `window:${createHash('sha256').update(uri).digest('hex').slice(0, 12)}`;
}

export function threadHash(key) {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------- watching the browser (hostile output)

/**
 * What the browser did while it was watched, in every frame (the workbench and its webviews):
 * console lines, JavaScript dialogs (dismissed), requests, new pages, page errors, and CSP
 * violations — both Chromium's console reports and `securitypolicyviolation` events, which `arm()`
 * listens for in each frame (again in frames that appear later).
 */
export class BrowserWatch {
  constructor(page) {
    this.page = page;
    this.context = page.context();
    this.console = [];
    this.dialogs = [];
    this.requests = [];
    this.popups = [];
    this.errors = [];
    this.on = {
      console: (m) => this.console.push({ type: m.type(), text: m.text(), url: m.location()?.url ?? '', time: Date.now() }),
      dialog: (d) => {
        this.dialogs.push({ type: d.type(), message: d.message() });
        d.dismiss().catch(() => {});
      },
      request: (r) => {
        let frame = '';
        try {
          frame = r.frame().url();
        } catch {}
        this.requests.push({ url: r.url(), type: r.resourceType(), frame });
      },
      page: (p) => this.popups.push(p.url()),
      pageerror: (e) => this.errors.push(e.message),
      frameattached: (f) => void this.armFrame(f),
      framenavigated: (f) => void this.armFrame(f),
    };
  }

  start() {
    this.page.on('console', this.on.console);
    this.page.on('dialog', this.on.dialog);
    this.page.on('pageerror', this.on.pageerror);
    this.page.on('frameattached', this.on.frameattached);
    this.page.on('framenavigated', this.on.framenavigated);
    this.context.on('request', this.on.request);
    this.context.on('page', this.on.page);
    return this;
  }

  stop() {
    this.page.off('console', this.on.console);
    this.page.off('dialog', this.on.dialog);
    this.page.off('pageerror', this.on.pageerror);
    this.page.off('frameattached', this.on.frameattached);
    this.page.off('framenavigated', this.on.framenavigated);
    this.context.off('request', this.on.request);
    this.context.off('page', this.on.page);
  }

  /** Listens for `securitypolicyviolation` in every frame there is now. */
  async arm() {
    await Promise.all(this.page.frames().map((f) => this.armFrame(f)));
  }

  async armFrame(frame) {
    await frame
      .evaluate(() => {
        if (window.__e2eCsp) return;
        window.__e2eCsp = [];
        const record = (e) => window.__e2eCsp.push({ directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI || '', sample: e.sample || '', where: location.href });
        window.addEventListener('securitypolicyviolation', record, true);
      })
      .catch(() => {});
  }

  /** The `securitypolicyviolation` events every frame saw. */
  async cspEvents() {
    const all = [];
    for (const f of this.page.frames()) {
      const got = await f.evaluate(() => window.__e2eCsp || []).catch(() => []);
      all.push(...got);
    }
    return all;
  }

  /** A global of every frame (e.g. a marker an injected script would set), by frame URL. */
  async globals(name) {
    const out = [];
    for (const f of this.page.frames()) {
      const v = await f.evaluate((n) => window[n], name).catch(() => undefined);
      if (v !== undefined) out.push({ frame: f.url(), value: v });
    }
    return out;
  }
}
