/**
 * `code-interpreter bench`: measures the engine on the real Docker engine and, in the same run,
 * the naive executors it replaces (one-shot `docker run`, `docker exec python3 -c`). Prints a table
 * of figures and ratios and writes every number to JSON. Absolute times on shared machines are
 * noise; the ratios against baselines measured in the same run are what count.
 */
import { spawn, spawnSync } from 'node:child_process';
import { AddressInfo, connect, createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, Core, executePythonCode, listSessionFiles, readSessionFile, runShellCommand, searchSessionFiles, ToolContext, ToolOutcome, LIMITS } from '../core';

interface Stat {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

function stats(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = now();
  const r = await fn();
  return [now() - t0, r];
}

function dockerCli(args: string[]): number {
  const t0 = now();
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return now() - t0;
}

/** As dockerCli, without blocking this process's event loop. */
function dockerCliAsync(args: string[]): Promise<number> {
  const t0 = now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(now() - t0) : reject(new Error(`docker ${args.join(' ')} failed: ${stderr}`))));
  });
}

const DATA_STACK = 'import pandas, numpy, matplotlib.pyplot, scipy.stats, seaborn, sklearn.linear_model, statsmodels.api';

export interface BenchOptions {
  quick: boolean;
  out: string;
  log: (line: string) => void;
  /** One runtime; default: runc and, when the engine has it, runsc (gVisor), side by side. */
  runtime?: string;
}

/** Every measure once per runtime; the JSON holds each runtime's figures under its name. */
export async function runBench(opts: BenchOptions): Promise<Record<string, unknown>> {
  const runtimes = opts.runtime ? [opts.runtime] : ['runc'];
  if (!opts.runtime) {
    const probe = createCore({ poolSize: 0 });
    try {
      if (Object.keys((await probe.docker.info()).Runtimes ?? {}).includes('runsc')) runtimes.push('runsc');
    } finally {
      probe.docker.close();
    }
  }
  const results: Record<string, unknown> = { date: new Date().toISOString(), quick: opts.quick, runtimes: {} as Record<string, unknown> };
  for (const runtime of runtimes) {
    opts.log(`== runtime ${runtime}`);
    (results.runtimes as Record<string, unknown>)[runtime] = await benchRuntime(opts, runtime);
  }
  writeFileSync(opts.out, JSON.stringify(results, null, 2) + '\n');
  return results;
}

async function benchRuntime(opts: BenchOptions, runtime: string): Promise<Record<string, unknown>> {
  const { log } = opts;
  const n = (full: number, quick: number) => (opts.quick ? quick : full);
  const results: Record<string, unknown> = { runtime };
  const sandbox = { runtime };
  const base = createCore({ idleStopMinutes: 0, poolSize: 0, sandbox });
  const image = await base.ready((l) => log(`[image] ${l}`));
  results.image = image;
  const threads: Array<[Pick<Core, 'manager'>, string]> = [];
  const ctxFor = (core: Pick<Core, 'manager'>, thread: string): ToolContext => {
    threads.push([core, thread]);
    return { manager: core.manager, threadKey: thread, caller: 'cli', host: { resolveRead: async (p) => p, resolveWrite: async (p) => p } };
  };
  const tag = `bench-${process.pid}-${Date.now().toString(36)}`;
  let seq = 0;
  const newThread = () => `${tag}-${seq++}`;
  const py = (ctx: ToolContext, code: string) =>
    executePythonCode({ pythonCode: code }, ctx).then((o) => {
      if (o.status !== 'ok') throw new Error(`bench step failed: ${o.text}`);
      return o;
    });

  try {
    // Baselines: the naive executors, in this same run.
    log('baseline: docker run --rm python3 -c print(1)');
    dockerCli(['run', '--rm', '--network', 'none', '--runtime', runtime, image, 'python3', '-c', 'print(1)']); // warm the engine's caches
    const runEmpty = stats(Array.from({ length: n(10, 3) }, () => dockerCli(['run', '--rm', '--network', 'none', '--runtime', runtime, image, 'python3', '-c', 'print(1)'])));
    log('baseline: docker run --rm with the data-stack imports');
    const runStack = stats(Array.from({ length: n(5, 2) }, () => dockerCli(['run', '--rm', '--network', 'none', '--runtime', runtime, image, 'python3', '-c', `${DATA_STACK}; print(1)`])));
    const holder = ctxFor(base, newThread());
    await py(holder, '1');
    const holderId = (await base.manager.session(holder.threadKey).inspect()).Id;
    log('baseline: docker exec python3 -c print(1)');
    const execEmpty = stats(Array.from({ length: n(20, 5) }, () => dockerCli(['exec', holderId, 'python3', '-c', 'print(1)'])));
    log('baseline: docker exec true');
    const execTrue = stats(Array.from({ length: n(20, 5) }, () => dockerCli(['exec', holderId, 'true'])));
    results.baselines = { dockerRunEmpty: runEmpty, dockerRunDataStack: runStack, dockerExecPython: execEmpty, dockerExecTrue: execTrue };

    // 1. Warm first result in a new thread (pool hit).
    log('1. warm first result in a new thread (pool)');
    const warm = await warmFirstResults(createCore({ idleStopMinutes: 0, poolSize: 1, sandbox }), n(20, 5), async (pooled) => {
      const ctx = ctxFor(pooled, newThread());
      const [ms] = await timed(() => py(ctx, 'print(1)'));
      await pooled.manager.delete(ctx.threadKey);
      return ms;
    });
    results.warmFirstResult = stats(warm);

    // 2. Cold first result (no pool): container + kernel start.
    log('2. cold first result in a new thread (no pool)');
    const cold: number[] = [];
    for (let i = 0; i < n(5, 2); i++) {
      const ctx = ctxFor(base, newThread());
      const [ms] = await timed(() => py(ctx, 'print(1)'));
      cold.push(ms);
      await base.manager.delete(ctx.threadKey);
    }
    results.coldFirstResult = stats(cold);

    // 3. Trivial round trip in an existing session.
    log('3. trivial cell round trip');
    const trivial: number[] = [];
    for (let i = 0; i < n(200, 30); i++) trivial.push((await timed(() => py(holder, 'x = 1')))[0]);
    results.trivialRoundTrip = stats(trivial);

    // 4. First data-stack import in a fresh session (the kernel warmed it).
    log('4. first import pandas, matplotlib.pyplot in a fresh session');
    const imports: number[] = [];
    for (let i = 0; i < n(3, 1); i++) {
      const ctx = ctxFor(base, newThread());
      await py(ctx, '1');
      imports.push((await py(ctx, 'import pandas, matplotlib.pyplot')).execution!.durationMs);
      await base.manager.delete(ctx.threadKey);
    }
    results.firstDataStackImportKernelMs = stats(imports);

    // 5. Shell echo round trip.
    log('5. shell echo round trip');
    const shell: number[] = [];
    for (let i = 0; i < n(20, 5); i++) shell.push((await timed(() => runShellCommand({ command: 'echo hi' }, holder)))[0]);
    results.shellEcho = stats(shell);

    // 5a. The file tools on small inputs: one request each over the session agent's channel.
    log('5a. list 100 files, read a 2,000-line file, search 1 MB');
    await py(holder, 'import os\nos.makedirs("hundred", exist_ok=True)\nfor i in range(100):\n    open(f"hundred/f{i:03d}.txt", "w").write("x")\nopen("lines.txt", "w").write("".join(f"line {i} of the file\\n" for i in range(2000)))\nopen("one-mb.log", "w").write(("INFO nothing to see here in this line\\n" * 28000) + "ERROR needle\\n")');
    const small = async (name: string, fn: () => Promise<ToolOutcome>) =>
      stats(await sequential(n(20, 5), () => timed(fn).then(([ms, o]) => {
        if (o.status !== 'ok') throw new Error(`${name} failed: ${o.text}`);
        return ms;
      })));
    results.smallFiles = {
      list100: await small('list', () => listSessionFiles({ path: 'hundred' }, holder)),
      read2000Lines: await small('read', () => readSessionFile({ path: 'lines.txt', lines: LIMITS.maxReadLines }, holder)),
      search1Mb: await small('search', () => searchSessionFiles({ pattern: 'needle', path: 'one-mb.log' }, holder)),
    };

    // 5b. What differs most between runtimes: a CPU-bound cell, a file-heavy cell (system calls),
    //     and importing the data stack in a fresh interpreter (thousands of file opens).
    log('5b. CPU-bound cell, file-heavy cell, fresh-interpreter import');
    results.cpuBound = stats(await sequential(n(5, 2), async () => (await py(holder, 'sum(i * i for i in range(2_000_000))')).execution!.durationMs));
    results.fileHeavy = stats(
      await sequential(n(5, 2), async () =>
        (await py(holder, 'import os, shutil\nos.makedirs("fh", exist_ok=True)\nfor i in range(2000):\n    open(f"fh/{i}.txt", "w").write("x" * 512)\ntotal = sum(len(open(f"fh/{i}.txt").read()) for i in range(2000))\nshutil.rmtree("fh")')).execution!.durationMs,
      ),
    );
    results.freshImport = stats(
      await sequential(n(3, 1), async () => {
        const o = await runShellCommand({ command: 'python3 -c "import time; t = time.perf_counter(); import pandas, matplotlib.pyplot; print(round((time.perf_counter() - t) * 1000))"' }, holder);
        const value = Number(/^(\d+)$/m.exec(o.text)?.[1]);
        if (!Number.isFinite(value)) throw new Error(`fresh import failed: ${o.text}`);
        return value;
      }),
    );

    // 6. Upload and download of 100 MB.
    log('6. 100 MB upload and download');
    const mb = n(100, 20);
    const blob = Buffer.alloc(mb * 1024 * 1024, 7);
    const session = base.manager.session(holder.threadKey);
    const [up] = await timed(() => session.files.upload('bench.bin', blob));
    const [down, back] = await timed(() => session.files.download('bench.bin', blob.length + 1));
    if (!back.equals(blob)) throw new Error('download differs from upload');
    results.transfer = { megabytes: mb, uploadMBps: mb / (up / 1000), downloadMBps: mb / (down / 1000), uploadMs: up, downloadMs: down };

    // 7. Listing 10,000 files; searching 100 MB of text.
    log('7. list 10,000 files, search 100 MB');
    const files = n(10_000, 2_000);
    await py(holder, `import os\nos.makedirs("many", exist_ok=True)\nfor i in range(${files}):\n    open(f"many/f{i:05d}.txt", "w").write("x")`);
    const list = stats(await sequential(n(5, 2), () => timed(() => listSessionFiles({ path: 'many' }, holder)).then(([ms, o]) => {
      if (o.status !== 'ok') throw new Error(o.text);
      return ms;
    })));
    const textMb = n(100, 20);
    await py(holder, `line = "2026-11-24 12:00:00 INFO request served in 12 ms by api-7\\n"\nwith open("big.log", "w") as f:\n    for i in range(${textMb} * 1024 * 1024 // len(line)):\n        f.write(line if i % 100000 else "2026-11-24 12:00:00 ERROR needle-in-the-haystack\\n")`);
    await runShellCommand({ command: 'rm -f bench.bin; cat big.log > /dev/null' }, holder);
    const search = stats(await sequential(n(5, 2), () => timed(() => searchSessionFiles({ pattern: 'needle-in-the-haystack', path: 'big.log' }, holder)).then(([ms, o]) => {
      if (!/needle/.test(o.text)) throw new Error(`search found nothing: ${o.text}`);
      return ms;
    })));
    results.listFiles = { files, ...list };
    results.search = { megabytes: textMb, ...search };

    // 7b. The same measures against the engine reached over TCP on loopback (as a shared sandbox host would be).
    log('7b. shell, list, read and a cell round trip over tcp:// on loopback');
    results.overTcp = await overTcp(sandbox, n, results);

    // 8. 20 concurrent idle sessions: memory per session and trivial latency while they exist.
    const count = n(20, 5);
    log(`8. ${count} idle sessions`);
    // A clean session (the holder now has 10,000 files, which every execution's file scan visits).
    const probe = ctxFor(base, newThread());
    await py(probe, '1');
    const quiet: number[] = [];
    for (let i = 0; i < n(100, 20); i++) quiet.push((await timed(() => py(probe, 'x = 1')))[0]);
    const idle: ToolContext[] = [];
    for (let i = 0; i < count; i++) {
      const ctx = ctxFor(base, newThread());
      await py(ctx, 'import pandas, matplotlib.pyplot\n1');
      idle.push(ctx);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const rss: number[] = [];
    for (const ctx of idle) {
      const id = (await base.manager.session(ctx.threadKey).inspect()).Id;
      const st = (await base.docker.api.getContainer(id).stats({ stream: false })) as unknown as { memory_stats: { usage?: number; stats?: Record<string, number> } };
      const m = st.memory_stats;
      rss.push((m.stats?.rss ?? m.stats?.total_rss ?? m.stats?.anon ?? m.usage ?? 0) / (1024 * 1024));
    }
    const loaded: number[] = [];
    for (let i = 0; i < n(100, 20); i++) loaded.push((await timed(() => py(probe, 'x = 1')))[0]);
    results.idleSessions = { sessions: count, rssMbPerSession: stats(rss), trivialRoundTripBefore: stats(quiet), trivialRoundTripWhileIdle: stats(loaded) };
    // The cost of the per-execution file scan with many files (the holder's 10,000).
    results.trivialRoundTripWith10kFiles = stats(await sequential(n(50, 10), () => timed(() => py(holder, 'x = 1')).then(([ms]) => ms)));

    // 9. A workspace environment: building a one-package apt.txt (no layer cache), then the warm
    //    first result of a new thread on the derived image (pool hit), as in 1.
    log('9. environment: build a one-package apt.txt, warm first result on the derived image');
    const envRoot = mkdtempSync(join(tmpdir(), 'bench-env-'));
    const envDir = join(envRoot, '.code-interpreter');
    mkdirSync(envDir);
    writeFileSync(join(envDir, 'apt.txt'), 'python3-humanize\n');
    const derived = createCore({ idleStopMinutes: 0, poolSize: 1, sandbox, environment: { dir: envDir } });
    try {
      const [buildMs, derivedTag] = await timed(() => derived.environment.build(undefined, { noCache: true }));
      derived.manager.startPool();
      const envWarm: number[] = [];
      for (let i = 0; i < n(10, 3); i++) {
        if (!(await derived.manager.pool!.whenReady())) throw new Error('the warm pool did not fill with the derived image');
        await new Promise((r) => setTimeout(r, 500));
        const ctx = ctxFor(derived, newThread());
        const [ms] = await timed(() => py(ctx, 'print(1)'));
        envWarm.push(ms);
        if ((await derived.manager.session(ctx.threadKey).inspect()).Config.Image !== derivedTag) throw new Error('the thread did not run on the derived image');
        await derived.manager.delete(ctx.threadKey);
      }
      results.environment = { packages: ['python3-humanize'], image: derivedTag, buildMs, warmFirstResult: stats(envWarm) };
    } finally {
      await derived.manager[Symbol.asyncDispose]();
      rmSync(envRoot, { recursive: true, force: true });
    }

    const r = results as Record<string, Stat & Record<string, number>>;
    results.ratios = {
      warmFirstResultVsDockerRunDataStack: runStack.p50 / r.warmFirstResult.p50,
      warmFirstResultVsDockerRunEmpty: runEmpty.p50 / r.warmFirstResult.p50,
      coldFirstResultVsDockerRunDataStack: runStack.p50 / r.coldFirstResult.p50,
      trivialVsDockerExecPython: execEmpty.p50 / r.trivialRoundTrip.p50,
      shellEchoVsDockerExecPython: execEmpty.p50 / r.shellEcho.p50,
      shellEchoVsDockerExecTrue: execTrue.p50 / r.shellEcho.p50,
      environmentWarmFirstResultVsBuiltin: (results.environment as { warmFirstResult: Stat }).warmFirstResult.p50 / r.warmFirstResult.p50,
      trivialWithIdleSessionsVsIdle:
        (results.idleSessions as { trivialRoundTripWhileIdle: Stat; trivialRoundTripBefore: Stat }).trivialRoundTripWhileIdle.p50 /
        (results.idleSessions as { trivialRoundTripBefore: Stat }).trivialRoundTripBefore.p50,
    };
  } finally {
    for (const [core, thread] of threads) await core.manager.delete(thread).catch(() => undefined);
    await base.manager[Symbol.asyncDispose]();
  }
  return results;
}

/**
 * A new thread's first result on a pool hit, `times` times (`firstResult` runs one and says how long
 * it took). The pooled core is disposed whatever happens: a failed step must not leave its warm
 * containers and connections behind (they would keep the process alive, and the pool's containers
 * would wait for their watchdog).
 */
export async function warmFirstResults(pooled: Pick<Core, 'manager'>, times: number, firstResult: (core: Pick<Core, 'manager'>) => Promise<number>): Promise<number[]> {
  try {
    pooled.manager.startPool();
    const warm: number[] = [];
    for (let i = 0; i < times; i++) {
      if (!(await pooled.manager.pool!.whenReady())) throw new Error('the warm pool did not fill');
      await new Promise((r) => setTimeout(r, 500)); // let the refill settle so it does not share the CPU
      warm.push(await firstResult(pooled));
    }
    return warm;
  } finally {
    await pooled.manager[Symbol.asyncDispose]();
  }
}

/**
 * Shell echo, list, read and a trivial cell against the same engine reached through a TCP forwarder
 * on 127.0.0.1 (every request is a new TCP connection, as to a remote engine without TLS), with
 * `docker -H tcp://… exec true` as the baseline and the ratio to the local socket's figures.
 */
async function overTcp(sandbox: { runtime: string }, n: (full: number, quick: number) => number, local: Record<string, any>): Promise<Record<string, unknown>> {
  const h = process.env.DOCKER_HOST;
  const upstream = h ? (h.startsWith('unix://') ? h.slice('unix://'.length) : undefined) : '/var/run/docker.sock';
  if (!upstream) return { skipped: `DOCKER_HOST is ${h}: the forwarder needs a local unix socket to forward to` };
  const server = createServer((client) => {
    const engine = connect(upstream);
    // As a remote dockerd's own sockets (Go sets TCP_NODELAY by default).
    client.setNoDelay(true);
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const remote = createCore({ idleStopMinutes: 0, poolSize: 0, sandbox, engine: { host, hostOrigin: 'the bench' } });
  const thread = `bench-tcp-${process.pid}-${Date.now().toString(36)}`;
  const ctx: ToolContext = { manager: remote.manager, threadKey: thread, caller: 'cli', host: { resolveRead: async (p) => p, resolveWrite: async (p) => p } };
  try {
    const prep = await executePythonCode({ pythonCode: 'import os\nos.makedirs("hundred", exist_ok=True)\nfor i in range(100):\n    open(f"hundred/f{i:03d}.txt", "w").write("x")\nopen("lines.txt", "w").write("".join(f"line {i}\\n" for i in range(2000)))' }, ctx);
    if (prep.status !== 'ok') throw new Error(`over tcp: ${prep.text}`);
    const id = (await remote.manager.session(thread).inspect()).Id;
    const measure = async (fn: () => Promise<ToolOutcome>) =>
      stats(await sequential(n(20, 5), () => timed(fn).then(([ms, o]) => {
        if (o.status !== 'ok') throw new Error(`over tcp: ${o.text}`);
        return ms;
      })));
    const r = {
      engine: host,
      // Asynchronously: the forwarder runs in this process (a synchronous spawn would block it).
      dockerExecTrue: stats(await sequential(n(20, 5), () => dockerCliAsync(['-H', host, 'exec', id, 'true']))),
      shellEcho: await measure(() => runShellCommand({ command: 'echo hi' }, ctx)),
      list100: await measure(() => listSessionFiles({ path: 'hundred' }, ctx)),
      read2000Lines: await measure(() => readSessionFile({ path: 'lines.txt', lines: LIMITS.maxReadLines }, ctx)),
      trivialRoundTrip: await measure(() => executePythonCode({ pythonCode: 'x = 1' }, ctx)),
    };
    return {
      ...r,
      vsLocal: {
        shellEcho: r.shellEcho.p50 / local.shellEcho.p50,
        list100: r.list100.p50 / local.smallFiles.list100.p50,
        read2000Lines: r.read2000Lines.p50 / local.smallFiles.read2000Lines.p50,
        trivialRoundTrip: r.trivialRoundTrip.p50 / local.trivialRoundTrip.p50,
      },
      shellEchoVsDockerExecTrue: r.dockerExecTrue.p50 / r.shellEcho.p50,
    };
  } finally {
    await remote.manager.delete(thread).catch(() => undefined);
    await remote.manager[Symbol.asyncDispose]();
    server.close();
  }
}

async function sequential<T>(times: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(await fn());
  return out;
}

/** Each runtime's table, then gVisor against runc on the same measures when both ran. */
export function formatBench(all: Record<string, any>): string {
  const names = Object.keys(all.runtimes);
  const parts = names.map((name) => `runtime ${name}\n${formatRuntime(all.runtimes[name])}`);
  if (all.runtimes.runc && all.runtimes.runsc) parts.push(`runsc (gVisor) against runc, p50\n${formatComparison(all.runtimes.runc, all.runtimes.runsc)}`);
  return parts.join('\n\n');
}

function formatComparison(a: Record<string, any>, b: Record<string, any>): string {
  const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  type Kind = 'time' | 'rate' | 'size';
  const rows: Array<[string, number, number, (v: number) => string, Kind]> = [
    ['warm first result (pool)', a.warmFirstResult.p50, b.warmFirstResult.p50, ms, 'time'],
    ['cold first result', a.coldFirstResult.p50, b.coldFirstResult.p50, ms, 'time'],
    ['trivial cell round trip', a.trivialRoundTrip.p50, b.trivialRoundTrip.p50, ms, 'time'],
    ['CPU-bound cell', a.cpuBound.p50, b.cpuBound.p50, ms, 'time'],
    ['file-heavy cell', a.fileHeavy.p50, b.fileHeavy.p50, ms, 'time'],
    ['first import pandas+pyplot (fresh kernel)', a.freshImport.p50, b.freshImport.p50, ms, 'time'],
    ['shell echo round trip', a.shellEcho.p50, b.shellEcho.p50, ms, 'time'],
    [`upload ${a.transfer.megabytes} MB`, a.transfer.uploadMBps, b.transfer.uploadMBps, (v) => `${v.toFixed(0)} MB/s`, 'rate'],
    [`download ${a.transfer.megabytes} MB`, a.transfer.downloadMBps, b.transfer.downloadMBps, (v) => `${v.toFixed(0)} MB/s`, 'rate'],
    ['RSS per idle session', a.idleSessions.rssMbPerSession.p50, b.idleSessions.rssMbPerSession.p50, (v) => `${v.toFixed(0)} MB`, 'size'],
  ];
  const ratio = (x: number, y: number, kind: Kind) => (kind === 'rate' ? `${(x / y).toFixed(2)}× slower` : `${(y / x).toFixed(2)}× the ${kind === 'time' ? 'time' : 'memory (as the engine reports it)'}`);
  const table = [['measure', 'runc', 'runsc', 'runsc against runc'], ...rows.map(([m, x, y, f, kind]) => [m, f(x), f(y), ratio(x, y, kind)])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => '| ' + row.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |').join('\n');
}

function overTcpRows(t: Record<string, any> | undefined, ms: (v: number) => string, x: (v: number) => string): string[][] {
  if (!t || t.skipped) return [['over tcp:// on loopback', t?.skipped ?? 'not measured', '', '', '']];
  const row = (name: string, s: Stat, ratio: number) => [`over tcp: ${name}`, ms(s.p50), ms(s.p95), '', `${x(ratio)} the local socket's`];
  return [
    row('shell echo round trip', t.shellEcho, t.vsLocal.shellEcho),
    row('list 100 files', t.list100, t.vsLocal.list100),
    row('read a 2,000-line file', t.read2000Lines, t.vsLocal.read2000Lines),
    row('trivial cell round trip', t.trivialRoundTrip, t.vsLocal.trivialRoundTrip),
    ['over tcp: baseline docker exec true', ms(t.dockerExecTrue.p50), ms(t.dockerExecTrue.p95), '', `shell echo ${x(t.shellEchoVsDockerExecTrue)} faster`],
  ];
}

/** One runtime's table: figure, target, and the ratio against the same-run baseline. */
function formatRuntime(r: Record<string, any>): string {
  const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  const x = (v: number) => `${v.toFixed(1)}×`;
  const rows: string[][] = [
    ['measure', 'p50', 'p95', 'target', 'ratio vs baseline'],
    ['warm first result (new thread, pool)', ms(r.warmFirstResult.p50), ms(r.warmFirstResult.p95), '≤ 150 ms, ≥ 15×', `${x(r.ratios.warmFirstResultVsDockerRunDataStack)} vs docker run + data stack`],
    ['cold first result (new thread, no pool)', ms(r.coldFirstResult.p50), ms(r.coldFirstResult.p95), '≤ 1.5 s', `${x(r.ratios.coldFirstResultVsDockerRunDataStack)} vs docker run + data stack`],
    ['trivial cell round trip', ms(r.trivialRoundTrip.p50), ms(r.trivialRoundTrip.p95), '≤ 15 ms, ≥ 10×', `${x(r.ratios.trivialVsDockerExecPython)} vs docker exec python3 -c`],
    ['first import pandas+pyplot (fresh session)', ms(r.firstDataStackImportKernelMs.p50), ms(r.firstDataStackImportKernelMs.p95), '≤ 50 ms', ''],
    ['shell echo round trip', ms(r.shellEcho.p50), ms(r.shellEcho.p95), '≤ 10 ms, ≥ 8×', `${x(r.ratios.shellEchoVsDockerExecTrue)} vs docker exec true`],
    ['list 100 files', ms(r.smallFiles.list100.p50), ms(r.smallFiles.list100.p95), '≤ 10 ms', ''],
    ['read a 2,000-line file', ms(r.smallFiles.read2000Lines.p50), ms(r.smallFiles.read2000Lines.p95), '≤ 10 ms', ''],
    ['search 1 MB', ms(r.smallFiles.search1Mb.p50), ms(r.smallFiles.search1Mb.p95), '≤ 10 ms', ''],
    ['CPU-bound cell (2M-step Python loop)', ms(r.cpuBound.p50), ms(r.cpuBound.p95), '', ''],
    ['file-heavy cell (2,000 files written, read, removed)', ms(r.fileHeavy.p50), ms(r.fileHeavy.p95), '', ''],
    ['import pandas+pyplot, fresh interpreter', ms(r.freshImport.p50), ms(r.freshImport.p95), '', 'what the warm kernel saves'],
    [`upload ${r.transfer.megabytes} MB`, `${r.transfer.uploadMBps.toFixed(0)} MB/s`, '', '≥ 200 MB/s', ''],
    [`download ${r.transfer.megabytes} MB`, `${r.transfer.downloadMBps.toFixed(0)} MB/s`, '', '≥ 200 MB/s', ''],
    [`list ${r.listFiles.files} files`, ms(r.listFiles.p50), ms(r.listFiles.p95), '≤ 300 ms', ''],
    [`search ${r.search.megabytes} MB`, ms(r.search.p50), ms(r.search.p95), '≤ 1 s', ''],
    [`RSS per idle session (${r.idleSessions.sessions})`, `${r.idleSessions.rssMbPerSession.p50.toFixed(0)} MB`, `${r.idleSessions.rssMbPerSession.p95.toFixed(0)} MB`, '≤ 120 MB', ''],
    [`trivial round trip with ${r.idleSessions.sessions} idle sessions`, ms(r.idleSessions.trivialRoundTripWhileIdle.p50), ms(r.idleSessions.trivialRoundTripWhileIdle.p95), '≤ 2× idle', `${x(r.ratios.trivialWithIdleSessionsVsIdle)} of the same session before`],
    ['trivial round trip, session with 10,000 files', ms(r.trivialRoundTripWith10kFiles.p50), ms(r.trivialRoundTripWith10kFiles.p95), '', 'file scan before/after each run'],
    ['environment: build a one-package apt.txt', `${(r.environment.buildMs / 1000).toFixed(1)} s`, '', '', 'derived image, no layer cache'],
    ['environment: warm first result (pool)', ms(r.environment.warmFirstResult.p50), ms(r.environment.warmFirstResult.p95), '≈ built-in', `${x(r.ratios.environmentWarmFirstResultVsBuiltin)} of the built-in image's`],
    ['baseline: docker run --rm python3 -c print(1)', ms(r.baselines.dockerRunEmpty.p50), ms(r.baselines.dockerRunEmpty.p95), '', ''],
    ['baseline: docker run --rm + data-stack imports', ms(r.baselines.dockerRunDataStack.p50), ms(r.baselines.dockerRunDataStack.p95), '', ''],
    ['baseline: docker exec python3 -c print(1)', ms(r.baselines.dockerExecPython.p50), ms(r.baselines.dockerExecPython.p95), '', ''],
    ['baseline: docker exec true', ms(r.baselines.dockerExecTrue.p50), ms(r.baselines.dockerExecTrue.p95), '', ''],
    ...overTcpRows(r.overTcp, ms, x),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => '| ' + row.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |').join('\n');
}
