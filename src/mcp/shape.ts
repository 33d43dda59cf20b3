/**
 * Pure logic of the MCP server (no I/O): the tool list built from the core's TOOL_SCHEMAS, the
 * checks on tool arguments, the `sandbox://` resource URIs, and the shaping of a ToolOutcome into
 * an MCP CallToolResult.
 */
import { fileURLToPath } from 'node:url';
import { InputError, LIMITS, TOOL_SCHEMAS, ToolName, ToolOutcome, ToolSchema, validateSessionPath } from '../core';

/** The scheme of session-file resources: `sandbox://<thread>/<path relative to /mnt/data>`. */
export const URI_SCHEME = 'sandbox';
const PREFIX = `${URI_SCHEME}://`;

/** Longest thread key a tool argument may name. */
export const MAX_THREAD_CHARS = 200;

/** Resource links per tool result (a result that touched more files says so in its text). */
export const MAX_RESOURCE_LINKS = 50;

export interface McpToolDefinition extends Pick<ToolSchema, 'name' | 'title' | 'description' | 'inputSchema'> {
  annotations: { title: string; readOnlyHint: boolean; destructiveHint: boolean; openWorldHint: false };
}

export function threadProperty(defaultThread: string): Record<string, unknown> {
  return {
    type: 'string',
    description: `Thread key of the sandbox session to use (default: "${defaultThread}"). The same key reaches the same files from the CLI and VS Code.`,
    minLength: 1,
    maxLength: MAX_THREAD_CHARS,
  };
}

/**
 * The eight tools as MCP advertises them. The input schema is the core's own object (the one
 * source); with `allowThreadArg` a copy gets an optional `thread` property.
 */
export function toolDefinitions(opts: { allowThreadArg: boolean; defaultThread: string }): McpToolDefinition[] {
  return TOOL_SCHEMAS.map((s) => ({
    name: s.name,
    title: s.title,
    description: s.description,
    inputSchema: opts.allowThreadArg
      ? { ...s.inputSchema, properties: { ...s.inputSchema.properties, thread: threadProperty(opts.defaultThread) } }
      : s.inputSchema,
    annotations: { title: s.title, readOnlyHint: s.readOnly, destructiveHint: s.destructive, openWorldHint: false },
  }));
}

export function findTool(name: string): ToolSchema | undefined {
  return TOOL_SCHEMAS.find((t) => t.name === name);
}

export interface CallPlan {
  tool: ToolName;
  thread: string;
  /** The arguments for the core tool, without `thread`. */
  input: Record<string, unknown>;
}

/**
 * Check a tools/call request before it reaches the core: a known tool, an object of arguments, no
 * argument the schema lacks (so nothing the MCP surface does not offer, such as getSessionFile's
 * `overwrite`, can be passed), `thread` only when the server allows it, and each value of the JSON
 * type its schema names. Ranges, lengths and paths are the core's to check. Throws an InputError
 * whose message a model can act on.
 */
export function planCall(name: string, args: unknown, opts: { allowThreadArg: boolean; defaultThread: string }): CallPlan {
  const schema = findTool(name);
  if (!schema) {
    throw new InputError(`Unknown tool '${name}'.`, `The tools are: ${TOOL_SCHEMAS.map((t) => t.name).join(', ')}.`);
  }
  if (args !== undefined && args !== null && (typeof args !== 'object' || Array.isArray(args))) {
    throw new InputError(`The arguments of ${name} must be an object.`);
  }
  const input: Record<string, unknown> = { ...((args as Record<string, unknown> | null | undefined) ?? {}) };
  let thread = opts.defaultThread;
  if ('thread' in input) {
    if (!opts.allowThreadArg) {
      throw new InputError(
        `The 'thread' argument is not allowed: this server serves the thread "${opts.defaultThread}" only.`,
        'Leave out the thread argument (or start the server with --allow-thread-arg).',
      );
    }
    const t = input.thread;
    delete input.thread;
    if (t !== undefined && t !== null) {
      if (typeof t !== 'string' || t.trim() === '' || t.length > MAX_THREAD_CHARS) {
        throw new InputError(`thread must be a non-empty string of at most ${MAX_THREAD_CHARS} characters.`);
      }
      thread = t;
    }
  }
  const allowed = Object.keys(schema.inputSchema.properties);
  const unknown = Object.keys(input).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new InputError(
      `${name} has no parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}.`,
      `Its parameters are: ${allowed.join(', ')}${opts.allowThreadArg ? ', thread' : ''}.`,
    );
  }
  for (const [key, value] of Object.entries(input)) {
    const problem = typeProblem(schema.inputSchema.properties[key], value);
    if (problem) throw new InputError(`${key} must be ${problem}, not ${describeValue(value)}.`, `See the input schema of ${name}.`);
  }
  return { tool: schema.name, thread, input };
}

/**
 * The JSON type a schema property asks for, when a value has another one (null counts as absent).
 * Ranges, lengths and paths are the core's to check, with its own messages.
 */
function typeProblem(property: Record<string, unknown> | undefined, value: unknown): string | undefined {
  if (value === undefined || value === null || !property) return undefined;
  switch (property.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : 'an integer';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    default:
      return undefined;
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string '${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** `sandbox://<thread>/<path>`, each part percent-encoded (path segments one by one). */
export function sessionFileUri(thread: string, path: string): string {
  return PREFIX + encodeURIComponent(thread) + '/' + path.split('/').map(encodeURIComponent).join('/');
}

/** The thread and validated session path of a `sandbox://` URI, or an InputError. */
export function parseSessionFileUri(uri: string): { thread: string; path: string } {
  if (typeof uri !== 'string' || !uri.startsWith(PREFIX)) {
    throw new InputError(`'${uri}' is not a session file URI.`, `Session files are ${PREFIX}<thread>/<path relative to /mnt/data>.`);
  }
  const rest = uri.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new InputError(`'${uri}' names no thread and file.`, `Use ${PREFIX}<thread>/<path>.`);
  let thread: string;
  let raw: string;
  try {
    thread = decodeURIComponent(rest.slice(0, slash));
    raw = rest
      .slice(slash + 1)
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/');
  } catch {
    throw new InputError(`'${uri}' is not a valid URI (bad percent-encoding).`);
  }
  if (raw.length > LIMITS.maxPathChars) throw new InputError(`The path in '${uri}' is too long.`);
  return { thread, path: validateSessionPath(raw) };
}

type TextContent = { type: 'text'; text: string };
type ImageContent = { type: 'image'; data: string; mimeType: string };
type ResourceLinkContent = { type: 'resource_link'; uri: string; name: string; mimeType?: string; size?: number; description?: string };
export type McpContent = TextContent | ImageContent | ResourceLinkContent;

export interface McpCallResult {
  [key: string]: unknown;
  content: McpContent[];
  isError?: boolean;
}

/**
 * A ToolOutcome as MCP content: the text a model reads, charts as image content (base64 PNG/JPEG),
 * and files the call created, changed, saved, uploaded or handed over as resource links.
 * `isError` whenever the status is not ok.
 */
export function toCallResult(o: ToolOutcome, thread: string): McpCallResult {
  const content: McpContent[] = [{ type: 'text', text: o.text }];
  for (const img of o.images) content.push({ type: 'image', data: img.data, mimeType: img.mimeType });
  const linked = o.files.filter((f) => f.change !== undefined || o.tool === 'getSessionFile');
  for (const f of linked.slice(0, MAX_RESOURCE_LINKS)) {
    content.push({
      type: 'resource_link',
      uri: sessionFileUri(thread, f.path),
      name: f.path,
      mimeType: f.type,
      size: f.size,
      description: f.change ? `${f.change} in /mnt/data${f.hostPath ? `, saved on the host at ${f.hostPath}` : ''}` : 'a file in /mnt/data',
    });
  }
  const result: McpCallResult = { content };
  if (o.status !== 'ok') result.isError = true;
  return result;
}

/** An error as a tool result (unknown tool, bad arguments, anything before the core ran). */
export function errorResult(text: string): McpCallResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** Host folders from the client's `roots/list` answer: file:// URIs only, as absolute paths. */
export function rootPaths(roots: readonly { uri: string }[]): string[] {
  const paths: string[] = [];
  for (const r of roots) {
    if (typeof r?.uri !== 'string' || !r.uri.startsWith('file:')) continue;
    try {
      paths.push(fileURLToPath(r.uri));
    } catch {
      // not a local file URI (e.g. file://otherhost/...): not a root this process can use
    }
  }
  return paths;
}

/**
 * Text decoded as UTF-8 when the bytes are valid UTF-8 with no NUL, else undefined (send a blob).
 */
export function asText(data: Buffer, mime: string): string | undefined {
  const texty = mime.startsWith('text/') || /json|xml|yaml|sql|x-python|ndjson|csv|markdown|x-r$/.test(mime);
  if (!texty || data.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
}
