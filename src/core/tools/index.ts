import { ToolName } from './base';
import { ToolContext } from './context';
import { executePythonCode, generatePdfReport, runShellCommand } from './execute';
import { getSessionFile, listSessionFiles, readSessionFile, searchSessionFiles, uploadFileToSession } from './files';
import { ToolOutcome } from './outcome';

export * from './base';
export * from './context';
export * from './execute';
export * from './files';
export { mimeFromName, isTextMime } from './mime';
export * from './outcome';
export * from './schemas';

/** The eight tools by name, for adapters that dispatch on a name (VS Code, MCP). */
export const TOOLS: Record<ToolName, (input: never, ctx: ToolContext) => Promise<ToolOutcome>> = {
  executePythonCode,
  runShellCommand,
  generatePdfReport,
  readSessionFile,
  searchSessionFiles,
  listSessionFiles,
  getSessionFile,
  uploadFileToSession,
};

/** Call a tool by name with untrusted input (validated by the tool itself). */
export function invokeTool(name: ToolName, input: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  const fn = TOOLS[name] as (input: unknown, ctx: ToolContext) => Promise<ToolOutcome>;
  return fn((input ?? {}) as object, ctx);
}
