#!/usr/bin/env node
/**
 * Runs real .ipynb notebooks cell by cell through the MCP server, the way an MCP client would, and
 * says per cause what failed — the bar of "what runs in Jupyter runs here".
 *
 *   node scripts/notebook-check.mjs [--thread-per-notebook] [--timeout S] [--json out.json]
 *                                   [--data PATH]... [--keep] NOTEBOOK.ipynb...
 *
 * Each notebook runs in a thread of its own (a fresh sandbox session), its code cells in order,
 * one executePythonCode call per cell, unedited. By default one server (`node dist/cli.js mcp
 * --allow-thread-arg`) serves every notebook and each call names the notebook's thread; with
 * --thread-per-notebook one server per notebook is started, bound to its thread with --thread (as a
 * client that never passes `thread` sees it). --data PATH (repeatable) uploads a file, or a folder
 * with its files under the folder's name, into /mnt/data of each thread first, through the
 * uploadFileToSession tool. The sessions created are deleted at the end (`dist/cli.js rm --thread`)
 * unless --keep. Needs `npm run build` and a Docker engine with the sandbox image.
 *
 * Failed cells are classified by cause from the tool result text: the exception name and a
 * normalised message, with cascades named as such (a NameError for a name an earlier failed cell
 * binds). A static replay estimates what the bare InteractiveShell before e9eed57 (where `%matplotlib`
 * raised NotImplementedError from enable_gui) would have lost on the same notebooks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const MAX_CODE_CHARS = 20_000;
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

const USAGE = `Usage: node scripts/notebook-check.mjs [--thread-per-notebook] [--timeout S] [--json out.json] [--data PATH]... [--keep] NOTEBOOK.ipynb...
  --timeout S             per-cell timeout in seconds (default 60)
  --json FILE             write every cell's result and the summary as JSON
  --data PATH             upload a file (to /mnt/data/<name>) or a folder (to /mnt/data/<folder>/...) into each thread first
  --thread-per-notebook   one MCP server process per notebook (--thread) instead of one server with --allow-thread-arg
  --keep                  keep the sessions (default: delete them with dist/cli.js rm --thread)`;

// ---------------------------------------------------------------------------------------------
// Notebooks

function readNotebook(path) {
  const nb = JSON.parse(readFileSync(path, 'utf8'));
  const cells = nb.cells ?? (nb.worksheets ?? []).flatMap((w) => w.cells ?? []);
  const join = (s) => (Array.isArray(s) ? s.join('') : String(s ?? ''));
  return cells
    .filter((c) => c.cell_type === 'code')
    .map((c, i) => {
      const outputs = c.outputs ?? [];
      const rich = outputs.filter((o) => o.output_type === 'display_data' || o.output_type === 'execute_result' || o.output_type === 'pyout' || o.output_type === 'display');
      const error = outputs.find((o) => o.output_type === 'error' || o.output_type === 'pyerr');
      return {
        index: i + 1,
        source: join(c.source ?? c.input),
        saved: {
          ran: outputs.length > 0 || c.execution_count != null || c.prompt_number != null,
          images: rich.filter((o) => o.data?.['image/png'] !== undefined || o.data?.['image/jpeg'] !== undefined || o.png !== undefined || o.jpeg !== undefined).length,
          error: error ? error.ename ?? 'error' : undefined,
        },
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Python source, roughly: names a cell binds and uses (regexes, good enough for notebooks)

/** Source with comments and string literals blanked (line structure kept). */
function codeOnly(src) {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (m && (m[1] === '' || !/[\w]/.test(src[i - 1] ?? ''))) {
      const q = m[2];
      let j = i + m[0].length;
      while (j < src.length) {
        if (src[j] === '\\') j += 2;
        else if (src.startsWith(q, j)) break;
        else if (q.length === 1 && src[j] === '\n') break;
        else j++;
      }
      const lit = src.slice(i, j + q.length);
      out += lit.replace(/[^\n]/g, ' ');
      i = j + q.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const IDENT = /[A-Za-z_]\w*/g;

/** [{name, line}] for the names a cell binds at top level (imports, defs, assignments, for/with targets). */
function bindings(src) {
  const found = [];
  const lines = codeOnly(src).split('\n');
  const add = (names, line) => {
    for (const n of names) if (n && /^[A-Za-z_]\w*$/.test(n)) found.push({ name: n, line });
  };
  lines.forEach((raw, line) => {
    const l = raw.replace(/^\s+/, '');
    let m;
    if ((m = /^import\s+(.+)$/.exec(l))) {
      add(m[1].split(',').map((p) => { const [mod, as] = p.trim().split(/\s+as\s+/); return (as ?? mod.split('.')[0]).trim(); }), line);
    } else if ((m = /^from\s+\S+\s+import\s+\(?([^)]*)\)?/.exec(l))) {
      add(m[1].split(',').map((p) => { const [n, as] = p.trim().split(/\s+as\s+/); return (as ?? n).trim(); }), line);
    } else if ((m = /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(l))) {
      add([m[1]], line);
    } else if ((m = /^for\s+(.+?)\s+in\s/.exec(l))) {
      add(m[1].match(IDENT) ?? [], line);
    } else if (/^with\s/.test(l)) {
      for (const w of l.matchAll(/\bas\s+([A-Za-z_]\w*)/g)) add([w[1]], line);
    } else if ((m = /^\(?\s*(\*?[A-Za-z_]\w*(?:\s*,\s*\*?[A-Za-z_]\w*)*)\s*,?\s*\)?\s*(?:[-+*/%&|^@]|\/\/|\*\*|>>|<<)?=(?!=)/.exec(l))) {
      add(m[1].replace(/\*/g, '').split(',').map((s) => s.trim()), line);
      // chained a = b = 1
      const rest = l.slice(m[0].length);
      for (const c of rest.matchAll(/^\s*([A-Za-z_]\w*)\s*=(?!=)/g)) add([c[1]], line);
    }
    for (const w of raw.matchAll(/\(\s*([A-Za-z_]\w*)\s*:=/g)) add([w[1]], line);
  });
  return found;
}

/** Line of the first use of `name` as a bare identifier (not an attribute, not a keyword argument), or -1. */
function firstUse(src, name) {
  const lines = codeOnly(src).split('\n');
  const re = new RegExp(`(^|[^\\w.])${name.replace(/[^\w]/g, '')}(?![\\w])(?!\\s*=[^=])`);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*(import|from)\s/.test(l)) continue;
    if (re.test(l)) {
      // `name = ...` alone binds, it does not use (but `name += 1` and `name[0] = 1` use it).
      return i;
    }
  }
  return -1;
}

/** Line index of the first `%matplotlib` / `%pylab` line magic in a cell, or -1. */
function matplotlibMagicLine(src) {
  const lines = src.split('\n');
  return lines.findIndex((l) => /^\s*%(matplotlib|pylab)\b/.test(l));
}

// ---------------------------------------------------------------------------------------------
// Classification of a failed cell from the tool result text

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const EXC_LINE = /^([A-Za-z_][\w.]*(?:Error|error|Exception|Exit|Interrupt|Warning|StopIteration|NotImplemented\w*|Refusal))(?::\s?(.*))?$/;
const NETWORK_NAMES = new Set(['URLError', 'HTTPError', 'ConnectionError', 'ConnectionRefusedError', 'ConnectionResetError', 'gaierror', 'timeout', 'NewConnectionError', 'MaxRetryError', 'RemoteDataError', 'SSLError', 'ProxyError', 'ReadTimeout', 'ConnectTimeout']);
const NETWORK_MSG = /Temporary failure in name resolution|Name or service not known|Network is unreachable|nodename nor servname|getaddrinfo failed|urlopen error|Failed to establish a new connection|No address associated with hostname|Max retries exceeded/;

function lastException(text) {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = EXC_LINE.exec(lines[i].trimEnd());
    if (m) {
      // A message may go on over the following lines (until a blank line or our own notes).
      return { qualified: m[1], name: m[1].split('.').pop(), message: (m[2] ?? '').trim(), line: lines[i].trim() };
    }
  }
  return undefined;
}

function normalise(message) {
  return message
    .replace(/\/[\w./-]+\/([\w.-]+)/g, '…/$1')
    .replace(/0x[0-9a-f]+/gi, '0x…')
    .replace(/\b\d+(\.\d+)?\b/g, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 110);
}

/**
 * The cause of a failed cell. `history` is what came before in the notebook: [{source, ok, killed}].
 */
function classify(text, source, history) {
  const t = text.replace(ANSI, '');
  if (/^Execution timed out after/m.test(t)) return { cause: 'timeout', detail: t.split('\n')[0] };
  if (/^Execution ended abnormally/m.test(t) && !lastException(t)) return { cause: 'kernel died (killed: memory or a crash)', detail: t.slice(0, 200) };
  const exc = lastException(t);
  if (!exc) return { cause: `error without an exception line: ${normalise(t.split('\n')[0] ?? '')}`, detail: t.slice(0, 200) };
  const { name, message } = exc;
  const detail = exc.line.slice(0, 300);
  if (name === 'ModuleNotFoundError' || (name === 'ImportError' && /No module named/.test(message))) {
    const mod = /No module named '([^'.]+)/.exec(message)?.[1];
    if (/widgets need|frontend/.test(message)) return { cause: `ModuleNotFoundError: widgets (${mod}) need a frontend`, detail };
    return { cause: `ModuleNotFoundError: No module named '${mod ?? '?'}'`, detail };
  }
  if (name === 'ImportError') return { cause: `ImportError: ${normalise(message)}`, detail };
  if (NETWORK_NAMES.has(name) || NETWORK_MSG.test(message)) {
    return { cause: 'network (URLError / ConnectionError / gaierror …)', detail };
  }
  if (name === 'FileNotFoundError' || (/^(OSError|IOError)$/.test(name) && /No such file|not found|does not exist/i.test(message)) || /does not exist in \/mnt\/data/.test(message)) {
    return { cause: 'file not found (data file not in the sandbox)', detail };
  }
  if (name === 'NameError') {
    const missing = /name '([^']+)' is not defined/.exec(message)?.[1];
    if (missing) {
      const failedBefore = lostBy(history, missing);
      if (failedBefore) return { cause: 'NameError after an earlier failure', via: failedBefore.index, detail: `${detail} (bound by failed cell ${failedBefore.index})` };
      const restartAt = history.findIndex((h) => h.killed);
      if (restartAt >= 0 && history.slice(0, restartAt).some((h) => bindings(h.source).some((b) => b.name === missing))) {
        return { cause: 'NameError after a kernel restart', detail };
      }
      return { cause: 'NameError: name not defined (no earlier cell binds it)', detail };
    }
    return { cause: `NameError: ${normalise(message)}`, detail };
  }
  if (name === 'UsageError') {
    if (/^(!|%(sx|system|%?bash|%?sh|%?script)|%[a-z]+.*runShellCommand)|runShellCommand/.test(message)) return { cause: 'UsageError (shell escape)', detail };
    if (/^%(pip|conda)/.test(message)) return { cause: 'UsageError (%pip/%conda: no installs)', detail };
    const magic = /(?:Line|Cell) magic function `(%%?[\w.]+)` not found/.exec(message);
    if (magic) return { cause: `UsageError: magic ${magic[1]} not found`, detail };
    return { cause: `UsageError: ${normalise(message)}`, detail };
  }
  if (/is not a valid package style/.test(message)) {
    const style = /^'([^']+)'/.exec(message)?.[1] ?? '?';
    return { cause: /^seaborn-/.test(style) ? "OSError: matplotlib style 'seaborn-*' unknown (renamed 'seaborn-v0_8-*' in matplotlib 3.6, removed in 3.8)" : `OSError: matplotlib style '${style}' unknown`, detail };
  }
  if (name === 'StdinNotImplementedError') return { cause: 'input() / getpass() (no stdin)', detail };
  if (name === 'NotImplementedError' && /enable_gui/.test(message)) return { cause: 'NotImplementedError: enable_gui (%matplotlib)', detail };
  if (!/^(SyntaxError|IndentationError|TabError|KeyboardInterrupt)$/.test(name)) {
    // Another exception in a cell that uses a name an earlier failed cell never got to bind.
    const binds = bindings(source);
    for (const [n, index] of lostNow(history)) {
      const use = firstUse(source, n);
      if (use < 0 || binds.some((b) => b.name === n && b.line < use)) continue;
      return { cause: 'other error after an earlier failure (uses a name a failed cell did not bind)', via: index, detail: `${detail} (uses '${n}', not bound by failed cell ${index})` };
    }
  }
  return { cause: `${name}: ${normalise(message)}`, detail };
}

/** The earlier failed cell that would have bound `name` (at or after the line it failed on). */
function lostBy(history, name) {
  const index = lostNow(history).get(name);
  return index === undefined ? undefined : { index };
}

/** name -> the failed cell that did not bind it, for names no later cell bound. */
function lostNow(history) {
  const lost = new Map();
  for (const h of history) {
    if (h.ok) for (const b of bindings(h.source)) lost.delete(b.name);
    else for (const n of h.lost ?? []) lost.set(n, h.index);
  }
  return lost;
}

/** Names a failed cell did not get to bind: those bound on or after the line it failed on. */
function lostNames(text, source) {
  const m = /Cell In\[\d+\], line (\d+)/.exec(text.replace(ANSI, ''));
  const failLine = m ? Number(m[1]) - 1 : 0;
  return [...new Set(bindings(source).filter((b) => b.line >= failLine).map((b) => b.name))];
}

// ---------------------------------------------------------------------------------------------
// The static replay of the kernel before e9eed57: `%matplotlib` raised in enable_gui

/**
 * Which cells that passed now would have failed on the bare InteractiveShell of 3add5fd: the cell
 * with `%matplotlib`/`%pylab` stops at the magic, so the names it binds after it are never
 * defined; a later cell that uses one of them (before binding it again) fails with NameError, and
 * so on. Cells that fail now are left as they are (they fail either way).
 */
function replayOld(cells) {
  const lost = new Map(); // name -> cell index that lost it
  const out = { magicCells: [], nameErrorCells: [], plt: [] };
  for (const c of cells) {
    const binds = bindings(c.source);
    const magic = matplotlibMagicLine(c.source);
    if (magic >= 0) {
      if (c.ok) out.magicCells.push(c.index);
      for (const b of binds) {
        if (b.line > magic) lost.set(b.name, c.index);
        else lost.delete(b.name);
      }
      continue;
    }
    let failLine = Infinity;
    let failName;
    for (const [name] of lost) {
      const use = firstUse(c.source, name);
      if (use < 0) continue;
      const rebound = binds.find((b) => b.name === name && b.line < use);
      if (rebound) continue;
      if (use < failLine) {
        failLine = use;
        failName = name;
      }
    }
    if (failName !== undefined && c.ok) {
      out.nameErrorCells.push({ index: c.index, name: failName });
      if (failName === 'plt') out.plt.push(c.index);
      for (const b of binds) {
        if (b.line >= failLine) lost.set(b.name, c.index);
        else lost.delete(b.name);
      }
    } else if (c.ok) {
      for (const b of binds) lost.delete(b.name);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MCP

function listFiles(path) {
  const st = statSync(path);
  if (st.isFile()) return [{ source: path, destination: basename(path) }];
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size <= MAX_UPLOAD_BYTES) files.push({ source: p, destination: join(basename(path), relative(path, p)) });
    }
  };
  walk(path);
  return files;
}

async function connect({ thread, allowThreadArg, auditDir, roots }) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', '--thread', thread, '--audit-dir', auditDir, ...(allowThreadArg ? ['--allow-thread-arg'] : [])],
    cwd: ROOT,
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const client = new Client({ name: 'notebook-check', version: '1.0.0' }, { capabilities: { roots: { listChanged: false } } });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: basename(r) })) }));
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

function textOf(result) {
  return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

function cli(args) {
  return new Promise((res) => execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => res({ ok: !err, out: (stdout + stderr).trim() })));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'thread-per-notebook': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '60' },
      json: { type: 'string' },
      data: { type: 'string', multiple: true, default: [] },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const timeout = Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > 900) throw new Error('--timeout must be an integer from 5 to 900.');
  const uploads = values.data.flatMap((p) => listFiles(resolve(p)));
  const roots = [...new Set(values.data.map((p) => { const a = resolve(p); return statSync(a).isFile() ? dirname(a) : a; }))];
  const runId = `nbcheck-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const auditDir = mkdtempSync(join(tmpdir(), 'notebook-check-audit-'));
  const threads = [];
  const notebooks = [];
  let shared;
  const started = Date.now();

  const cleanup = async () => {
    await shared?.close().catch(() => undefined);
    if (!values.keep) {
      for (const t of threads) {
        const r = await cli(['rm', '--thread', t]);
        if (!r.ok) process.stderr.write(`could not delete the session of thread ${t}: ${r.out}\n`);
      }
    } else if (threads.length) process.stderr.write(`Sessions kept: ${threads.join(', ')} (remove with node dist/cli.js rm --thread T)\n`);
    rmSync(auditDir, { recursive: true, force: true });
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\ninterrupted: finishing the current cell, then cleaning up…\n');
  });

  try {
    if (!values['thread-per-notebook']) shared = await connect({ thread: `${runId}-default`, allowThreadArg: true, auditDir, roots });
    for (const [n, path] of positionals.entries()) {
      if (interrupted) break;
      const name = basename(path);
      const thread = `${runId}-${String(n + 1).padStart(2, '0')}`;
      let cells;
      try {
        cells = readNotebook(path);
      } catch (err) {
        process.stdout.write(`${name}: cannot read (${err.message})\n`);
        notebooks.push({ name, path, thread, error: err.message, cells: [] });
        continue;
      }
      threads.push(thread);
      const conn = shared ?? (await connect({ thread, allowThreadArg: false, auditDir, roots }));
      const threadArg = shared ? { thread } : {};
      const call = (tool, args, seconds) => conn.client.callTool({ name: tool, arguments: { ...args, ...threadArg } }, undefined, { timeout: (seconds + 180) * 1000 });
      const record = { name, path, thread, uploads: [], cells: [] };
      notebooks.push(record);
      try {
        for (const u of uploads) {
          const r = await call('uploadFileToSession', { source: u.source, destination: u.destination }, 60);
          record.uploads.push({ destination: u.destination, ok: !r.isError, text: r.isError ? textOf(r).slice(0, 300) : undefined });
          if (r.isError) process.stderr.write(`upload ${u.destination} failed: ${textOf(r).slice(0, 200)}\n`);
        }
        process.stderr.write(`${name} (${cells.length} code cells, thread ${thread}) `);
        for (const cell of cells) {
          if (interrupted) break;
          const entry = { index: cell.index, source: cell.source, ok: true };
          if (cell.source.trim() === '') {
            record.cells.push({ ...entry, skipped: 'empty' });
            continue;
          }
          const t0 = Date.now();
          let result;
          try {
            result = cell.source.length > MAX_CODE_CHARS ? { isError: true, content: [{ type: 'text', text: `RejectedCell: the cell has ${cell.source.length} characters (at most ${MAX_CODE_CHARS})` }] } : await call('executePythonCode', { pythonCode: cell.source, timeoutSeconds: timeout }, timeout);
          } catch (err) {
            result = { isError: true, content: [{ type: 'text', text: `ClientError: ${err.message}` }] };
          }
          const text = textOf(result);
          entry.seconds = (Date.now() - t0) / 1000;
          entry.images = (result.content ?? []).filter((c) => c.type === 'image').length;
          entry.ok = !result.isError;
          entry.killed = /kernel was killed|Python kernel was restarted|Execution ended abnormally|container stopped/.test(text);
          entry.saved = cell.saved;
          entry.outResult = /^Out\[\d*\]: /m.test(text);
          if (!entry.ok) {
            Object.assign(entry, classify(text, cell.source, record.cells.filter((c) => !c.skipped)));
            entry.lost = lostNames(text, cell.source);
            entry.text = text.slice(-2000);
          }
          record.cells.push(entry);
          process.stderr.write(entry.ok ? '.' : 'F');
        }
        process.stderr.write('\n');
      } finally {
        if (!shared) await conn.close().catch(() => undefined);
      }
      const ran = record.cells.filter((c) => !c.skipped);
      const failed = ran.filter((c) => !c.ok);
      process.stdout.write(`${name}: ran ${ran.length} / ok ${ran.length - failed.length} / failed ${failed.length}\n`);
    }
  } finally {
    await cleanup();
  }

  // --- summary -------------------------------------------------------------------------------
  const all = notebooks.flatMap((nb) => nb.cells.filter((c) => !c.skipped).map((c) => ({ ...c, nb: nb.name })));
  const failed = all.filter((c) => !c.ok);
  const byCause = new Map();
  for (const c of failed) {
    const list = byCause.get(c.cause) ?? [];
    list.push(c);
    byCause.set(c.cause, list);
  }
  const causes = [...byCause.entries()].sort((a, b) => b[1].length - a[1].length);
  const short = (nb) => nb.replace(/\.ipynb$/, '');
  const lines = [];
  lines.push('', `Notebooks: ${notebooks.length}; cells ran ${all.length} / ok ${all.length - failed.length} / failed ${failed.length}  (${Math.round((Date.now() - started) / 1000)} s; cell numbers count code cells from 1)`);
  lines.push('', 'Failures by cause:', `${'count'.padStart(5)}  cause  —  examples (notebook:cell)`);
  for (const [cause, list] of causes) {
    const ex = list.slice(0, 4).map((c) => `${short(c.nb)}:${c.index}`).join(', ') + (list.length > 4 ? ', …' : '');
    lines.push(`${String(list.length).padStart(5)}  ${cause}  —  ${ex}`);
  }
  // Cascades counted with the failure they trace back to.
  const byRoot = new Map();
  for (const nb of notebooks) {
    const at = new Map(nb.cells.map((c) => [c.index, c]));
    for (const c of nb.cells.filter((x) => !x.skipped && !x.ok)) {
      let root = c;
      for (let hops = 0; root.via !== undefined && at.get(root.via) && hops < 1000; hops++) root = at.get(root.via);
      const e = byRoot.get(root.cause) ?? { direct: 0, cascades: 0 };
      if (c === root) e.direct++;
      else e.cascades++;
      byRoot.set(root.cause, e);
    }
  }
  lines.push('', 'Root causes, with the cascades (NameError and others) they led to:', `${'total'.padStart(5)} = direct + cascades  cause`);
  for (const [cause, e] of [...byRoot.entries()].sort((a, b) => b[1].direct + b[1].cascades - (a[1].direct + a[1].cascades))) {
    lines.push(`${String(e.direct + e.cascades).padStart(5)} = ${String(e.direct).padStart(3)} + ${String(e.cascades).padStart(3)}       ${cause}`);
  }
  const onPurpose = failed.filter((c) => c.saved?.error);
  lines.push('', `Failed cells (${onPurpose.length} of them show an error in the notebook's saved outputs too, marked *):`);
  for (const c of failed) {
    const first = c.source.split('\n').find((l) => l.trim() !== '') ?? '';
    lines.push(`  ${c.saved?.error ? '*' : ' '}${short(c.nb)}:${c.index}  [${c.cause}]  ${first.slice(0, 70)}`, `      ${c.detail.slice(0, 160)}`);
  }
  // Cells that passed, against the outputs saved in the notebook (where it was saved executed).
  const compared = all.filter((c) => c.ok && c.saved?.ran);
  const imageDiff = compared.filter((c) => c.images !== c.saved.images);
  const savedErrorOk = compared.filter((c) => c.saved.error);
  lines.push('', `Cells that passed, against the notebook's saved outputs: ${compared.length} compared; charts/images: same count in ${compared.length - imageDiff.length}, different in ${imageDiff.length}${imageDiff.length ? ': ' + imageDiff.slice(0, 12).map((c) => `${short(c.nb)}:${c.index} (saved ${c.saved.images}, got ${c.images})`).join(', ') : ''}; passed here but show an error in the saved outputs: ${savedErrorOk.length}${savedErrorOk.length ? ' (' + savedErrorOk.map((c) => `${short(c.nb)}:${c.index} ${c.saved.error}`).join(', ') + ')' : ''}`);
  // The kernel before e9eed57, replayed statically.
  const replays = notebooks.map((nb) => ({ nb: nb.name, ...replayOld(nb.cells.filter((c) => !c.skipped)) }));
  const magic = replays.flatMap((r) => r.magicCells.map((i) => `${short(r.nb)}:${i}`));
  const names = replays.flatMap((r) => r.nameErrorCells.map((c) => ({ at: `${short(r.nb)}:${c.index}`, name: c.name })));
  const plt = names.filter((n) => n.name === 'plt');
  const oldFailed = failed.length + magic.length + names.length;
  lines.push('', 'Before e9eed57 (bare InteractiveShell, `%matplotlib` raised NotImplementedError in enable_gui), replayed from the sources:');
  lines.push(`  cells that pass now and contain %matplotlib/%pylab: ${magic.length}${magic.length ? ` (${magic.slice(0, 6).join(', ')}${magic.length > 6 ? ', …' : ''})` : ''}`);
  lines.push(`  later cells that pass now and would have hit NameError on a name bound after the magic (or by such a cell): ${names.length}, of them on plt first: ${plt.length}`);
  const nameCounts = {};
  for (const n of names) nameCounts[n.name] = (nameCounts[n.name] ?? 0) + 1;
  if (names.length) lines.push(`  first missing name: ${Object.entries(nameCounts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  estimated then: ran ${all.length} / ok ${all.length - oldFailed} / failed ${oldFailed} (${magic.length + names.length} of them traced to %matplotlib)`);
  process.stdout.write(lines.join('\n') + '\n');

  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          timeoutSeconds: timeout,
          data: uploads.map((u) => u.destination),
          totals: { notebooks: notebooks.length, ran: all.length, ok: all.length - failed.length, failed: failed.length, failedAlsoInSavedOutputs: onPurpose.length, imagesDifferFromSaved: imageDiff.length },
          causes: causes.map(([cause, list]) => ({ cause, count: list.length, cells: list.map((c) => `${c.nb}:${c.index}`) })),
          beforeE9eed57: { magicCells: magic, nameErrorCells: names, estimatedFailed: oldFailed },
          notebooks,
        },
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(`JSON: ${values.json}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`notebook-check: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
