import { InputError } from '../errors';
import { ToolName } from './base';
import { ToolContext } from './context';
import { executePythonCode, ExecutePythonInput, generatePdfReport, GeneratePdfInput, runShellCommand, RunShellInput } from './execute';
import { getSessionFile, GetFileInput, listSessionFiles, ListInput, readSessionFile, ReadFileInput, searchSessionFiles, SearchInput, uploadFileToSession, UploadInput } from './files';
import { ToolOutcome } from './outcome';
import { findToolSchema, TOOL_SCHEMAS } from './schemas';

export * from './base';
export * from './context';
export * from './execute';
export * from './files';
export { filesReport, FILES_HEADING, reportOrder } from './filesReport';
export type { FilesReport, FilesReportOptions } from './filesReport';
export { mimeFromName, isImageData } from './mime';
export * from './outcome';
export * from './schemas';

/** Each tool's input, by name. */
export interface ToolInputs {
  executePythonCode: ExecutePythonInput;
  runShellCommand: RunShellInput;
  generatePdfReport: GeneratePdfInput;
  readSessionFile: ReadFileInput;
  searchSessionFiles: SearchInput;
  listSessionFiles: ListInput;
  getSessionFile: GetFileInput;
  uploadFileToSession: UploadInput;
}

/** A tool and its input, one member a tool: switching on `name` narrows `input`. */
export type ToolCall<K extends ToolName = ToolName> = { [P in K]: { name: P; input: ToolInputs[P] } }[K];

type ToolFunctions = { [K in ToolName]: (input: ToolInputs[K], ctx: ToolContext) => Promise<ToolOutcome> };

/** The eight tools by name. */
export const TOOLS: ToolFunctions = {
  executePythonCode,
  runShellCommand,
  generatePdfReport,
  readSessionFile,
  searchSessionFiles,
  listSessionFiles,
  getSessionFile,
  uploadFileToSession,
};

/** Run a tool call: the one dispatch every adapter uses (VS Code, MCP; the CLI calls the tools it names). */
export function invokeTool<K extends ToolName>(call: ToolCall<K>, ctx: ToolContext): Promise<ToolOutcome> {
  return dispatch(call.name, call.input, ctx);
}

function dispatch<K extends ToolName>(name: K, input: ToolInputs[K], ctx: ToolContext): Promise<ToolOutcome> {
  return TOOLS[name](input, ctx);
}

/**
 * A call as a model or a protocol sent it: the name must be one of the eight tools and the input an
 * object (or nothing). Its fields are the tool's to check, with messages a model can act on, so the
 * input is taken as the tool's input type here (every tool validates each field it reads). Throws an
 * InputError; `rejectCall` turns that into an audited outcome.
 */
export function toolCall(name: unknown, input: unknown): ToolCall {
  const schema = findToolSchema(name);
  if (!schema) throw new InputError(`Unknown tool '${String(name).slice(0, 100)}'.`, `The tools are: ${TOOL_SCHEMAS.map((t) => t.name).join(', ')}.`);
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new InputError(`The arguments of ${schema.name} must be an object.`);
  }
  return { name: schema.name, input: input ?? {} } as ToolCall;
}
