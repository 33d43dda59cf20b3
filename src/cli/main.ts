#!/usr/bin/env node
/** `code-interpreter`: the core, headless. Every command takes --thread ID and --json. */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AuditLog,
  createCore,
  Core,
  defaultStateDir,
  describePlan,
  engineReport,
  ENV_DIR_NAME,
  errorMessage,
  formatEngineReport,
  InfrastructureError,
  InputError,
  InterpreterError,
  Logger,
  bundleText,
  hasImage,
  Output,
  redactingLogger,
  rootedHostFiles,
  ToolContext,
  ToolOutcome,
} from '../core';
import {
  executePythonCode,
  generatePdfReport,
  getSessionFile,
  listSessionFiles,
  readSessionFile,
  runShellCommand,
  searchSessionFiles,
  uploadFileToSession,
} from '../core/tools';
import { runMcpServer } from '../mcp';
import { formatBench, runBench } from './bench';
import { exitAfterFlush, guardStdio } from './exit';
import { DEMO_STEPS } from './demo';

const USAGE = `code-interpreter — run Python and shell in a local, network-less Docker sandbox

Usage: code-interpreter COMMAND [options]

Commands
  exec [FILE] [--code CODE] [--timeout S]   run Python (code from --code, FILE, or stdin)
  shell COMMAND... [--timeout S]            run a shell command in /mnt/data
  pdf [FILE] --code CODE --expected F --save-as F   run Python that writes a PDF and check it
  files [PATH]                              list session files
  read PATH [--offset N] [--lines N]        read a text file
  search PATTERN [--path P] [--glob G]      search session files
  upload SOURCE [DEST]                      copy a host file into /mnt/data
  download PATH [SAVE_TO] [--overwrite]     copy a session file to the host
  sessions                                  list sessions (from Docker)
  stop                                      stop the thread's container (files kept)
  rm                                        delete the thread's container and files
  prune [--older-than-days N] [--all]       remove stopped sessions past retention
  image build                               build (or rebuild) the built-in sandbox image
  env show | build | freeze [FILE]          the workspace environment (.code-interpreter/ in the current
                                            folder, or --env DIR): what it installs, build it, or write the
                                            exact package list (Debian and Python) to FILE or stdout
  doctor                                    show the Docker engine in use (context, endpoint, version, runtimes)
  demo                                      run the incident-report example end to end
  bench [--quick] [--out FILE]              measure the engine against docker run/exec baselines, under runc
                                            and gVisor (runsc) side by side when the engine has it (--runtime: one)
  mcp [--allow-thread-arg]                  serve the eight tools over MCP on stdio (--thread names its thread)

Options
  --thread ID        the session's thread key (default: "default")
  --json             print the result as JSON (a ToolOutcome)
  --audit-dir DIR    where audit.jsonl goes (default: $XDG_STATE_HOME/code-interpreter)
  --verbose          log what the core does to stderr
  --env DIR          the environment folder (apt.txt, requirements.txt, wheels/; default ./.code-interpreter)
  --docker-host URL  the Docker engine: unix:///path, tcp://host:2376, ssh://user@host, npipe:////./pipe/name
                     (default: as the Docker CLI — DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket)
  --network NAME     Docker network for a new container (default: none)
  --runtime NAME     container runtime: auto (default: gVisor's runsc when the engine has it, else the engine's default), runsc, runc
  --memory-mb N, --cpus N   resource limits for a new container (default: 2048, 1.5)

Exit status: 0 ok; 1 the code failed or timed out; 2 bad input; 3 Docker unavailable or an infrastructure fault.
Note: the Python kernel lives in the thread's container: variables persist across CLI calls (and are shared with
VS Code and the MCP server on the same thread) until the container stops; files in /mnt/data persist per thread.`;

const EXIT = { ok: 0, error: 1, timeout: 1, interrupted: 1, rejected: 2, unavailable: 3 } as const;

function stderrLogger(verbose: boolean): Logger {
  return redactingLogger((level, line) => verbose && process.stderr.write(`[${level}] ${line}\n`));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Print outputs other than streams (those were shown live): results, errors, images, files, notes. */
function printOutcome(o: ToolOutcome, streamedLive: boolean): void {
  if (!streamedLive) {
    if (o.text) process.stdout.write(o.text + '\n');
    return;
  }
  if (!o.execution) {
    // Nothing ran (bad input, Docker unavailable): nothing was streamed, so say why here.
    process.stderr.write(o.text + '\n');
    return;
  }
  for (const out of o.outputs) printRich(out);
  const rest = o.text.split('\n').filter((l) => /^(Execution |Exit code|Files created|PDF report|The |\[image)/.test(l));
  if (rest.length) process.stderr.write(rest.join('\n') + '\n');
}

function printRich(out: Output): void {
  if (out.output_type === 'execute_result' || out.output_type === 'display_data') {
    if (!hasImage(out.data)) {
      const text = bundleText(out.data);
      if (text) process.stdout.write(text + '\n');
    }
  } else if (out.output_type === 'error') {
    process.stderr.write(out.traceback.join('\n') + '\n');
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      thread: { type: 'string', default: 'default' },
      json: { type: 'boolean', default: false },
      'audit-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'docker-host': { type: 'string' },
      env: { type: 'string' },
      code: { type: 'string' },
      timeout: { type: 'string' },
      expected: { type: 'string' },
      'save-as': { type: 'string' },
      offset: { type: 'string' },
      lines: { type: 'string' },
      path: { type: 'string' },
      glob: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      'older-than-days': { type: 'string' },
      all: { type: 'boolean', default: false },
      network: { type: 'string' },
      runtime: { type: 'string' },
      'memory-mb': { type: 'string' },
      cpus: { type: 'string' },
      'idle-minutes': { type: 'string' },
      'allow-thread-arg': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InputError(`--${name} must be a number, not '${v}'.`);
    return n;
  };
  const sandbox = Object.fromEntries(
    Object.entries({
      network: values.network,
      runtime: values.runtime,
      memoryMb: num(values['memory-mb'], 'memory-mb'),
      cpus: num(values.cpus, 'cpus'),
    }).filter(([, v]) => v !== undefined),
  );
  const core: Core = createCore({
    log: stderrLogger(values.verbose!),
    sandbox,
    idleStopMinutes: num(values['idle-minutes'], 'idle-minutes'),
    // One-shot commands gain nothing from a warm pool; it would only leave a container behind.
    poolSize: 0,
    historyDir: join(defaultStateDir(), 'history'),
    engine: { host: values['docker-host'], hostOrigin: '--docker-host' },
    environment: { dir: resolve(values.env ?? join(process.cwd(), ENV_DIR_NAME)), autoReload: true },
  });
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupting…\n');
    controller.abort();
  });
  const live = !values.json;
  const ctx: ToolContext = {
    manager: core.manager,
    threadKey: values.thread!,
    caller: 'cli',
    signal: controller.signal,
    audit: new AuditLog(values['audit-dir'] ?? defaultStateDir()),
    host: rootedHostFiles([process.cwd(), '/']),
    onOutput: live
      ? (o) => {
          if (o.output_type === 'stream') (o.name === 'stderr' ? process.stderr : process.stdout).write(o.text);
        }
      : undefined,
  };
  const finish = (o: ToolOutcome, streamed = false): number => {
    if (values.json) process.stdout.write(JSON.stringify(o, null, 2) + '\n');
    else printOutcome(o, streamed);
    return EXIT[o.status];
  };
  const codeArg = async (): Promise<string> => {
    if (values.code !== undefined) return values.code;
    if (args[0] && args[0] !== '-') return readFile(args[0], 'utf8');
    if (process.stdin.isTTY) throw new InputError('No code given.', 'Use --code CODE, a file name, or pipe code on stdin.');
    return readStdin();
  };
  const progress = (line: string) => process.stderr.write(`[image] ${line}\n`);
  try {
    switch (command) {
      case 'exec':
        await core.ready(progress);
        return finish(await executePythonCode({ pythonCode: await codeArg(), timeoutSeconds: num(values.timeout, 'timeout') }, ctx), live);
      case 'shell':
        await core.ready(progress);
        return finish(await runShellCommand({ command: args.join(' '), timeoutSeconds: num(values.timeout, 'timeout') }, ctx), live);
      case 'pdf':
        await core.ready(progress);
        return finish(
          await generatePdfReport(
            { pythonCode: await codeArg(), expectedOutputFilename: values.expected!, saveAsFilename: values['save-as'] ?? values.expected!, timeoutSeconds: num(values.timeout, 'timeout') },
            ctx,
          ),
          live,
        );
      case 'files':
        return finish(await listSessionFiles({ path: args[0] }, ctx));
      case 'read':
        return finish(await readSessionFile({ path: args[0], offset: num(values.offset, 'offset'), lines: num(values.lines, 'lines') }, ctx));
      case 'search':
        return finish(await searchSessionFiles({ pattern: args[0], path: values.path, glob: values.glob }, ctx));
      case 'upload':
        return finish(await uploadFileToSession({ source: args[0], destination: args[1] }, ctx));
      case 'download':
        return finish(await getSessionFile({ path: args[0], saveTo: args[1] ?? args[0]?.split('/').pop(), overwrite: values.overwrite }, ctx));
      case 'sessions': {
        const list = await core.manager.list();
        if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        else if (list.length === 0) process.stdout.write('No sessions.\n');
        else for (const s of list) process.stdout.write(`${s.threadKey}\t${s.state}\t${s.runtime ?? '-'}\t${s.container ?? '-'}\t${s.volume ?? '-'}\tcreated ${s.created ?? '?'}\n`);
        return 0;
      }
      case 'stop':
        await core.manager.stop(values.thread!);
        process.stdout.write(`Stopped the session of thread '${values.thread}' (files kept).\n`);
        return 0;
      case 'rm':
        await core.manager.delete(values.thread!);
        process.stdout.write(`Deleted the session of thread '${values.thread}' and its files.\n`);
        return 0;
      case 'prune': {
        const removed = await core.manager.prune({ olderThanDays: num(values['older-than-days'], 'older-than-days'), all: values.all });
        process.stdout.write(removed.length ? `Removed ${removed.length} session(s): ${removed.join(', ')}\n` : 'Nothing to prune.\n');
        return 0;
      }
      case 'image':
        if (args[0] !== 'build') throw new InputError(`Unknown image command '${args[0] ?? ''}'.`, 'Use: code-interpreter image build');
        await core.ready(undefined, { engineOnly: true });
        await core.image.build(progress);
        process.stdout.write(`${core.image.tag}\n`);
        return 0;
      case 'env':
        return await environment(core, args, values.json!, progress);
      case 'doctor': {
        const report = await engineReport(core.docker, core.manager.config.runtime);
        process.stdout.write((values.json ? JSON.stringify(report, null, 2) : formatEngineReport(report)) + '\n');
        return report.reachable ? 0 : 3;
      }
      case 'demo':
        return await demo(core, ctx, progress);
      case 'bench': {
        const out = values.out ?? 'bench-results.json';
        const results = await runBench({ quick: values.quick!, out, runtime: values.runtime, log: (l) => process.stderr.write(`${l}\n`) });
        process.stdout.write(formatBench(results) + `\n\nAll figures: ${out}\n`);
        return 0;
      }
      case 'mcp':
        return await runMcpServer({ core, envDir: values.env && resolve(values.env), thread: values.thread!, allowThreadArg: values['allow-thread-arg'], audit: ctx.audit, log: stderrLogger(values.verbose!) });
      default:
        throw new InputError(`Unknown command '${command}'.`, 'Run code-interpreter --help.');
    }
  } finally {
    await core.manager[Symbol.asyncDispose]();
  }
}

/** `env show | build | freeze [FILE]`: the workspace environment the sessions of this folder run on. */
async function environment(core: Core, args: string[], json: boolean, progress: (l: string) => void): Promise<number> {
  const env = core.environment;
  const status = env.status;
  if (status.state === 'failed' && !env.declared) throw status.error; // a malformed line: say which
  switch (args[0]) {
    case 'show': {
      const built = await env.exists().catch(() => false);
      const spec = env.declared;
      if (json) {
        process.stdout.write(JSON.stringify({ dir: env.dir, tag: env.tag, built, base: core.image.tag, apt: spec?.apt, requirements: spec?.requirements, wheels: spec?.wheels.map((w) => ({ name: w.name, bytes: w.bytes })) }, null, 2) + '\n');
        return 0;
      }
      if (!spec) {
        process.stdout.write(`No environment in ${env.dir} (no apt.txt, requirements.txt or wheels/): sessions run on the built-in image ${core.image.tag}.\n`);
        return 0;
      }
      process.stdout.write(`Environment ${env.dir}\n${describePlan(spec).map((l) => `  ${l}`).join('\n')}\nImage ${env.tag} (${built ? 'built' : 'not built yet: code-interpreter env build'}), derived from ${core.image.tag}\n`);
      return 0;
    }
    case 'build':
      await core.ready(undefined, { engineOnly: true });
      process.stdout.write(`${await env.build(progress)}\n`);
      return 0;
    case 'freeze': {
      const tag = await core.ready(progress);
      if (env.status.state === 'failed') throw env.status.error; // not the fallback's packages
      const lines = await env.freeze(tag);
      const text = lines.join('\n') + '\n';
      if (args[1]) {
        await writeFile(args[1], text);
        process.stderr.write(`Wrote ${lines.length} packages of ${tag} to ${args[1]}.\n`);
      } else process.stdout.write(text);
      return 0;
    }
    default:
      throw new InputError(`Unknown env command '${args[0] ?? ''}'.`, 'Use: code-interpreter env show | env build | env freeze [FILE]');
  }
}

async function demo(core: Core, base: ToolContext, progress: (l: string) => void): Promise<number> {
  await core.ready(progress);
  const thread = base.threadKey === 'default' ? `demo-${new Date().toISOString().replace(/[:.]/g, '-')}` : base.threadKey;
  const ctx = { ...base, threadKey: thread };
  process.stdout.write(`Demo thread: ${thread}\n`);
  const outDir = join(process.cwd(), 'code-interpreter-demo');
  for (const step of DEMO_STEPS) {
    process.stdout.write(`\n=== ${step.title} ===\n`);
    const o =
      step.tool === 'pdf'
        ? await generatePdfReport({ pythonCode: step.code, expectedOutputFilename: 'weekly_report.pdf', saveAsFilename: 'weekly_report.pdf' }, ctx)
        : await executePythonCode({ pythonCode: step.code }, ctx);
    printOutcome(o, true);
    if (o.status !== 'ok') {
      process.stderr.write(o.text + '\n');
      return EXIT[o.status];
    }
  }
  for (const name of ['incidents.csv', 'incident_summary.csv', 'incidents_by_category.png', 'weekly_report.pdf']) {
    const o = await getSessionFile({ path: name, saveTo: join(outDir, name), overwrite: true }, { ...ctx, maxUploadBytes: 64 * 1024 * 1024 });
    if (o.status !== 'ok') {
      process.stderr.write(o.text + '\n');
      return EXIT[o.status];
    }
  }
  process.stdout.write(`\nDone. The session's files are in /mnt/data of thread '${thread}'; copies are in ${outDir}.\n`);
  process.stdout.write(`Try: code-interpreter files --thread ${thread}    Remove: code-interpreter rm --thread ${thread}\n`);
  return 0;
}

guardStdio();
main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (err) => {
    const status = err instanceof InterpreterError ? (err.kind === 'input' ? 2 : err.kind === 'infrastructure' ? 3 : 1) : err instanceof InfrastructureError ? 3 : /ERR_PARSE_ARGS/.test(err?.code ?? '') ? 2 : 3;
    process.stderr.write(`code-interpreter: ${errorMessage(err)}\n`);
    return exitAfterFlush(status);
  },
);
