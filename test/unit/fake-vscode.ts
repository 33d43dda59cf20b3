/**
 * A thin stand-in for the `vscode` module, with only what src/vscode/threads.ts, tools.ts, notebook.ts and
 * participant.ts (and the modules they load) touch, so those files run under node:test. Loading this
 * module makes `require('vscode')` resolve to it (a Module._resolveFilename hook): import it before
 * anything from src/vscode. `fake` holds what tests arrange and inspect (registered tools, chat
 * participants, workspace files, notifications); `resetFake()` clears it.
 */
import Module from 'node:module';
import { posix } from 'node:path';

// ---------------------------------------------------------------- the hook

type Resolve = (request: string, parent: unknown, ...rest: unknown[]) => string;
const moduleWithResolve = Module as unknown as { _resolveFilename: Resolve };
const original = moduleWithResolve._resolveFilename;
moduleWithResolve._resolveFilename = function (request, parent, ...rest) {
  return request === 'vscode' ? __filename : original.call(this, request, parent, ...rest);
};

// ---------------------------------------------------------------- basics

export class Disposable {
  constructor(private readonly onDispose: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private listeners: ((e: T) => unknown)[] = [];
  readonly event = (listener: (e: T) => unknown): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export interface CancellationToken {
  isCancellationRequested: boolean;
  onCancellationRequested: (listener: () => unknown) => Disposable;
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token: CancellationToken = { isCancellationRequested: false, onCancellationRequested: (l) => this.emitter.event(l) };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    if (!/^[a-z][\w+.-]*$/i.test(c.scheme)) throw new Error(`bad scheme '${c.scheme}'`);
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static parse(text: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(text);
    if (!m) throw new Error(`not a URI: ${text}`);
    return new Uri(m[1], m[2] ?? '', m[3] ?? '', m[4] ?? '', m[5] ?? '');
  }
  static file(path: string): Uri {
    return new Uri('file', '', path, '', '');
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return base.with({ path: posix.join(base.path, ...parts) });
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.authority ?? this.authority, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment);
  }
  toString(): string {
    const authority = this.authority || this.scheme === 'file' ? `//${this.authority}` : '';
    return `${this.scheme}:${authority}${this.path}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export class MarkdownString {
  isTrusted?: boolean | { enabledCommands: string[] };
  constructor(public value = '') {}
  appendText(text: string): MarkdownString {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!<>]/g, '\\$&');
    return this;
  }
  appendMarkdown(text: string): MarkdownString {
    this.value += text;
    return this;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range | Position,
  ) {}
}

export enum FileType {
  Unknown = 0,
  File = 1,
  Directory = 2,
  SymbolicLink = 64,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

// ---------------------------------------------------------------- language models

export class LanguageModelTextPart {
  constructor(public value: string) {}
}

export class LanguageModelDataPart {
  constructor(
    public data: Uint8Array,
    public mimeType: string,
  ) {}
  static image(data: Uint8Array, mimeType: string): LanguageModelDataPart {
    return new LanguageModelDataPart(data, mimeType);
  }
}

export class LanguageModelToolCallPart {
  constructor(
    public callId: string,
    public name: string,
    public input: object,
  ) {}
}

export class LanguageModelToolResultPart {
  constructor(
    public callId: string,
    public content: unknown[],
  ) {}
}

export class LanguageModelToolResult {
  constructor(public content: unknown[]) {}
}

export enum LanguageModelChatMessageRole {
  User = 1,
  Assistant = 2,
}

export class LanguageModelChatMessage {
  content: unknown[];
  constructor(
    public role: LanguageModelChatMessageRole,
    content: string | unknown[],
    public name?: string,
  ) {
    this.content = typeof content === 'string' ? [new LanguageModelTextPart(content)] : content;
  }
  static User(content: string | unknown[], name?: string): LanguageModelChatMessage {
    return new LanguageModelChatMessage(LanguageModelChatMessageRole.User, content, name);
  }
  static Assistant(content: string | unknown[], name?: string): LanguageModelChatMessage {
    return new LanguageModelChatMessage(LanguageModelChatMessageRole.Assistant, content, name);
  }
}

export class LanguageModelError extends Error {}

// ---------------------------------------------------------------- chat

export class ChatRequestTurn {
  constructor(
    readonly prompt: string,
    readonly command: string | undefined,
    readonly references: unknown[],
    readonly participant: string,
    readonly toolReferences: unknown[] = [],
  ) {}
}

export class ChatResponseMarkdownPart {
  value: MarkdownString;
  constructor(value: string | MarkdownString) {
    this.value = typeof value === 'string' ? new MarkdownString(value) : value;
  }
}

export class ChatResponseTurn {
  constructor(
    readonly response: unknown[],
    readonly result: { metadata?: Record<string, unknown>; errorDetails?: unknown },
    readonly participant: string,
    readonly command?: string,
  ) {}
}

// ---------------------------------------------------------------- namespaces

/** A tool as registered (the token is VS Code's CancellationToken type in the code under test). */
interface RegisteredTool {
  prepareInvocation?(options: { input: unknown }, token: unknown): unknown;
  invoke(options: { input: unknown; toolInvocationToken: unknown }, token: unknown): Promise<LanguageModelToolResult>;
}

// ---------------------------------------------------------------- notebooks (as VS Code builds output items)

export class NotebookCellOutputItem {
  constructor(readonly data: Uint8Array, readonly mime: string) {}
  static text(value: string, mime = 'text/plain'): NotebookCellOutputItem {
    return new NotebookCellOutputItem(new TextEncoder().encode(value), mime);
  }
  static json(value: unknown, mime = 'text/x-json'): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(JSON.stringify(value, undefined, '\t'), mime);
  }
  static stdout(value: string): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(value, 'application/vnd.code.notebook.stdout');
  }
  static stderr(value: string): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(value, 'application/vnd.code.notebook.stderr');
  }
  static error(value: { name: string; message: string; stack?: string }): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(JSON.stringify({ name: value.name, message: value.message, stack: value.stack }), 'application/vnd.code.notebook.error');
  }
}

export class NotebookCellOutput {
  constructor(
    public items: NotebookCellOutputItem[],
    public metadata?: Record<string, unknown>,
  ) {}
}

export enum NotebookCellKind {
  Markup = 1,
  Code = 2,
}

export class NotebookCellData {
  outputs?: NotebookCellOutput[];
  metadata?: Record<string, unknown>;
  executionSummary?: { executionOrder?: number; success?: boolean };
  constructor(
    public kind: NotebookCellKind,
    public value: string,
    public languageId: string,
  ) {}
}

export class NotebookData {
  metadata?: Record<string, unknown>;
  constructor(public cells: NotebookCellData[]) {}
}

/** What the tests arrange and read back. */
export const fake = {
  /** Tools registered with lm.registerTool, by id. */
  tools: new Map<string, RegisteredTool>(),
  /** What prepareInvocation returned for each lm.invokeTool, in order. */
  prepared: [] as { name: string; prepared: unknown }[],
  /** Chat participant handlers, by id. */
  participants: new Map<string, (...args: unknown[]) => unknown>(),
  /** Workspace files lm.invokeTool, workspace.fs and attachments see: URI string → bytes. */
  files: new Map<string, Uint8Array>(),
  /** Notifications shown: [kind, message]. */
  messages: [] as [string, string][],
};

export function resetFake(): void {
  fake.tools.clear();
  fake.prepared.length = 0;
  fake.participants.clear();
  fake.files.clear();
  fake.messages.length = 0;
  workspace.workspaceFolders = undefined;
  workspace.workspaceFile = undefined;
  workspace.notebookDocuments.length = 0;
}

const none = new CancellationTokenSource().token;

export const lm = {
  registerTool(name: string, tool: RegisteredTool): Disposable {
    fake.tools.set(name, tool);
    return new Disposable(() => fake.tools.delete(name));
  },
  /** As VS Code does it: prepare (its confirmation would show here), then invoke. */
  async invokeTool(name: string, options: { input: unknown; toolInvocationToken: unknown }, token: CancellationToken = none): Promise<LanguageModelToolResult> {
    const tool = fake.tools.get(name);
    if (!tool) throw new Error(`Tool "${name}" was not contributed.`);
    fake.prepared.push({ name, prepared: await tool.prepareInvocation?.({ input: options.input }, token) });
    return tool.invoke(options, token);
  },
  get tools(): { name: string }[] {
    return [...fake.tools.keys()].map((name) => ({ name }));
  },
};

export const chat = {
  createChatParticipant(id: string, handler: (...args: unknown[]) => unknown) {
    fake.participants.set(id, handler);
    return { iconPath: undefined as unknown, dispose: () => fake.participants.delete(id) };
  },
};

class FileSystemError extends Error {
  static FileNotFound(uri?: unknown): FileSystemError {
    return new FileSystemError(`file not found: ${String(uri)}`);
  }
}
export { FileSystemError };

export const workspace = {
  /** Open notebooks (tests push { uri, notebookType, isClosed, metadata }). */
  notebookDocuments: [] as unknown[],
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  workspaceFile: undefined as Uri | undefined,
  isTrusted: true,
  fs: {
    async stat(uri: Uri): Promise<{ type: FileType; size: number; ctime: number; mtime: number }> {
      const data = fake.files.get(uri.toString());
      if (data) return { type: FileType.File, size: data.byteLength, ctime: 0, mtime: 0 };
      if ([...fake.files.keys()].some((k) => k.startsWith(`${uri.toString()}/`))) return { type: FileType.Directory, size: 0, ctime: 0, mtime: 0 };
      throw FileSystemError.FileNotFound(uri);
    },
    async readFile(uri: Uri): Promise<Uint8Array> {
      const data = fake.files.get(uri.toString());
      if (!data) throw FileSystemError.FileNotFound(uri);
      return data;
    },
    async writeFile(uri: Uri, data: Uint8Array): Promise<void> {
      fake.files.set(uri.toString(), data);
    },
  },
  asRelativePath(pathOrUri: string | Uri): string {
    return typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.path;
  },
  getConfiguration() {
    return { get: () => undefined };
  },
};

const notify = (kind: string) => async (message: string) => {
  fake.messages.push([kind, message]);
  return undefined;
};

export const window = {
  showInformationMessage: notify('info'),
  showWarningMessage: notify('warning'),
  showErrorMessage: notify('error'),
  withProgress<T>(_options: unknown, task: (progress: { report(value: unknown): void }, token: CancellationToken) => Promise<T>): Promise<T> {
    return task({ report: () => undefined }, none);
  },
};

export const commands = {
  registerCommand: (_id: string, _fn: unknown) => new Disposable(),
  executeCommand: async () => undefined,
};

export const env = { language: 'en' };

export const l10n = {
  t(message: string, ...args: unknown[]): string {
    return message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
  },
};
