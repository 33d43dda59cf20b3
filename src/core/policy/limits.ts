/** Every number that bounds what a tool call may do, in one place (the reference's contract). */
export const LIMITS = {
  /** Characters of Python code (executePythonCode, generatePdfReport). */
  maxCodeChars: 20_000,
  /** Characters of a shell command. */
  maxCommandChars: 20_000,
  pythonTimeout: { min: 5, max: 900, default: 120 },
  shellTimeout: { min: 5, max: 240, default: 120 },
  pdfTimeout: { min: 5, max: 900, default: 180 },
  /** Characters of stdout / stderr in the text a model sees; head and tail are kept. */
  modelStdoutChars: 4_000,
  modelStderrChars: 2_000,
  /**
   * Characters of an execution's other outputs together (results, displays, image lines, errors; each
   * cut as stdout or stderr is): past it the first and the last are kept, those between counted.
   */
  modelOutputsChars: 12_000,
  /**
   * Characters of any tool's text, the last bound whatever a tool put together (each part has its own,
   * smaller one; readSessionFile's maxReadChars is the largest).
   */
  maxToolTextChars: 250_000,
  /** readSessionFile: lines per call. */
  maxReadLines: 2_000,
  defaultReadLines: 2_000,
  /** searchSessionFiles: matches per call. */
  maxSearchMatches: 500,
  /** listSessionFiles: entries per call. */
  maxListEntries: 10_000,
  /** uploadFileToSession: bytes per file (a setting may lower or raise it). */
  defaultMaxUploadBytes: 512 * 1024 * 1024,
  /** readSessionFile: characters of text per call (long lines are cut by the helper). */
  maxReadChars: 200_000,
  /** Characters of one search match line in the text a model sees. */
  maxMatchLineChars: 300,
  /** Characters of a path relative to /mnt/data. */
  maxPathChars: 4_096,
  /** After an interrupt, how long the kernel gets to stop before it is killed and restarted. */
  interruptGraceMs: 3_000,
  /**
   * File reports (the files a call created or changed, in the text a model sees, tools/filesReport.ts):
   * at most this many files named, each name cut to this many characters (control characters escaped)...
   */
  reportNamedFiles: 30,
  reportNameChars: 120,
  /** ...the rest counted by folder, at most this many folders (a folder's name cut to this many characters)... */
  reportFolders: 8,
  reportFolderChars: 60,
  /** ...and the whole report held to this many characters, whatever the names. */
  reportChars: 2_000,
  /** Characters of a module, command or package name a missing-package hint may name. */
  maxHintNameChars: 100,
  /** Images (PNG) handed to a model per tool result. */
  maxImagesPerResult: 8,
  /** Executions remembered per session for the panel and notebook export. */
  historyPerSession: 200,
  /** While a call runs longer than this, /mnt/data's size is checked this often against the quota. */
  quotaPollMs: 3_000,
  /** Retention (prune): stopped sessions older than this many days are removed (a setting may change it). */
  defaultRetentionDays: 7,
  /** Characters of a string argument that names no limit of its own. */
  maxStringChars: 10_000,
  /** Characters of a tool call's explanation (runShellCommand). */
  maxExplanationChars: 1_000,
  /** searchSessionFiles: characters of the regular expression and of the glob. */
  maxPatternChars: 1_000,
  maxGlobChars: 200,
  /** listSessionFiles: entries written out in the text a model sees (the counts cover them all). */
  maxListEntriesShown: 1_000,
  /** listSessionFiles and searchSessionFiles: characters of the rows written out (names escaped; long ones make fewer rows). */
  maxListingChars: 100_000,
  /** getSessionFile: bytes of an image handed to a (vision) model. */
  maxImageBytes: 5 * 1024 * 1024,
  /** Bytes of one line of the kernel's or helper's JSON-lines channel (one output, base64 included). */
  maxProtocolLineBytes: 256 * 1024 * 1024,
  /** Bytes of stdout (and of stderr) collected from a one-shot helper exec. */
  maxExecOnceBytes: 64 * 1024 * 1024,
  /** Bytes of stdout (and of stderr) collected from a throwaway container (freeze, build probes). */
  maxRunOnceBytes: 16 * 1024 * 1024,
  /** Chat participant: model ↔ tool rounds per request before it stops and says so. */
  maxChatRounds: 12,
  /** Chat participant: inline chart images bigger than this are linked, not embedded. */
  maxInlineImageBytes: 400 * 1024,
  /** Chat participant: characters of an earlier tool result carried in the chat history. */
  maxHistoryResultChars: 6_000,
  /** Chat participant: files listed when the chat asks what is in /mnt/data. */
  maxChatListEntries: 2_000,
  /** Editor: session files listed in the sessions view and file pickers. */
  maxViewListEntries: 5_000,
  /** Editor: bytes a session file may have to be opened in an editor. */
  maxOpenBytes: 256 * 1024 * 1024,
  /** Editor: approved environment spec hashes remembered per workspace. */
  maxApprovedEnvironments: 100,
  /** MCP: bytes of a session file resources/read returns (larger: getSessionFile). */
  maxResourceBytes: 32 * 1024 * 1024,
  /** MCP: resources per resources/list page. */
  resourcePage: 500,
  /** MCP: characters of a thread key a tool argument may name. */
  maxThreadChars: 200,
  /** MCP: characters of text one progress message carries (the tail is kept). */
  maxProgressChars: 2_000,
} as const;

/**
 * What the kernel (kernel.py) and the helper (sbx.py) cut, handed to them by the host on every
 * `docker exec` as SBX_* environment variables (sandbox/helper.ts, sandboxEnv); the Python side
 * keeps these numbers only as fallbacks.
 */
export const OUTPUT_CUTS = {
  /** Bytes of a stream (stdout or stderr) forwarded live; past them only the tail is kept. */
  streamHeadBytes: 128 * 1024,
  /** Bytes at the end of a stream forwarded when the execution ends, after the head was passed. */
  streamTailBytes: 64 * 1024,
  /** A stream longer than what a model sees of it is saved whole in /mnt/data/.outputs/. */
  saveStdoutOverBytes: LIMITS.modelStdoutChars,
  saveStderrOverBytes: LIMITS.modelStderrChars,
  /** Bytes of a stream kept in its .outputs/ file. */
  savedStreamBytes: 50 * 1024 * 1024,
  /** Entries of /mnt/data visited by the before/after file listing of an execution. */
  filesSnapshotEntries: 20_000,
  /** readSessionFile: characters of one line before the helper cuts it. */
  readLineChars: 10_000,
  /** searchSessionFiles: characters of a matching line the helper returns. */
  searchLineChars: 1_000,
  /** Bytes of one line the kernel writes to the agent: a longer one is dropped there (and logged). */
  kernelLineBytes: 64 * 1024 * 1024,
} as const;

export type OutputCuts = { readonly [K in keyof typeof OUTPUT_CUTS]: number };

/** Timeouts, waits and intervals of the host's own machinery (not of a tool call). */
export const TIMINGS = {
  /** How long a new kernel gets to import the data stack and say it is ready. */
  kernelStartMs: 90_000,
  /** How long attaching to the container's session agent (starting it if needed) may take. */
  agentAttachMs: 20_000,
  /** While a call waits on the session agent, it is pinged this often... */
  agentPingIntervalMs: 10_000,
  /** ...and one that does not answer within this is continued (SIGCONT), then ended with its kernel. */
  agentPingTimeoutMs: 10_000,
  /** A shell command's exec is given up this long after its timeout (the helper stops it first). */
  shellTimeoutSlackMs: 10_000,
  /** Seconds a container gets to stop before it is killed. */
  containerStopSeconds: 2,
  /** An idle SSH connection to a remote engine is kept this long for the next request. */
  sshIdleMs: 15_000,
  /** Pool: wait after a claim before refilling, so the refill's CPU does not slow the claimed first result. */
  poolRefillDelayMs: 300,
  /** Pool: after n failed starts in a row, the next try waits n × this, at most poolRetryMaxMs. */
  poolRetryStepMs: 2_000,
  poolRetryMaxMs: 30_000,
  /** Pool: how long whenReady waits for a warm container by default. */
  poolReadyWaitMs: 120_000,
  /** Watchdog limit of pooled containers (the pool's open channel to each agent keeps them alive meanwhile). */
  poolWatchdogSeconds: 120,
  /** Watchdog: seconds past the idle stop time before a container whose host is gone stops itself. */
  watchdogGraceSeconds: 300,
  /** Watchdog: with no idle stop, seconds a container whose host is gone runs on. */
  watchdogNoIdleSeconds: 24 * 3600,
  /** Editor: retention is applied this long after activation (not during start-up). */
  retentionDelayMs: 15_000,
  /** Editor: "Docker is not reachable" is shown at most this often. */
  dockerWarningIntervalMs: 60_000,
  /** MCP: how long the client gets to answer roots/list. */
  rootsListTimeoutMs: 15_000,
  /** MCP: at exit, how long running calls get to end. */
  exitDrainMs: 10_000,
  /** MCP: progress notifications are sent at most this often per call. */
  progressIntervalMs: 200,
  /** A thread's executions unused this long are dropped from memory (its history file keeps them; read again when asked for). */
  historyIdleMs: 10 * 60_000,
} as const;

/** Container resources, defaults for settings. */
export const CONTAINER_DEFAULTS = {
  memoryMb: 2048,
  cpus: 1.5,
  pidsLimit: 256,
  tmpSizeMb: 512,
  diskQuotaMb: 2048,
  idleStopMinutes: 30,
  /** Warm, kernel-ready containers kept for new threads. */
  poolSize: 1,
  network: 'none',
  runtime: 'auto',
} as const;

/**
 * Under gVisor the host's memory cgroup holds the whole sandbox, gVisor's own kernel included, and
 * reaching it stops everything: the guard inside (sandbox-image/kernel/guard.py) holds the chosen
 * limit per process, and the host's limit gets this headroom above it, for gVisor itself and for
 * what grows between two polls of the guard.
 */
export const GVISOR_MEMORY_HEADROOM = {
  /** Extra host memory: this much, or this share of the limit if larger. */
  mb: 256,
  share: 0.25,
} as const;

/**
 * Under gVisor each sandbox process costs the host a task (systrap's stub) besides gVisor's own
 * threads, and reaching the engine's pids limit stops gVisor itself: the session's limit is held
 * inside (RLIMIT_NPROC, which gVisor counts per sandbox), and the engine's limit is this multiple
 * of it plus this many tasks. Measured with a fork bomb held at 128 / 256 / 512 processes inside:
 * 240 / 435 / 809 host tasks.
 */
export const GVISOR_PIDS_HEADROOM = {
  factor: 2,
  tasks: 256,
} as const;

/** Resources of a throwaway container (DockerClient.runOnce: package listing, probes). */
export const THROWAWAY_CONTAINER = {
  pidsLimit: 64,
  tmpSizeMb: 64,
} as const;

export interface Range {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}
