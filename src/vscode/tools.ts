/**
 * The eight core tools as VS Code language-model tools (`codeInterpreter_<name>`), usable by
 * Copilot's agent mode, `#` references and our @interpreter participant, and the one way the rest
 * of the extension (commands, the sessions view, the participant's attachments) asks the core for
 * an operation. prepareInvocation is fast and side-effect free; every run maps the cancellation
 * token to one AbortSignal, waits for the sandbox to be ready and hands the core a context whose
 * audit log records it.
 */
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import {
  attachableImages,
  Attached,
  attachFiles,
  AuditLog,
  Caller,
  findToolSchema,
  invokeTool,
  Logger,
  rejectCall,
  rootedHostFiles,
  SavedAt,
  saveSessionFile,
  schemaOf,
  TOOL_SCHEMAS,
  ToolCall,
  toolCall,
  ToolContext,
  ToolName,
  ToolOutcome,
  UploadSource,
  VSCODE_TOOL_PREFIX,
} from '../core';
import { Settings } from './config';
import { SessionsModel } from './sessions';
import { resolveToolThread, ResolvedThread } from './threads';

export const TOOL_PREFIX = VSCODE_TOOL_PREFIX;

export const toolId = (name: ToolName): string => `${TOOL_PREFIX}${name}`;

export interface ToolServiceDeps {
  model: SessionsModel;
  settings: () => Settings;
  audit: () => AuditLog | undefined;
  log: Logger;
  /** Docker checked and the image built (with its progress notification) before a session is used. */
  ready: () => Promise<void>;
}

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

/** A field of untrusted input as text ('' when it is not a string). */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** One AbortController for a call, aborted when the token is (or already was). */
export function abortOn(token: vscode.CancellationToken | undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const sub = token?.onCancellationRequested(() => controller.abort());
  if (token?.isCancellationRequested) controller.abort();
  return { signal: controller.signal, dispose: () => sub?.dispose() };
}

/** A tool call our participant's model made, with what VS Code returned and what the core did. */
export interface ParticipantCallResult {
  result: vscode.LanguageModelToolResult;
  /** The core's outcome (files, images, hints), when the call reached the core. */
  outcome?: ToolOutcome;
}

/** The calls of one @interpreter request: made one at a time through VS Code, each answered by its own outcome. */
export interface ParticipantCalls extends vscode.Disposable {
  invoke(call: vscode.LanguageModelToolCallPart, toolInvocationToken: vscode.ChatParticipantToolToken, token: vscode.CancellationToken): Promise<ParticipantCallResult>;
}

interface ParticipantBinding {
  threadKey: string;
  /** The call being invoked now, which the next tool invocation on this thread answers. */
  pending?: { callId: string; outcome?: ToolOutcome };
}

export class ToolService {
  /** @interpreter requests in flight: the fallback thread when a token carries no thread id. */
  private readonly participants: ParticipantBinding[] = [];

  constructor(private readonly deps: ToolServiceDeps) {}

  register(): vscode.Disposable[] {
    return TOOL_SCHEMAS.map((schema) =>
      vscode.lm.registerTool<unknown>(toolId(schema.name), {
        prepareInvocation: (options) => this.prepare(schema.name, options),
        invoke: (options, token) => this.invoke(schema.name, options, token),
      }),
    );
  }

  /**
   * While a participant request runs, tool calls without a thread id belong to it, and each call it
   * invokes gets back the outcome of the invocation VS Code makes for it.
   */
  beginParticipantRequest(threadKey: string): ParticipantCalls {
    const binding: ParticipantBinding = { threadKey };
    this.participants.push(binding);
    return {
      invoke: async (call, toolInvocationToken, token) => {
        const pending: NonNullable<ParticipantBinding['pending']> = { callId: call.callId };
        binding.pending = pending;
        try {
          const result = await vscode.lm.invokeTool(call.name, { input: call.input, toolInvocationToken }, token);
          return { result, outcome: pending.outcome };
        } finally {
          binding.pending = undefined;
        }
      },
      dispose: () => {
        const i = this.participants.lastIndexOf(binding);
        if (i >= 0) this.participants.splice(i, 1);
      },
    };
  }

  thread(options: unknown, token: unknown): ResolvedThread {
    return resolveToolThread(options, token, () => (this.participants.length === 1 ? this.participants[0].threadKey : undefined));
  }

  /** Host paths as the core will resolve them (relative to the first workspace folder). */
  private hostPath(path: string): string {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return root && !isAbsolute(path) ? resolve(root, path) : path;
  }

  private prepare(name: ToolName, options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>): vscode.PreparedToolInvocation {
    let call: ToolCall;
    try {
      call = toolCall(name, options.input);
    } catch {
      call = toolCall(name, {}); // input that is no object: the invocation says so
    }
    const confirmCode = this.deps.settings().confirm === 'always';
    const session = this.deps.model.title(this.thread(options, undefined).key);
    const where = vscode.l10n.t('Session: **{0}** — a network-less sandbox; files in `/mnt/data`.', session);
    const md = (...parts: string[]) => new vscode.MarkdownString(parts.filter(Boolean).join('\n\n'));
    switch (call.name) {
      case 'executePythonCode':
        return {
          invocationMessage: vscode.l10n.t('Running Python in {0}', session),
          confirmationMessages: confirmCode ? { title: vscode.l10n.t('Run Python in the sandbox?'), message: md(where, fence(str(call.input.pythonCode), 'python')) } : undefined,
        };
      case 'generatePdfReport': {
        const pdf = vscode.l10n.t('Writes {0}, saved as {1}.', inlineCode(str(call.input.expectedOutputFilename)), inlineCode(str(call.input.saveAsFilename)));
        return {
          invocationMessage: vscode.l10n.t('Generating a PDF report in {0}', session),
          confirmationMessages: confirmCode ? { title: vscode.l10n.t('Generate a PDF report in the sandbox?'), message: md(where, pdf, fence(str(call.input.pythonCode), 'python')) } : undefined,
        };
      }
      case 'runShellCommand':
        return {
          invocationMessage: vscode.l10n.t('Running a shell command in {0}', session),
          confirmationMessages: confirmCode
            ? { title: vscode.l10n.t('Run a shell command in the sandbox?'), message: md(where, str(call.input.explanation), fence(str(call.input.command), 'bash')) }
            : undefined,
        };
      case 'uploadFileToSession': {
        const source = str(call.input.source);
        const host = this.hostPath(source);
        const dest = str(call.input.destination) || host.split(/[\\/]/).pop() || source;
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
        const path = str(call.input.path);
        const saveTo = str(call.input.saveTo);
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
        return { invocationMessage: vscode.l10n.t('Reading {0}', str(call.input.path)) };
      case 'searchSessionFiles':
        return { invocationMessage: vscode.l10n.t('Searching the sandbox for {0}', inlineCode(str(call.input.pattern))) };
      case 'listSessionFiles':
        return { invocationMessage: vscode.l10n.t('Listing files in {0}', session) };
    }
  }

  private async invoke(name: ToolName, options: vscode.LanguageModelToolInvocationOptions<unknown>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const thread = this.thread(options, options.toolInvocationToken);
    const caller: Caller = options.toolInvocationToken ? 'vscode:chat' : 'vscode:lm-tool';
    let call: ToolCall | undefined;
    let refusal: unknown;
    try {
      call = toolCall(name, options.input);
    } catch (err) {
      refusal = err;
    }
    const outcome = call
      ? await this.run(call, thread.key, caller, { token, source: thread.source })
      : await this.within(thread.key, caller, { token, source: thread.source, sandbox: false }, (ctx) => rejectCall(name, refusal, ctx));
    const binding = this.participants.find((b) => b.threadKey === thread.key && b.pending && !b.pending.outcome);
    if (binding?.pending) binding.pending.outcome = outcome;
    return toToolResult(outcome);
  }

  /** Run a core tool in a thread's session (the LM tools and the commands come here). */
  run(call: ToolCall, threadKey: string, caller: Caller, opts: { token?: vscode.CancellationToken; onOutput?: ToolContext['onOutput']; onStart?: ToolContext['onStart']; source?: string } = {}): Promise<ToolOutcome> {
    // Code makes its thread the active one: the panel and the tree follow it.
    if (schemaOf(call.name).runsCode) this.deps.model.setActive(threadKey);
    const withTimeout = withDefaultTimeout(call, this.deps.settings());
    return this.within(threadKey, caller, opts, (ctx) => invokeTool(withTimeout, ctx));
  }

  /** Files the user handed over (picked, dropped, attached), uploaded one by one into the thread. */
  upload(threadKey: string, sources: readonly UploadSource[], caller: Caller, opts: { token?: vscode.CancellationToken; onFile?: (source: UploadSource) => void } = {}): Promise<Attached> {
    return this.within(threadKey, caller, opts, (ctx) => attachFiles(sources, ctx, opts.onFile));
  }

  /** A session file the user saves where they chose: `write` puts the bytes there and says where. */
  saveAs(threadKey: string, path: string, write: (data: Buffer) => Promise<SavedAt>, caller: Caller): Promise<ToolOutcome> {
    return this.within(threadKey, caller, {}, (ctx) => saveSessionFile({ path }, write, ctx));
  }

  /**
   * The one place a core operation gets its context — the sandbox ready, one AbortSignal for the
   * call, the audit log, the workspace as the host folders, the upload limit — and its log lines.
   */
  private async within<T extends ToolOutcome | Attached>(
    threadKey: string,
    caller: Caller,
    /** `sandbox: false`: the call needs no sandbox (it was refused), so readiness is not waited for. */
    opts: { token?: vscode.CancellationToken; onOutput?: ToolContext['onOutput']; onStart?: ToolContext['onStart']; source?: string; sandbox?: boolean },
    act: (ctx: ToolContext) => Promise<T>,
  ): Promise<T> {
    const settings = this.deps.settings();
    const abort = abortOn(opts.token);
    this.deps.model.session(threadKey); // watched, so the panel and tree see its events
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    try {
      if (opts.sandbox !== false) await this.deps.ready();
      const result = await act({
        manager: this.deps.model.manager,
        threadKey,
        caller,
        signal: abort.signal,
        onOutput: opts.onOutput,
        onStart: opts.onStart,
        audit: this.deps.audit(),
        host: rootedHostFiles(roots),
        maxUploadBytes: settings.maxUploadBytes,
      });
      const via = opts.source ? `${caller}, thread from ${opts.source}` : caller;
      for (const o of outcomesOf(result)) {
        // What moved where, and why a call failed, in the (redacted) log; code runs say their status.
        const detail = o.status !== 'ok' || !findToolSchema(o.tool)?.runsCode ? `: ${o.text.split('\n')[0].slice(0, 300)}` : '';
        this.deps.log.info(`${o.tool} [${via}] in ${threadKey}: ${o.status}${detail}`);
      }
      return result;
    } finally {
      abort.dispose();
    }
  }
}

function outcomesOf(r: ToolOutcome | Attached): ToolOutcome[] {
  return 'uploads' in r ? r.uploads.map((u) => u.outcome) : [r];
}

/** A model gives no timeout: use the user's default from the settings. */
export function withDefaultTimeout(call: ToolCall, s: Settings): ToolCall {
  if (call.name === 'executePythonCode' && call.input.timeoutSeconds === undefined) return { name: call.name, input: { ...call.input, timeoutSeconds: s.pythonTimeoutSeconds } };
  if (call.name === 'runShellCommand' && call.input.timeoutSeconds === undefined) return { name: call.name, input: { ...call.input, timeoutSeconds: s.shellTimeoutSeconds } };
  return call;
}

/**
 * The text a model reads, then each image as a data part (a vision model sees the chart). Only real
 * pictures: the sandbox's display() can put any string under image/png, and bytes that are no PNG
 * would be shown broken in the chat and may make a model's API refuse the whole request.
 */
export function toToolResult(outcome: ToolOutcome): vscode.LanguageModelToolResult {
  const { images, note } = attachableImages(outcome.images);
  const parts: (vscode.LanguageModelTextPart | vscode.LanguageModelDataPart)[] = [new vscode.LanguageModelTextPart(outcome.text)];
  for (const image of images) parts.push(vscode.LanguageModelDataPart.image(Buffer.from(image.data, 'base64'), image.mimeType));
  if (note) parts.push(new vscode.LanguageModelTextPart(note));
  return new vscode.LanguageModelToolResult(parts);
}
