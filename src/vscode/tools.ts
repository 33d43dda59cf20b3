/**
 * The eight core tools as VS Code language-model tools (`codeInterpreter_<name>`), usable by
 * Copilot's agent mode, `#` references and our @interpreter participant. prepareInvocation is fast
 * and side-effect free; invoke maps the cancellation token to an AbortSignal, runs the core tool in
 * the chat thread's session and returns the model's text plus the images as data parts.
 */
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { AuditLog, invokeTool, rootedHostFiles, schemaOf, TOOL_SCHEMAS, ToolContext, ToolName, ToolOutcome, VSCODE_TOOL_PREFIX } from '../core';
import { Settings } from './config';
import { SessionsModel } from './sessions';
import { resolveToolThread, ResolvedThread } from './threads';

export const TOOL_PREFIX = VSCODE_TOOL_PREFIX;

export const toolId = (name: ToolName): string => `${TOOL_PREFIX}${name}`;

export function toolNameOf(id: string): ToolName | undefined {
  if (!id.startsWith(TOOL_PREFIX)) return undefined;
  const name = id.slice(TOOL_PREFIX.length);
  return TOOL_SCHEMAS.some((s) => s.name === name) ? (name as ToolName) : undefined;
}

/** A finished tool call, for the participant (files, images) and the UI. */
export interface ToolRun {
  threadKey: string;
  outcome: ToolOutcome;
}

export interface ToolServiceDeps {
  model: SessionsModel;
  settings: () => Settings;
  audit: () => AuditLog | undefined;
  log: vscode.LogOutputChannel;
  /** Docker checked and the image built (with its progress notification) before a session is used. */
  ready: () => Promise<void>;
}

const CODE_TOOLS: ReadonlySet<ToolName> = new Set(['executePythonCode', 'runShellCommand', 'generatePdfReport']);

/** A fenced code block that the code itself cannot close. */
export function fence(code: string, lang: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${code.replace(/\n$/, '')}\n${ticks}`;
}

/** Inline code that its content cannot close. */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks} ${text} ${ticks}`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export class ToolService implements vscode.Disposable {
  private readonly _onDidRun = new vscode.EventEmitter<ToolRun>();
  readonly onDidRun = this._onDidRun.event;
  /** Threads of @interpreter requests in flight: the fallback when a token carries no thread id. */
  private readonly participantThreads: string[] = [];

  constructor(private readonly deps: ToolServiceDeps) {}

  register(): vscode.Disposable[] {
    return TOOL_SCHEMAS.map((schema) =>
      vscode.lm.registerTool<Record<string, unknown>>(toolId(schema.name), {
        prepareInvocation: (options) => this.prepare(schema.name, options),
        invoke: (options, token) => this.invoke(schema.name, options, token),
      }),
    );
  }

  /** While a participant request runs, tool calls without a thread id belong to it. */
  bindParticipantThread(threadKey: string): vscode.Disposable {
    this.participantThreads.push(threadKey);
    return new vscode.Disposable(() => {
      const i = this.participantThreads.lastIndexOf(threadKey);
      if (i >= 0) this.participantThreads.splice(i, 1);
    });
  }

  thread(options: unknown, token: unknown): ResolvedThread {
    return resolveToolThread(options, token, () => (this.participantThreads.length === 1 ? this.participantThreads[0] : undefined));
  }

  /** Host paths as the core will resolve them (relative to the first workspace folder). */
  private hostPath(path: string): string {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return root && !isAbsolute(path) ? resolve(root, path) : path;
  }

  private prepare(name: ToolName, options: vscode.LanguageModelToolInvocationPrepareOptions<Record<string, unknown>>): vscode.PreparedToolInvocation {
    const input = options.input ?? {};
    const confirmMode = this.deps.settings().confirm;
    const thread = this.thread(options, undefined);
    const session = this.deps.model.title(thread.key);
    const where = vscode.l10n.t('Session: **{0}** — a network-less sandbox; files in `/mnt/data`.', session);
    const md = (...parts: string[]) => new vscode.MarkdownString(parts.filter(Boolean).join('\n\n'));
    const confirmCode = confirmMode === 'always';
    switch (name) {
      case 'executePythonCode':
      case 'generatePdfReport': {
        const code = str(input.pythonCode);
        const pdf = name === 'generatePdfReport' ? vscode.l10n.t('Writes {0}, saved as {1}.', inlineCode(str(input.expectedOutputFilename)), inlineCode(str(input.saveAsFilename))) : '';
        return {
          invocationMessage: name === 'generatePdfReport' ? vscode.l10n.t('Generating a PDF report in {0}', session) : vscode.l10n.t('Running Python in {0}', session),
          confirmationMessages: confirmCode
            ? { title: name === 'generatePdfReport' ? vscode.l10n.t('Generate a PDF report in the sandbox?') : vscode.l10n.t('Run Python in the sandbox?'), message: md(where, pdf, fence(code, 'python')) }
            : undefined,
        };
      }
      case 'runShellCommand': {
        const command = str(input.command);
        const explanation = str(input.explanation);
        return {
          invocationMessage: vscode.l10n.t('Running a shell command in {0}', session),
          confirmationMessages: confirmCode ? { title: vscode.l10n.t('Run a shell command in the sandbox?'), message: md(where, explanation, fence(command, 'bash')) } : undefined,
        };
      }
      case 'uploadFileToSession': {
        const source = str(input.source);
        const host = this.hostPath(source);
        const dest = str(input.destination) || host.split(/[\\/]/).pop() || source;
        return {
          invocationMessage: vscode.l10n.t('Uploading {0} to the sandbox', source),
          // Moving data into the sandbox always asks, whatever the setting.
          confirmationMessages: {
            title: vscode.l10n.t('Copy a workspace file into the sandbox?'),
            message: md(vscode.l10n.t('From your machine: {0}', inlineCode(host)), vscode.l10n.t('To the sandbox: {0}', inlineCode(`/mnt/data/${dest.replace(/^\/+/, '')}`)), where),
          },
        };
      }
      case 'getSessionFile': {
        const path = str(input.path);
        const saveTo = str(input.saveTo);
        if (!saveTo) return { invocationMessage: vscode.l10n.t('Getting {0} from the sandbox', path) };
        return {
          invocationMessage: vscode.l10n.t('Saving {0} to the workspace', path),
          confirmationMessages: {
            title: vscode.l10n.t('Save a sandbox file into your workspace?'),
            message: md(vscode.l10n.t('From the sandbox: {0}', inlineCode(`/mnt/data/${path.replace(/^\/+/, '')}`)), vscode.l10n.t('To your machine: {0} (an existing file is never overwritten)', inlineCode(this.hostPath(saveTo))), where),
          },
        };
      }
      case 'readSessionFile':
        return { invocationMessage: vscode.l10n.t('Reading {0}', str(input.path)) };
      case 'searchSessionFiles':
        return { invocationMessage: vscode.l10n.t('Searching the sandbox for {0}', inlineCode(str(input.pattern))) };
      case 'listSessionFiles':
        return { invocationMessage: vscode.l10n.t('Listing files in {0}', session) };
    }
  }

  private async invoke(name: ToolName, options: vscode.LanguageModelToolInvocationOptions<Record<string, unknown>>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const thread = this.thread(options, options.toolInvocationToken);
    const caller = options.toolInvocationToken ? `chat (${thread.source})` : 'lm-tool';
    const outcome = await this.run(name, options.input, thread.key, caller, token);
    return toToolResult(outcome);
  }

  /** Run a core tool in a thread's session (tools, commands and the panel all come here). */
  async run(name: ToolName, input: unknown, threadKey: string, caller: string, token?: vscode.CancellationToken, onOutput?: ToolContext['onOutput']): Promise<ToolOutcome> {
    const settings = this.deps.settings();
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    if (token?.isCancellationRequested) controller.abort();
    this.deps.model.session(threadKey); // watched, so the panel and tree see its events
    if (CODE_TOOLS.has(name)) this.deps.model.setActive(threadKey);
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const withTimeout = applyDefaultTimeout(name, input, settings);
    try {
      await this.deps.ready();
      const outcome = await invokeTool(name, withTimeout, {
        manager: this.deps.model.manager,
        threadKey,
        caller,
        signal: controller.signal,
        onOutput,
        audit: this.deps.audit(),
        host: rootedHostFiles(roots),
        maxUploadBytes: settings.maxUploadBytes,
      });
      this.deps.log.info(`${name} [${caller}] in ${threadKey}: ${outcome.status}`);
      this._onDidRun.fire({ threadKey, outcome });
      return outcome;
    } finally {
      sub?.dispose();
    }
  }

  dispose(): void {
    this._onDidRun.dispose();
  }
}

/** A model gives no timeout: use the user's default from the settings. */
function applyDefaultTimeout(name: ToolName, input: unknown, s: Settings): unknown {
  if (typeof input !== 'object' || input === null || 'timeoutSeconds' in input) return input;
  if (name === 'executePythonCode') return { ...input, timeoutSeconds: s.pythonTimeoutSeconds };
  if (name === 'runShellCommand') return { ...input, timeoutSeconds: s.shellTimeoutSeconds };
  return input;
}

/**
 * The text a model reads, then each image as a data part (a vision model sees the chart). Only real
 * pictures: the sandbox's display() can put any string under image/png, and bytes that are no PNG
 * would be shown broken in the chat and may make a model's API refuse the whole request.
 */
export function toToolResult(outcome: ToolOutcome): vscode.LanguageModelToolResult {
  const parts: (vscode.LanguageModelTextPart | vscode.LanguageModelDataPart)[] = [new vscode.LanguageModelTextPart(outcome.text)];
  let refused = 0;
  for (const image of outcome.images) {
    if (!isImageData(image.mimeType, image.data)) {
      refused++;
      continue;
    }
    parts.push(vscode.LanguageModelDataPart.image(Buffer.from(image.data, 'base64'), image.mimeType));
  }
  if (refused) parts.push(new vscode.LanguageModelTextPart(`[${refused} image output${refused === 1 ? ' was' : 's were'} not valid image data and ${refused === 1 ? 'is' : 'are'} not attached]`));
  return new vscode.LanguageModelToolResult(parts);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SIGNATURES: Record<string, number[]> = { 'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/jpeg': [0xff, 0xd8, 0xff] };

/** Whether an image output's data is base64 of bytes that start as its mime type says (PNG, JPEG). */
export function isImageData(mimeType: string, data: string): boolean {
  const signature = SIGNATURES[mimeType];
  if (!signature || data.length % 4 !== 0 || !BASE64.test(data)) return false;
  const head = Buffer.from(data.slice(0, 16), 'base64');
  return signature.every((b, i) => head[i] === b);
}

export { schemaOf };
