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
  /** Images (PNG) handed to a model per tool result. */
  maxImagesPerResult: 8,
  /** Executions remembered per session for the panel and notebook export. */
  historyPerSession: 200,
  /** While a call runs longer than this, /mnt/data's size is checked this often against the quota. */
  quotaPollMs: 3_000,
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
  runtime: 'runc',
} as const;

export interface Range {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}
