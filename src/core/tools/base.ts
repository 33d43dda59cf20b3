import { errorMessage, InterpreterError } from '../errors';
import { streamText } from '../notebook/nbformat';
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
 * The one path every tool call takes: act on the thread's session, turn any failure into an outcome
 * a model can act on, and append the audit line in `finally`.
 */
export async function runTool(
  tool: ToolName,
  ctx: ToolContext,
  /** The code or command as given (untrusted: may be any type). */
  code: unknown,
  act: (session: Session) => Promise<ToolOutcome>,
): Promise<ToolOutcome> {
  const started = Date.now();
  const session = ctx.manager.session(ctx.threadKey);
  let result: ToolOutcome | undefined;
  try {
    result = await act(session);
    return result;
  } catch (err) {
    const status = statusOfError(err);
    const prefix = status === 'unavailable' ? 'The sandbox is unavailable: ' : status === 'rejected' ? 'Invalid request: ' : '';
    result = outcome(tool, status, prefix + errorMessage(err));
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
          session: session.id ?? '',
          tool,
          caller: ctx.caller,
          code: typeof code === 'string' ? code : undefined,
          status: result.status,
          durationMs: Date.now() - started,
          outputBytes: { stdout, stderr, other: Math.max(0, total - stdout - stderr) },
          filesWritten: result.files.filter((f) => f.change !== undefined).map((f) => f.hostPath ?? f.path),
          error: result.status === 'ok' ? undefined : result.text.slice(0, 500),
          runtime,
          image: session.image,
        })
        .catch(() => undefined);
    }
  }
}
