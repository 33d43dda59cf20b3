import { errorMessage, InterpreterError } from '../errors';
import { streamText } from '../notebook/nbformat';
import { LIMITS } from '../policy/limits';
import { truncateMiddle } from '../policy/truncate';
import { Session } from '../session/session';
import { ToolContext } from './context';
import { outcome, ToolOutcome, ToolStatus } from './outcome';

export type ToolName =
  | 'executePythonCode'
  | 'runShellCommand'
  | 'generatePdfReport'
  | 'readSessionFile'
  | 'searchSessionFiles'
  | 'listSessionFiles'
  | 'getSessionFile'
  | 'uploadFileToSession';

function statusOfError(err: unknown): ToolStatus {
  if (err instanceof InterpreterError) {
    if (err.kind === 'input') return 'rejected';
    if (err.kind === 'infrastructure') return 'unavailable';
  }
  return 'error';
}

/**
 * A failure as the outcome a model (or a person) reads: the one translation of an error into a tool
 * status (`rejected` for bad input, `unavailable` when Docker or the sandbox failed, else `error`).
 */
export function outcomeOfError(tool: string, err: unknown, extra: Partial<ToolOutcome> = {}): ToolOutcome {
  const status = statusOfError(err);
  const prefix = status === 'unavailable' ? 'The sandbox is unavailable: ' : status === 'rejected' ? 'Invalid request: ' : '';
  return outcome(tool, status, prefix + errorMessage(err), extra);
}

/**
 * The one path every tool call takes: act on the thread's session, turn any failure into an outcome
 * a model can act on, and append the audit line in `finally`. `tool` is a ToolName, or whatever a
 * call that was refused before it reached a tool named (see rejectCall).
 */
export async function runTool(
  tool: string,
  ctx: ToolContext,
  /** The code or command as given (untrusted: may be any type). */
  code: unknown,
  act: (session: Session) => Promise<ToolOutcome>,
): Promise<ToolOutcome> {
  const started = Date.now();
  let session: Session | undefined;
  let result: ToolOutcome | undefined;
  try {
    session = ctx.manager.session(ctx.threadKey);
    result = bounded(await act(session));
    return result;
  } catch (err) {
    result = bounded(outcomeOfError(tool, err));
    if (!(err instanceof InterpreterError)) ctx.manager.log.error(err as Error);
    return result;
  } finally {
    if (ctx.audit && result) {
      const outputs = result.outputs;
      const stdout = streamText(outputs, 'stdout').length;
      const stderr = streamText(outputs, 'stderr').length;
      const total = JSON.stringify(outputs).length;
      // Resolved once per engine; not asked again when the engine is what failed.
      const runtime = result.status === 'unavailable' ? undefined : await ctx.manager.runtime().then((r) => r.name, () => undefined);
      await ctx.audit
        .append({
          time: new Date(started).toISOString(),
          thread: ctx.threadKey,
          session: session?.id ?? '',
          tool: tool.slice(0, 100),
          caller: ctx.caller,
          code: typeof code === 'string' ? code : undefined,
          status: result.status,
          durationMs: Date.now() - started,
          outputBytes: { stdout, stderr, other: Math.max(0, total - stdout - stderr) },
          filesWritten: result.files.filter((f) => f.change !== undefined).map((f) => f.hostPath ?? f.path),
          error: result.status === 'ok' ? undefined : result.text.slice(0, 500),
          runtime,
          image: session?.image,
        })
        .catch((err: Error) => {
          // Said where it is seen: the output channel, and the result itself (the next call tries again).
          ctx.manager.log.error(`The audit log could not be written (${ctx.audit!.file}): ${err.message}`);
          result!.text += `\n\nNote: this call could not be written to the audit log (${ctx.audit!.file}: ${err.message}). Make that folder writable (or set another audit folder); the next call tries again.`;
        });
    }
  }
}

/**
 * The last bound on what a model reads, whatever a tool put together: each part of a text has its own
 * smaller limit; this one holds even if some part was missed.
 */
function bounded(o: ToolOutcome): ToolOutcome {
  return o.text.length <= LIMITS.maxToolTextChars ? o : { ...o, text: truncateMiddle(o.text, LIMITS.maxToolTextChars) };
}

/** A call refused before it reached a tool (an unknown name, arguments a protocol refuses): audited like any other. */
export function rejectCall(tool: string, err: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool(String(tool), ctx, undefined, () => Promise.reject(err));
}
