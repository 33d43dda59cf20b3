import { EventEmitter } from 'node:events';
import { v4 as uuid } from 'uuid';
import { InfrastructureError, InputError } from '../errors';
import { KernelClient, KernelRunResult } from '../kernel/client';
import { CgroupCounters, ContainerMessage, DoneMessage, ExecutionCollector, LineDecoder, parseMessage, StreamInfo } from '../kernel/protocol';
import { Logger, silentLogger } from '../log';
import { coalesceStreams, ExecutionKind, ExecutionRecord, ExecutionStatus, Output } from '../notebook/nbformat';
import { formatBytes } from '../policy/truncate';
import { LIMITS, TIMINGS } from '../policy/limits';
import { DATA_DIR } from '../policy/paths';
import { readSingleFileFromTar, singleFileTar } from '../sandbox/archive';
import { DockerClient } from '../sandbox/docker';
import { HELPER, runHelper, sandboxEnv } from '../sandbox/helper';
import { ImageSource, sameImageRef } from '../sandbox/image';
import { ResolvedRuntime } from '../sandbox/runtime';
import { containerSpec, SandboxConfig, SANDBOX_UID } from '../sandbox/spec';
import { HistoryStore } from '../notebook/history';
import { LABELS, SessionNames, sessionLabels } from './naming';
import { WarmPool } from './pool';
import { FileEntry, PdfInfo, ReadResult, ResolveResult, SearchResult } from './files';

export interface SessionDeps {
  docker: DockerClient;
  image: ImageSource;
  config: SandboxConfig;
  log?: Logger;
  /** Called whenever the session is used (the manager's idle clock). */
  onActivity?: (session: Session) => void;
  /** Where a new thread gets a warm container from, when there is one. */
  pool?: WarmPool;
  /** The in-container watchdog's idle limit (stops a container whose host went away). */
  watchdogSeconds: number;
  /** Keeps the thread's executions across processes (optional). */
  history?: HistoryStore;
  /** The runtime containers run under (`auto` resolved once per engine). */
  runtime: () => Promise<ResolvedRuntime>;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (output: Output) => void;
}

/** An execution and what the caller should be told about it besides its outputs. */
export interface ExecutionResult {
  record: ExecutionRecord;
  /** Plain sentences: kernel restarts, lost variables, where full output was saved. */
  notes: string[];
  streams: Partial<Record<'stdout' | 'stderr', StreamInfo>>;
  gaps: Partial<Record<'stdout' | 'stderr', number>>;
  exitCode?: number;
}

export type SessionState = 'unknown' | 'stopped' | 'starting' | 'running';

const containerGone = (what: 'execution' | 'command') =>
  `The sandbox container stopped during the ${what} (it was killed or removed, or Docker restarted); the next call starts it again.`;

const LOST_VARIABLES = 'Python variables from earlier executions are gone; files in /mnt/data are kept.';

/**
 * One chat thread's sandbox: a container, its /mnt/data volume and a Python kernel. Created lazily
 * on first use; executions are queued one at a time. Disposing a Session deletes it (for tests
 * and throwaway threads); the manager's stop/detach keep it.
 */
export class Session extends EventEmitter implements AsyncDisposable {
  id: string | undefined;
  state: SessionState = 'unknown';
  readonly history: ExecutionRecord[] = [];
  lastUsed = Date.now();
  private containerId?: string;
  /** The image the container was started from (compared with the image in use on every call). */
  private containerImage?: string;
  private ensuring?: Promise<string>;
  private kernel?: KernelClient;
  private queue: Promise<unknown> = Promise.resolve();
  private running?: AbortController;
  private busyCount = 0;
  /** Something to tell the caller at the next execution (e.g. the kernel was restarted). */
  private pendingNote?: string;
  /** Why this thread runs on another image than its workspace declares (told once per image). */
  private imageNote?: string;
  private toldImageNote?: string;
  private readonly log: Logger;

  constructor(
    readonly names: SessionNames,
    private readonly deps: SessionDeps,
  ) {
    super();
    this.log = deps.log ?? silentLogger;
    try {
      this.history.push(...(deps.history?.load(names.threadHash) ?? []));
    } catch (err) {
      this.log.warn(`history of ${names.container} could not be read: ${(err as Error).message}`);
    }
  }

  get threadKey(): string {
    return this.names.threadKey;
  }

  /** The image this session's container was started from (once it was). */
  get image(): string | undefined {
    return this.containerImage;
  }

  get busy(): boolean {
    return this.busyCount > 0;
  }

  private touch(): void {
    this.lastUsed = Date.now();
    this.deps.onActivity?.(this);
  }

  /** Run fn after every earlier queued call has finished: calls never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.busyCount++;
      this.emit('busy', true);
      try {
        return await fn();
      } finally {
        this.busyCount--;
        this.touch();
        this.emit('busy', false);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Where this thread's files live: its own data volume, or a claimed pool volume named by its link volume. */
  private async findVolume(): Promise<{ volume: string; sessionId?: string; owner?: string } | undefined> {
    const { docker } = this.deps;
    const own = await docker.volumeExists(this.names.volume);
    if (own) return { volume: own.Name, sessionId: own.Labels?.[LABELS.session], owner: own.Labels?.[LABELS.owner] };
    const link = await docker.volumeExists(this.names.link);
    const data = link?.Labels?.[LABELS.dataVolume];
    if (link && data) return { volume: data, sessionId: link.Labels?.[LABELS.session], owner: String(SANDBOX_UID) };
    return undefined;
  }

  /** The running container's id, creating and starting the container (and volume) as needed. */
  ensureContainer(): Promise<string> {
    // A live kernel means a live container: skip the round trip to Docker on the hot path.
    // The image is compared too: a rebuilt environment moves the thread on its next call.
    if (this.kernel?.alive && this.containerId && this.containerImage === this.deps.image.resolved) return Promise.resolve(this.containerId);
    // Concurrent callers (a file listing while code starts) share one attempt.
    this.ensuring ??= this.ensureContainerOnce().finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  private async ensureContainerOnce(): Promise<string> {
    const { docker } = this.deps;
    const image = await this.deps.image.ensure();
    this.deps.pool?.fill(); // a pool that waited for the image in use can fill now
    let existing = await docker.inspectContainer(this.names.container);
    if (existing && !sameImageRef(existing.Config?.Image, image)) {
      // The workspace's environment was (re)built or changed: same volume, new image.
      this.log.info(`session ${this.names.container}: image changed (${existing.Config?.Image} → ${image}), recreating the container on the same volume`);
      if (existing.State?.Running || this.containerId) {
        this.pendingNote = `The sandbox environment changed, so this thread moved to the image ${image}; ${LOST_VARIABLES}`;
      }
      await this.kernel?.shutdown().catch(() => undefined);
      this.kernel = undefined;
      await docker.removeContainer(existing.Id);
      existing = undefined;
      this.containerId = undefined;
    }
    const note = this.deps.image.note();
    if (note && note !== this.toldImageNote) this.imageNote = this.toldImageNote = note;
    this.containerImage = image;
    if (existing?.State?.Running) {
      this.id ??= existing.Config?.Labels?.[LABELS.session] ?? (await this.findVolume())?.sessionId;
      if (this.containerId !== existing.Id) {
        // Found a container this object did not start (another process, or before a restart).
        if (this.containerId) this.pendingNote = `The session's container was replaced; ${LOST_VARIABLES}`;
        this.containerId = existing.Id;
      }
      this.state = 'running';
      return existing.Id;
    }
    this.state = 'starting';
    if (existing) {
      this.log.info(`session ${this.names.container}: starting the stopped container`);
      await docker.startContainer(existing.Id);
      this.id ??= existing.Config?.Labels?.[LABELS.session] ?? (await this.findVolume())?.sessionId;
      this.pendingNote = `The session had been stopped and was started again; ${LOST_VARIABLES}`;
      this.containerId = existing.Id;
      this.state = 'running';
      return existing.Id;
    } else if (this.containerId) {
      this.pendingNote = `The session's container had disappeared (removed or crashed) and was recreated; ${LOST_VARIABLES}`;
    }
    const found = await this.findVolume();
    if (!found && !this.containerId) {
      const claimed = await this.claimFromPool();
      if (claimed) return claimed;
    }
    this.id ??= found?.sessionId ?? uuid();
    const volume = found?.volume ?? this.names.volume;
    const runtime = await this.deps.runtime();
    if (!found) await docker.createVolume(volume, sessionLabels(this.names, this.id, 'data'));
    else if (found.owner !== String(SANDBOX_UID)) await this.migrateOwner(volume, image, runtime);
    const spec = containerSpec({
      name: this.names.container,
      image,
      volume,
      labels: { ...sessionLabels(this.names, this.id, 'session'), [LABELS.runtime]: runtime.name },
      config: this.deps.config,
      runtime,
      watchdogSeconds: this.deps.watchdogSeconds,
    });
    let id: string;
    try {
      id = await docker.createContainer(spec);
    } catch (err) {
      // Another process may have created it a moment ago (Docker reserves the name first).
      let raced = await docker.inspectContainer(this.names.container);
      for (let i = 0; !raced && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        raced = await docker.inspectContainer(this.names.container);
      }
      if (!raced) throw err;
      id = raced.Id;
    }
    await docker.startContainer(id);
    this.containerId = id;
    this.state = 'running';
    return id;
  }

  /**
   * A volume from before the sandbox user became uid 65532 holds files of uid 1000: hand them to the
   * new user once, in a throwaway container that may only change owners (no network, read-only root).
   */
  private async migrateOwner(volume: string, image: string, runtime: ResolvedRuntime): Promise<void> {
    const uid = String(SANDBOX_UID);
    const script = `owner=$(stat -c %u ${DATA_DIR}); if [ "$owner" != ${uid} ]; then chown -R ${uid}:${uid} ${DATA_DIR} && echo "migrated from $owner"; fi`;
    const r = await this.deps.docker.runOnce(image, ['sh', '-c', script], { [LABELS.role]: 'migrate' }, {
      user: '0:0',
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER'],
      volume: { name: volume, target: DATA_DIR },
      runtime: runtime.request,
    });
    const said = r.stdout.toString('utf8').trim();
    if (r.exitCode !== 0) {
      throw new InfrastructureError(
        `The files of this thread (volume ${volume}) could not be handed to the sandbox user ${uid}: ${r.stderr.toString('utf8').trim().slice(-300)}`,
        `Run: docker run --rm -v ${volume}:/mnt/data --user 0 ${image} chown -R ${uid}:${uid} /mnt/data — or delete the session if its files are not needed.`,
      );
    }
    if (said) this.log.info(`session ${this.names.container}: volume ${volume} ${said} to uid ${uid}`);
  }

  /** Take a warm container for a brand-new thread: rename it, and record its volume in a link volume. */
  private async claimFromPool(): Promise<string | undefined> {
    const entry = this.deps.pool?.take(this.containerImage ?? '');
    if (!entry) return undefined;
    const { docker } = this.deps;
    try {
      await docker.renameContainer(entry.containerId, this.names.container);
    } catch (err) {
      this.log.warn(`warm pool: claim failed (${(err as Error).message}); starting a container instead`);
      void this.deps.pool?.discard(entry);
      return undefined;
    }
    this.id = uuid();
    await docker.createVolume(this.names.link, { ...sessionLabels(this.names, this.id, 'link'), [LABELS.dataVolume]: entry.volume });
    this.containerId = entry.containerId;
    this.attachKernel(entry.kernel);
    this.state = 'running';
    this.log.info(`session ${this.names.container}: claimed warm container ${entry.name}`);
    return entry.containerId;
  }

  private attachKernel(kernel: KernelClient): void {
    kernel.on('exit', () => this.emit('kernel-exit'));
    this.kernel = kernel;
    this.emit('kernel-start');
  }

  private async ensureKernel(): Promise<KernelClient> {
    const containerId = await this.ensureContainer();
    if (this.kernel?.alive && this.containerId === containerId) return this.kernel;
    const hadKernel = !!this.kernel;
    this.kernel = undefined;
    const kernel = await KernelClient.start(this.deps.docker, containerId, this.log);
    this.attachKernel(kernel);
    if (hadKernel && !this.pendingNote) this.pendingNote = `The Python kernel was restarted; ${LOST_VARIABLES}`;
    return kernel;
  }

  private takeNote(notes: string[]): void {
    if (this.pendingNote) notes.push(this.pendingNote);
    if (this.imageNote) notes.push(this.imageNote);
    this.pendingNote = undefined;
    this.imageNote = undefined;
  }

  /** Interrupt whatever runs now (Python or shell). */
  interrupt(): void {
    this.running?.abort();
  }

  private linkSignal(signal?: AbortSignal): AbortController {
    const controller = new AbortController();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.running = controller;
    return controller;
  }

  /** Run Python in the session's kernel. */
  runPython(code: string, opts: RunOptions, kind: ExecutionKind = 'python'): Promise<ExecutionResult> {
    return this.exclusive(async () => {
      const notes: string[] = [];
      const kernel = await this.ensureKernel();
      this.takeNote(notes);
      const id = uuid();
      const started = new Date().toISOString();
      this.emit('execution-start', { id, kind, code, started });
      const controller = this.linkSignal(opts.signal);
      const stopWatching = this.watchQuota(this.containerId!, controller, () => kernel.abandon());
      let stoppedByQuota: boolean;
      let r: KernelRunResult;
      try {
        r = await kernel.execute(id, code, {
          timeoutMs: opts.timeoutMs,
          signal: controller.signal,
          graceMs: LIMITS.interruptGraceMs,
          onOutput: (o) => {
            opts.onOutput?.(o);
            this.emit('output', id, o);
          },
        });
      } finally {
        this.running = undefined;
        stoppedByQuota = stopWatching();
      }
      if (r.kernelLost) {
        this.kernel = undefined;
        notes.push(`${await this.explainKernelLoss(kernel, r.status)} ${LOST_VARIABLES}`);
        this.pendingNote = undefined;
      }
      return this.conclude({ id, kind, code, started, durationMs: r.durationMs, status: r.status, outputs: r.outputs, done: r.done, gaps: r.gaps, notes, stoppedByQuota, checkQuota: !r.kernelLost });
    });
  }

  /** Run a shell command in /mnt/data; its whole process tree is killed when it ends or times out. */
  runShell(command: string, opts: RunOptions): Promise<ExecutionResult> {
    return this.exclusive(async () => {
      const notes: string[] = [];
      const containerId = await this.ensureContainer();
      const id = uuid();
      const started = new Date().toISOString();
      const t0 = Date.now();
      this.emit('execution-start', { id, kind: 'shell', code: command, started });
      const controller = this.linkSignal(opts.signal);
      const collector = new ExecutionCollector((o) => {
        opts.onOutput?.(o);
        this.emit('output', id, o);
      });
      let pgid = 0;
      let cancelled = false;
      let hardKilled = false;
      let abandon = () => {};
      const stopWatching = this.watchQuota(containerId, controller, () => abandon());
      let stoppedByQuota: boolean;
      try {
        const handle = await this.deps.docker.exec(containerId, [...HELPER, 'shell'], { stdin: true, env: sandboxEnv() });
        abandon = () => handle.close();
        const decoder = new LineDecoder((line) => {
          let msg: ContainerMessage;
          try {
            msg = parseMessage(line);
          } catch {
            return;
          }
          if (msg.type === 'started') pgid = msg.pgid;
          else collector.accept(msg);
        });
        handle.stdout.on('data', (c: Buffer) => decoder.push(c));
        handle.stderr.on('data', (c: Buffer) => this.log.debug(`shell helper: ${c.toString('utf8').trimEnd()}`));
        handle.stdin!.write(JSON.stringify({ id, command, timeoutSeconds: opts.timeoutMs / 1000 }) + '\n');
        const onAbort = () => {
          cancelled = true;
          handle.stdin?.write(JSON.stringify({ type: 'cancel' }) + '\n');
        };
        controller.signal.addEventListener('abort', onAbort, { once: true });
        // The helper enforces the timeout itself; this is the backstop if it cannot.
        const backstop = setTimeout(() => {
          hardKilled = true;
          const target = pgid ? [`-${pgid}`] : [];
          void this.deps.docker.execOnce(containerId, ['kill', '-KILL', '--', ...target]).catch(() => undefined);
          handle.stdin?.end();
        }, opts.timeoutMs + TIMINGS.shellTimeoutSlackMs);
        await handle.exited;
        clearTimeout(backstop);
        controller.signal.removeEventListener('abort', onAbort);
      } finally {
        this.running = undefined;
        stoppedByQuota = stopWatching();
      }
      const done = collector.result.done;
      let status: ExecutionRecord['status'] = done ? (done.status === 'timeout' ? 'timeout' : done.status) : hardKilled ? 'timeout' : 'killed';
      if (cancelled && status !== 'ok') status = 'interrupted';
      if (!done) {
        notes.push((await this.aliveCounters()) ? 'The shell command was ended without a result (its process tree was killed).' : await this.whyContainerStopped('command'));
      }
      return this.conclude({
        id,
        kind: 'shell',
        code: command,
        started,
        durationMs: done?.durationMs ?? Date.now() - t0,
        status,
        outputs: collector.result.outputs,
        done,
        gaps: collector.result.gaps,
        notes,
        stoppedByQuota,
        checkQuota: !!done,
      });
    });
  }

  /** The end of every execution: limit notes, the quota check, the record kept in history. */
  private async conclude(e: Omit<ExecutionRecord, 'session' | 'files'> & {
    done?: DoneMessage;
    gaps: ExecutionResult['gaps'];
    notes: string[];
    stoppedByQuota: boolean;
    checkQuota: boolean;
  }): Promise<ExecutionResult> {
    const notes = [...e.notes, ...this.limitNotes(e.done?.limitHits)];
    let status = e.status;
    const quota = e.checkQuota ? await this.quotaProblem(e.done?.usageBytes, e.stoppedByQuota) : undefined;
    if (quota) {
      notes.push(quota);
      status = 'error';
    }
    const record: ExecutionRecord = {
      id: e.id,
      session: this.id ?? '',
      kind: e.kind,
      code: e.code,
      started: e.started,
      durationMs: e.durationMs,
      status,
      outputs: coalesceStreams(e.outputs),
      files: e.done?.files ?? [],
    };
    this.remember(record);
    return { record, notes, streams: e.done?.streams ?? {}, gaps: e.gaps, exitCode: e.done?.exitCode };
  }

  /** Bytes in /mnt/data (all files, saved outputs included). */
  async usage(): Promise<{ bytes: number; files: number }> {
    return this.helper(['usage']);
  }

  private async cgroupCounters(containerId: string): Promise<CgroupCounters | undefined> {
    try {
      return await runHelper<CgroupCounters>(this.deps.docker, containerId, ['cgroup']);
    } catch {
      return undefined; // the container is gone: the caller says so instead
    }
  }

  /**
   * While a call runs, check /mnt/data's size every few seconds; past the quota, stop the call.
   * Returns a function that stops watching and says whether the quota stopped the call.
   */
  /**
   * While a call runs: stop it when /mnt/data grows past the quota, and notice a container that
   * stopped under it (`onGone`) — under gVisor an exec's stream may stay open when its container dies.
   */
  private watchQuota(containerId: string, controller: AbortController, onGone: () => void): () => boolean {
    let exceeded = false;
    let polling = false;
    const quota = this.deps.config.diskQuotaMb * 1024 * 1024;
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      runHelper<{ bytes: number }>(this.deps.docker, containerId, ['usage'])
        .then((u) => {
          if (u.bytes > quota && !exceeded) {
            exceeded = true;
            this.log.warn(`session ${this.names.container}: /mnt/data holds ${u.bytes} bytes, over the quota; stopping the call`);
            controller.abort();
          }
        })
        .catch(async () => {
          const info = await this.deps.docker.inspectContainer(containerId).catch(() => undefined);
          if (!info?.State?.Running) {
            this.log.warn(`session ${this.names.container}: the container stopped during the call; ending it`);
            onGone();
          }
        })
        .finally(() => (polling = false));
    }, LIMITS.quotaPollMs);
    return () => {
      clearInterval(timer);
      return exceeded;
    };
  }

  /** What the call must say about the quota after it ended (undefined: within the quota). */
  private async quotaProblem(usageBytes: number | null | undefined, stoppedByQuota: boolean): Promise<string | undefined> {
    const quota = this.deps.config.diskQuotaMb * 1024 * 1024;
    let used = usageBytes ?? undefined;
    if (used === undefined || used > quota || stoppedByQuota) used = (await this.usage().catch(() => undefined))?.bytes ?? used;
    if (used === undefined || (used <= quota && !stoppedByQuota)) return undefined;
    return (
      `Disk quota exceeded: the session's files in /mnt/data use ${formatBytes(used)} of the ${formatBytes(quota)} quota, so the call ${stoppedByQuota ? 'was stopped' : 'failed'}. ` +
      'Files already saved were kept; free space by deleting files you no longer need (e.g. runShellCommand `rm -r big_folder` or `du -sh * | sort -h` to find them), then try again.'
    );
  }

  private limitNotes(hits: CgroupCounters | undefined): string[] {
    const notes: string[] = [];
    if (hits?.pidsMaxHits) notes.push(`The process limit (${this.deps.config.pidsLimit} processes per session) was reached: starting more processes failed.`);
    if (hits?.oomKills) notes.push(`A process was killed: out of memory (limit ${this.deps.config.memoryMb} MB).`);
    return notes;
  }

  /**
   * After a call was cut short: the container's limit counters if it still runs, undefined if it
   * stopped or went away. Throws Docker's own error (with the fix) when Docker is unreachable.
   */
  private async aliveCounters(): Promise<CgroupCounters | undefined> {
    await this.deps.docker.ping();
    const c = await this.deps.docker.inspectContainer(this.names.container).catch(() => undefined);
    if (!c?.State?.Running) return undefined;
    // Docker may still call a container that is being killed "running"; a failing exec tells.
    return this.cgroupCounters(c.Id);
  }

  /**
   * The container stopped during a call: out of memory (under gVisor the kernel's OOM killer stops the
   * whole sandbox, not one process), or killed, removed, or Docker restarted.
   */
  private async whyContainerStopped(what: 'execution' | 'command'): Promise<string> {
    let info = await this.deps.docker.inspectContainer(this.names.container).catch(() => undefined);
    if (info && !info.State?.Running && !info.State?.OOMKilled) {
      // The engine may record the OOM kill a moment after the container stopped.
      await new Promise((r) => setTimeout(r, 500));
      info = await this.deps.docker.inspectContainer(this.names.container).catch(() => undefined);
    }
    if (info?.State?.OOMKilled) {
      return `The sandbox ran out of memory (limit ${this.deps.config.memoryMb} MB) during the ${what}, and its container was stopped (the whole sandbox, as under gVisor); the next call starts it again. Work with smaller pieces of data (e.g. read CSVs in chunks, select columns) or raise the memory setting.`;
    }
    return containerGone(what);
  }

  /** Why the kernel died, in words: out of memory, the container went away, or a crash. */
  private async explainKernelLoss(kernel: KernelClient, status: ExecutionStatus): Promise<string> {
    if (status === 'timeout' || status === 'interrupted') {
      return `The code did not stop within ${LIMITS.interruptGraceMs / 1000} s of the ${status === 'timeout' ? 'timeout' : 'interrupt'}, so the Python kernel was killed and will be restarted.`;
    }
    const counters = await this.aliveCounters();
    if (!counters) return this.whyContainerStopped('execution');
    if ((counters.oomKills ?? 0) > (kernel.cgroupAtStart.oomKills ?? 0)) {
      return `The Python kernel ran out of memory (limit ${this.deps.config.memoryMb} MB) and was killed. Work with smaller pieces of data (e.g. read CSVs in chunks, select columns) or raise the memory setting.`;
    }
    return 'The Python kernel died during the execution (it crashed or was killed).';
  }

  private remember(record: ExecutionRecord): void {
    this.history.push(record);
    if (this.history.length > LIMITS.historyPerSession) this.history.shift();
    try {
      this.deps.history?.append(this.names.threadHash, record, this.history);
    } catch (err) {
      this.log.warn(`history of ${this.names.container} could not be written: ${(err as Error).message}`);
    }
    this.emit('execution-end', record);
  }

  private async helper<T>(args: string[]): Promise<T> {
    const containerId = await this.ensureContainer();
    this.touch();
    return runHelper<T>(this.deps.docker, containerId, args);
  }

  listFiles(path = '.', max: number = LIMITS.maxListEntries): Promise<{ entries: FileEntry[]; truncated: boolean }> {
    return this.helper(['list', '--max', String(max), '--', path]);
  }

  readFile(path: string, offset: number, lines: number): Promise<ReadResult> {
    return this.helper(['read', '--offset', String(offset), '--lines', String(lines), '--', path]);
  }

  search(pattern: string, opts: { path?: string; glob?: string; max: number }): Promise<SearchResult> {
    const args = ['search', '--max', String(opts.max)];
    if (opts.path) args.push(`--path=${opts.path}`);
    if (opts.glob) args.push(`--glob=${opts.glob}`);
    return this.helper([...args, '--', pattern]);
  }

  resolve(path: string): Promise<ResolveResult> {
    return this.helper(['resolve', '--', path]);
  }

  removeFile(path: string): Promise<unknown> {
    return this.helper(['rm', '--', path]);
  }

  copyFile(src: string, dst: string): Promise<unknown> {
    return this.helper(['copy', '--', src, dst]);
  }

  pdfInfo(path: string): Promise<PdfInfo> {
    return this.helper(['pdfinfo', '--', path]);
  }

  /** Write bytes to a path in /mnt/data through Docker's archive API (never through a host path). */
  async upload(path: string, data: Buffer): Promise<void> {
    const [where, usage] = await Promise.all([this.resolve(path), this.usage()]);
    if (where.exists && where.type !== 'file') {
      throw new InputError(`'${path}' exists and is a ${where.type}, not a file.`, 'Choose another destination name.');
    }
    const quota = this.deps.config.diskQuotaMb * 1024 * 1024;
    const used = usage.bytes;
    if (used + data.length > quota) {
      throw new InputError(
        `Uploading ${formatBytes(data.length)} would exceed the session's disk quota: /mnt/data already uses ${formatBytes(used)} of ${formatBytes(quota)}.`,
        'Delete files you no longer need in the session first, or raise the quota setting.',
      );
    }
    const containerId = await this.ensureContainer();
    await this.deps.docker.putArchive(containerId, DATA_DIR, singleFileTar(path, data));
    this.touch();
  }

  /** Read a session file's bytes through Docker's archive API. */
  async download(path: string, maxBytes: number): Promise<Buffer> {
    const containerId = await this.ensureContainer();
    const direct = `${DATA_DIR}/${path}`;
    // Fetch the plain path while the helper resolves it; the bytes are used only if the resolved
    // path is that very file inside /mnt/data (no symlink on the way), else they are dropped.
    const speculative = this.deps.docker.getArchive(containerId, direct).then((tar) => readSingleFileFromTar(tar, path, maxBytes));
    speculative.catch(() => undefined);
    const where = await this.resolve(path);
    if (!where.exists) throw new InputError(`'${path}' does not exist in ${DATA_DIR}.`, 'Use listSessionFiles to see what is there.');
    if (where.type !== 'file') throw new InputError(`'${path}' is a ${where.type}, not a file.`);
    if (where.real === direct) return speculative;
    const tar = await this.deps.docker.getArchive(containerId, where.real);
    return readSingleFileFromTar(tar, path, maxBytes);
  }

  /** Restart the Python kernel (variables are lost, files kept). */
  restartKernel(): Promise<void> {
    return this.exclusive(async () => {
      await this.kernel?.shutdown();
      this.kernel = undefined;
      await this.ensureKernel();
      this.pendingNote = undefined;
    });
  }

  /** Stop the container (volume kept); the next use starts it again. */
  async stop(): Promise<void> {
    this.interrupt();
    await this.exclusive(async () => {
      await this.kernel?.shutdown().catch(() => undefined);
      const c = await this.deps.docker.inspectContainer(this.names.container);
      if (c) await this.deps.docker.stopContainer(c.Id, 2);
      this.state = 'stopped';
    });
  }

  /** Remove the container and the volume: the session's files are gone. */
  async delete(): Promise<void> {
    this.interrupt();
    await this.kernel?.kill().catch(() => undefined);
    this.kernel = undefined;
    const found = await this.findVolume();
    await this.deps.docker.removeContainer(this.names.container);
    if (found) await this.deps.docker.removeVolume(found.volume);
    await this.deps.docker.removeVolume(this.names.volume);
    await this.deps.docker.removeVolume(this.names.link);
    this.deps.history?.remove(this.names.threadHash);
    this.history.length = 0;
    this.containerId = undefined;
    this.state = 'stopped';
    this.emit('deleted');
  }

  /** Close the connection to the kernel without stopping the container. */
  async detach(): Promise<void> {
    await this.kernel?.shutdown().catch(() => undefined);
    this.kernel = undefined;
  }

  /** The container as Docker reports it (for tests and diagnostics). */
  async inspect() {
    const c = await this.deps.docker.inspectContainer(this.names.container);
    if (!c) throw new InfrastructureError(`The session container ${this.names.container} does not exist.`);
    return c;
  }

  get kernelPid(): number | undefined {
    return this.kernel?.alive ? this.kernel.pid : undefined;
  }

  get kernelInfo(): { seccomp?: boolean; warmMs?: number } | undefined {
    return this.kernel ? { seccomp: this.kernel.seccomp, warmMs: this.kernel.warmMs } : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete();
  }
}

