/**
 * @interpreter: a hand-written tool-calling loop over request.model with our eight tools (the
 * pattern of vscode-extension-samples' chat-sample toolParticipant.ts — prompt-tsx's ToolResult
 * would drop the image parts). Each round's tool calls and result texts are kept in
 * ChatResult.metadata so follow-ups ("now chart that by region") see what was done before.
 */
import * as vscode from 'vscode';
import { errorMessage, formatBytes, isImageData, isUserFile, LIMITS, Logger, nameForModel, reportOrder, TOOL_SCHEMAS, ToolOutcome, UploadSource, uploadTooLarge, userFiles } from '../core';
import { ADD_PACKAGE_COMMAND, AddPackageArgs, EnvironmentView, PackageHint, packageToAdd } from './environment';
import { displayPath, isWellFormedPath, workspaceFile } from './files';
import { SessionsModel, sessionUri } from './sessions';
import { PARTICIPANT_ID, resolveParticipantThread, THREAD_METADATA_KEY } from './threads';
import { inlineCode, ParticipantCalls, ToolService, toolId } from './tools';

/** Model ↔ tool rounds per request before we stop and say so. */
export const MAX_ROUNDS = LIMITS.maxChatRounds;
/** Inline chart images bigger than this are linked, not embedded (chat history keeps them). */
const MAX_INLINE_IMAGE_BYTES = LIMITS.maxInlineImageBytes;
/** Characters of a tool result kept in metadata for follow-ups. */
const MAX_RESULT_CHARS_IN_HISTORY = LIMITS.maxHistoryResultChars;

interface StoredCall {
  callId: string;
  name: string;
  input: object;
  result: string;
}
interface StoredRound {
  text: string;
  calls: StoredCall[];
}
export interface InterpreterMetadata {
  [THREAD_METADATA_KEY]: string;
  rounds?: StoredRound[];
  command?: string;
}

export interface ParticipantDeps {
  model: SessionsModel;
  tools: ToolService;
  log: Logger;
  extensionUri: vscode.Uri;
  exportTo: (threadKey: string) => Promise<vscode.Uri | undefined>;
  /** Open the thread as a notebook bound to its session. */
  openNotebook: (threadKey: string) => Promise<unknown>;
  environment: EnvironmentView;
}

/** One request's thread, resolved once: its key, its session's hash (for links) and the metadata that carries the key on. */
interface Turn {
  key: string;
  hash: string;
  meta: InterpreterMetadata;
}

export function systemPrompt(threadTitle: string, environment?: string): string {
  const toolLines = TOOL_SCHEMAS.map((s) => `- ${toolId(s.name)} (${s.name}): ${s.title}`).join('\n');
  return [
    'You are Code Interpreter, a data analyst working inside VS Code. You answer by writing and running code in a sandbox, then explaining the results briefly.',
    '',
    'The sandbox: a local Docker container for this chat thread ("' + threadTitle + '"). Debian with Python 3 and pandas, numpy, scipy, matplotlib, seaborn, plotly, scikit-learn, statsmodels, sympy, reportlab, openpyxl, xlsxwriter, python-docx, pymupdf, bs4, lxml, pillow; shell tools ripgrep, jq, sqlite3, poppler-utils.',
    ...(environment ? [`- ${environment}`] : []),
    '- There is NO network access and packages cannot be installed from code: use what is there. When a module or command is missing, the tool result names the package that provides it; tell the user, who can add it to this workspace\'s sandbox environment.',
    '- The working directory is /mnt/data. Files there persist for this thread and are shown to the user: save every file the user should get (CSV, XLSX, PNG, PDF, DOCX…) in /mnt/data and name it in your answer.',
    '- Python runs in a stateful IPython kernel: variables from earlier calls in this thread are still defined. Use them instead of recomputing.',
    '- Matplotlib figures are captured and shown automatically; you do not need plt.show() or savefig (but savefig into /mnt/data when the user wants the image file).',
    '- Python may not start processes (no subprocess/os.system): use the shell tool for shell work.',
    `- Output you see is cut to ${LIMITS.modelStdoutChars.toLocaleString('en-US')} characters of stdout and ${LIMITS.modelStderrChars.toLocaleString('en-US')} of stderr; print summaries (head(), describe()) rather than whole tables.`,
    '- Files the user attached are already uploaded to /mnt/data (named in their message).',
    '- If code fails, read the error, fix the code and try again (at most a few times), then explain.',
    '',
    'Tools:',
    toolLines,
    '',
    'Answer in the user\'s language. Be concise: the user sees the code, outputs and charts separately, so do not repeat whole outputs; state the findings.',
  ].join('\n');
}

/** Rebuild the conversation from chat history, including earlier tool calls and their results. */
export function historyMessages(history: vscode.ChatContext['history']): vscode.LanguageModelChatMessage[] {
  const messages: vscode.LanguageModelChatMessage[] = [];
  for (const turn of history) {
    if (turn instanceof vscode.ChatRequestTurn) {
      if (turn.participant !== PARTICIPANT_ID) continue;
      messages.push(vscode.LanguageModelChatMessage.User(turn.command ? `/${turn.command} ${turn.prompt}` : turn.prompt));
    } else if (turn instanceof vscode.ChatResponseTurn) {
      if (turn.participant !== PARTICIPANT_ID) continue;
      const rounds = (turn.result.metadata as InterpreterMetadata | undefined)?.rounds;
      if (rounds?.length) {
        for (const round of rounds) {
          const calls = round.calls.filter((c) => typeof c.callId === 'string' && typeof c.name === 'string');
          const content: (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[] = [];
          if (round.text) content.push(new vscode.LanguageModelTextPart(round.text));
          for (const c of calls) content.push(new vscode.LanguageModelToolCallPart(c.callId, c.name, c.input ?? {}));
          if (content.length) messages.push(vscode.LanguageModelChatMessage.Assistant(content));
          if (calls.length) {
            messages.push(vscode.LanguageModelChatMessage.User(calls.map((c) => new vscode.LanguageModelToolResultPart(c.callId, [new vscode.LanguageModelTextPart(c.result)]))));
          }
        }
      } else {
        const text = turn.response
          .map((part) => (part instanceof vscode.ChatResponseMarkdownPart ? part.value.value : ''))
          .join('')
          .replace(/!\[[^\]]*\]\(data:[^)]*\)/g, '[image]');
        if (text.trim()) messages.push(vscode.LanguageModelChatMessage.Assistant(text));
      }
    }
  }
  return messages;
}

export function registerParticipant(context: vscode.ExtensionContext, deps: ParticipantDeps): void {
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, (request, chatContext, stream, token) => handle(deps, request, chatContext, stream, token));
  participant.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'icon.png');
  context.subscriptions.push(participant);
}

async function handle(deps: ParticipantDeps, request: vscode.ChatRequest, context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
  const thread = resolveParticipantThread(request, context);
  const { model } = deps;
  const key = thread.key;
  const meta: InterpreterMetadata = { [THREAD_METADATA_KEY]: key };
  deps.log.info(`@interpreter ${request.command ? '/' + request.command : 'request'} in ${key} (${thread.source})`);
  if (request.prompt.trim()) await model.setTitle(key, request.prompt);
  const session = model.session(key);
  model.setActive(key);
  const turn: Turn = { key, hash: session.names.threadHash, meta };

  try {
    switch (request.command) {
      case 'files':
        await listFiles(model, turn, stream);
        return { metadata: { ...meta, command: 'files' } };
      case 'reset':
        stream.progress(vscode.l10n.t('Restarting the Python kernel…'));
        await session.restartKernel();
        stream.markdown(vscode.l10n.t('The Python kernel was restarted: variables are cleared, files in `/mnt/data` are kept.'));
        return { metadata: { ...meta, command: 'reset' } };
      case 'export': {
        if ((await session.readHistory()).length === 0) {
          stream.markdown(vscode.l10n.t('Nothing to export yet: this thread has not run any code in this window.'));
          return { metadata: { ...meta, command: 'export' } };
        }
        const uri = await deps.exportTo(key);
        if (uri) {
          stream.markdown(vscode.l10n.t('Exported {0} executions to ', (await session.readHistory()).length));
          stream.anchor(uri, vscode.workspace.asRelativePath(uri));
          stream.markdown('.');
        } else {
          stream.markdown(vscode.l10n.t('Export cancelled.'));
        }
        return { metadata: { ...meta, command: 'export' } };
      }
      case 'notebook': {
        await deps.openNotebook(key);
        const cells = (await session.readHistory()).length;
        stream.markdown(
          vscode.l10n.t(
            "Opened this thread as a notebook on its sandbox session ({0} cells). Cells you run there share this thread's variables and files, and what runs here next is added to the notebook.",
            cells,
          ),
        );
        return { metadata: { ...meta, command: 'notebook' } };
      }
    }
    if (!request.prompt.trim() && request.references.length === 0) {
      stream.markdown(
        vscode.l10n.t('Ask me to analyse data: I write Python or shell code and run it in a local sandbox with no network (pandas, matplotlib, scikit-learn, …). Attach files with `#file`, or use `/files`, `/reset`, `/export` or `/notebook`.'),
      );
      return { metadata: meta };
    }
    return await toolLoop(deps, request, context, stream, token, turn);
  } catch (err) {
    if (token.isCancellationRequested) return { metadata: meta };
    deps.log.error(`@interpreter failed: ${errorMessage(err)}`);
    if (err instanceof vscode.LanguageModelError) {
      return { metadata: meta, errorDetails: { message: vscode.l10n.t('The language model failed: {0}', err.message) } };
    }
    return { metadata: meta, errorDetails: { message: errorMessage(err) } };
  }
}

async function listFiles(model: SessionsModel, turn: Turn, stream: vscode.ChatResponseStream): Promise<void> {
  stream.progress(vscode.l10n.t('Listing /mnt/data…'));
  const { entries, truncated } = await model.session(turn.key).files.list('.', LIMITS.maxChatListEntries);
  const files = userFiles(entries);
  if (files.length === 0) {
    stream.markdown(vscode.l10n.t('`/mnt/data` is empty in this thread. Attach a file with `#file` or ask me to create one.'));
    return;
  }
  stream.markdown(vscode.l10n.t('{0} files in `/mnt/data`:', files.length) + '\n\n');
  for (const f of files) {
    stream.markdown('- ');
    if (isWellFormedPath(f.path)) stream.anchor(sessionUri(turn.hash, f.path), anchorTitle(f.path));
    else stream.markdown(inlineCode(displayPath(f.path).replace(/\s+/g, ' ')));
    stream.markdown(` — ${formatBytes(f.size)}, ${f.mtime.replace('T', ' ').replace(/\.\d+.*$/, '')}\n`);
  }
  if (truncated) stream.markdown('\n' + vscode.l10n.t('(the list was cut)'));
}

/** Upload #file attachments into /mnt/data (the user chose them, which is the consent); the note tells the model. */
async function uploadAttachments(deps: ParticipantDeps, request: vscode.ChatRequest, turn: Turn, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<string | undefined> {
  const sources: UploadSource[] = [];
  for (const ref of request.references) {
    const uri = ref.value instanceof vscode.Uri ? ref.value : ref.value instanceof vscode.Location ? ref.value.uri : undefined;
    if (!uri || uri.scheme === 'sandbox-session') continue;
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(uri);
    } catch {
      continue;
    }
    if (stat.type & vscode.FileType.Directory) continue;
    sources.push(workspaceFile(uri, stat));
  }
  if (sources.length === 0) return undefined;
  const attached = await deps.tools.upload(turn.key, sources, 'vscode:user', { token, onFile: (f) => stream.progress(vscode.l10n.t('Uploading {0} to /mnt/data…', f.name)) });
  for (const { source, outcome } of attached.uploads) {
    const tooLarge = uploadTooLarge(outcome);
    if (tooLarge) stream.markdown(vscode.l10n.t('{0} is {1}, over the upload limit ({2}); it was not uploaded.', source.name, formatBytes(tooLarge.size), formatBytes(tooLarge.limit)) + '\n\n');
    else if (outcome.status !== 'ok') throw new Error(outcome.text);
  }
  return attached.note;
}

async function toolLoop(deps: ParticipantDeps, request: vscode.ChatRequest, context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken, turn: Turn): Promise<vscode.ChatResult> {
  const calls: ParticipantCalls = deps.tools.beginParticipantRequest(turn.key);
  try {
    const attached = await uploadAttachments(deps, request, turn, stream, token);
    const tools: vscode.LanguageModelChatTool[] = TOOL_SCHEMAS.map((s) => ({ name: toolId(s.name), description: s.description, inputSchema: s.inputSchema }));
    const prompt = attached ? `${request.prompt}\n\n${attached}` : request.prompt;
    const messages = [vscode.LanguageModelChatMessage.User(systemPrompt(deps.model.title(turn.key), deps.environment.forModel())), ...historyMessages(context.history), vscode.LanguageModelChatMessage.User(prompt)];
    const rounds: StoredRound[] = [];
    turn.meta.rounds = rounds;
    const shownFiles = new Set<string>();
    const hints = new Map<string, PackageHint>();

    for (let round = 0; ; round++) {
      if (token.isCancellationRequested) break;
      if (round >= MAX_ROUNDS) {
        stream.markdown('\n\n' + vscode.l10n.t('I stopped after {0} rounds of tool calls. Ask me to continue if you want more.', MAX_ROUNDS));
        break;
      }
      const response = await request.model.sendRequest(messages, { tools, justification: vscode.l10n.t('Code Interpreter runs code for your request in a local sandbox.') }, token);
      let text = '';
      const toolCalls: vscode.LanguageModelToolCallPart[] = [];
      for await (const part of response.stream) {
        if (part instanceof vscode.LanguageModelTextPart) {
          stream.markdown(part.value);
          text += part.value;
        } else if (part instanceof vscode.LanguageModelToolCallPart) {
          toolCalls.push(part);
        }
      }
      if (toolCalls.length === 0) {
        if (text) rounds.push({ text, calls: [] });
        break;
      }
      messages.push(vscode.LanguageModelChatMessage.Assistant([...(text ? [new vscode.LanguageModelTextPart(text)] : []), ...toolCalls]));
      const stored: StoredRound = { text, calls: [] };
      rounds.push(stored);
      const results = new Map<string, vscode.LanguageModelToolResultPart>();
      for (const call of toolCalls) {
        if (token.isCancellationRequested) break;
        let result: vscode.LanguageModelToolResult;
        let outcome: ToolOutcome | undefined;
        try {
          ({ result, outcome } = await calls.invoke(call, request.toolInvocationToken, token));
        } catch (err) {
          if (token.isCancellationRequested) throw err;
          // Refused by the user, unknown tool, or invalid input: tell the model, which can adapt.
          const message = err instanceof Error ? err.message : String(err);
          result = new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(`The tool call failed: ${message}`)]);
        }
        results.set(call.callId, new vscode.LanguageModelToolResultPart(call.callId, result.content));
        const resultText = result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
        stored.calls.push({ callId: call.callId, name: call.name, input: call.input, result: resultText.slice(0, MAX_RESULT_CHARS_IN_HISTORY) });
        if (outcome) {
          showOutcome(stream, outcome, turn.hash, shownFiles);
          if (outcome.hint) hints.set(`${outcome.hint.kind}:${outcome.hint.missing}`, outcome.hint);
        }
      }
      // Every call needs its result, matched by call id, even when the user stopped halfway.
      messages.push(vscode.LanguageModelChatMessage.User(toolCalls.map((c) => results.get(c.callId) ?? new vscode.LanguageModelToolResultPart(c.callId, [new vscode.LanguageModelTextPart('Cancelled by the user.')]))));
    }
    offerPackages(deps.environment, stream, [...hints.values()], request.prompt);
    return { metadata: turn.meta };
  } finally {
    calls.dispose();
  }
}

/** A button per missing package: add it to the workspace's sandbox environment, rebuild, ask again. */
function offerPackages(environment: EnvironmentView, stream: vscode.ChatResponseStream, hints: PackageHint[], prompt: string): void {
  if (!environment.canAddPackages) return;
  const offered = new Set<string>();
  for (const hint of hints) {
    const add = packageToAdd(hint);
    if (!add || offered.has(add.name)) continue;
    offered.add(add.name);
    const what = hint.kind === 'module' ? vscode.l10n.t('The Python module {0} is not in the sandbox', inlineCode(hint.missing)) : vscode.l10n.t('The command {0} is not in the sandbox', inlineCode(hint.missing));
    stream.markdown(`\n\n${what}: ${vscode.l10n.t('{0} provides it.', inlineCode(add.name))}\n\n`);
    const args: AddPackageArgs = { ...add, prompt };
    stream.button({ command: ADD_PACKAGE_COMMAND, title: vscode.l10n.t("Add {0} to this workspace's sandbox", add.name), arguments: [args] });
  }
}

/** Charts inline (small data: images), files as links that open them, a link to the full output. */
function showOutcome(stream: vscode.ChatResponseStream, outcome: ToolOutcome, hash: string, shownFiles: Set<string>): void {
  const images = outcome.images;
  let shown = 0;
  for (const image of images) {
    const bytes = Math.floor((image.data.length * 3) / 4);
    // The data is the sandbox's: it goes into markdown only when it is a picture's base64 and nothing
    // else (a `)` in it would end the URL, and the rest of the "image" would be rendered as markdown).
    if (bytes > MAX_INLINE_IMAGE_BYTES || !isImageData(image.mimeType, image.data)) continue;
    stream.markdown(`\n\n![${altText(image.path)}](data:${image.mimeType};base64,${image.data})\n\n`);
    shown++;
  }
  if (outcome.execution && (shown > 0 || images.some((i) => isImageData(i.mimeType, i.data)))) {
    const md = new vscode.MarkdownString(`[${vscode.l10n.t('Open full size in the output panel')}](command:codeInterpreter.openOutputPanel?${encodeURIComponent(JSON.stringify([{ threadHash: hash, execution: outcome.execution.id }]))})\n\n`);
    md.isTrusted = { enabledCommands: ['codeInterpreter.openOutputPanel'] };
    stream.markdown(md);
  }
  // As many links as a file report names, in its order; the rest are counted (the sessions view
  // and the panel list them all). The chat keeps its responses, and reads them back as history.
  const files = reportOrder(outcome.files.filter((f) => isUserFile(f.path) && f.change !== undefined && !shownFiles.has(f.path)));
  if (files.length) {
    const linked = files.slice(0, LIMITS.reportNamedFiles);
    stream.markdown(files.length === 1 ? vscode.l10n.t('File: ') : vscode.l10n.t('Files: '));
    linked.forEach((f, i) => {
      shownFiles.add(f.path);
      if (i > 0) stream.markdown(', ');
      // A name that is not UTF-8 cannot be a URI (the chat would fail to render the link): text then.
      if (isWellFormedPath(f.path)) stream.anchor(sessionUri(hash, f.path), anchorTitle(nameForModel(f.path, LIMITS.reportNameChars)));
      else stream.markdown(inlineCode(nameForModel(displayPath(f.path), LIMITS.reportNameChars).replace(/\s+/g, ' ')));
    });
    const more = files.length - linked.length;
    if (more > 0) stream.markdown(' ' + vscode.l10n.t('and {0} more (the Code Interpreter sessions view lists them all)', more.toLocaleString('en-US')));
    stream.markdown('\n\n');
  }
}

/**
 * A file link's title. The chat turns an anchor into the markdown `[title](…)` before it renders it
 * (the link itself is labelled with the URI's base name), so a name like `[click](command:…).csv` or
 * `_x_/y` would become markup beside the link: every ASCII punctuation character is escaped
 * (CommonMark), and line breaks, which would end the link, become spaces.
 */
export function anchorTitle(path: string): string {
  return path.replace(/[\r\n\t]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** An image's alt text from a session path: words, dots and dashes only (markdown can't be closed by it). */
export function altText(path: string | undefined): string {
  const clean = (path ?? '').replace(/[^\p{L}\p{N} ._-]+/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  return clean || 'chart';
}
