/**
 * Pure logic of the MCP server (no I/O): the tool list built from the core's TOOL_SCHEMAS, the
 * checks on tool arguments, the `sandbox://` resource URIs, and the shaping of a ToolOutcome into
 * an MCP CallToolResult.
 */
import { fileURLToPath } from 'node:url';
import { attachableImages, InputError, LIMITS, reportOrder, schemaOf, TOOL_SCHEMAS, ToolCall, toolCall, ToolOutcome, ToolSchema, validateSessionPath } from '../core';

/** The scheme of session-file resources: `sandbox://<thread>/<path relative to /mnt/data>`. */
export const URI_SCHEME = 'sandbox';
const PREFIX = `${URI_SCHEME}://`;

/** Longest thread key a tool argument may name. */
export const MAX_THREAD_CHARS = LIMITS.maxThreadChars;

/**
 * Resource links per tool result: as many as a file report names at most (the text counts the rest
 * by folder), so a call that wrote 3,000 files costs the model's context no more as links than as text.
 */
export const MAX_RESOURCE_LINKS = LIMITS.reportNamedFiles;

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

export interface CallPlan {
  /** The call for the core, without `thread`. */
  call: ToolCall;
  thread: string;
}

/**
 * Check a tools/call request before it reaches the core: a known tool, an object of arguments, no
 * argument the schema lacks (so nothing the MCP surface does not offer, such as getSessionFile's
 * `overwrite`, can be passed), `thread` only when the server allows it, and each value of the JSON
 * type its schema names. Ranges, lengths and paths are the core's to check. Throws an InputError
 * whose message a model can act on.
 */
export function planCall(name: string, args: unknown, opts: { allowThreadArg: boolean; defaultThread: string }): CallPlan {
  const known = toolCall(name, args);
  const schema = schemaOf(known.name);
  const input: Record<string, unknown> = { ...known.input };
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
  return { call: toolCall(schema.name, input), thread };
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

/**
 * `sandbox://<thread>/<path>`, each part percent-encoded (path segments one by one). A file name
 * that is not UTF-8 comes from the sandbox with each undecodable byte as a lone surrogate
 * U+DC80–U+DCFF (Python's surrogateescape): that byte is encoded as itself (`%FF`), so the URI is
 * well-formed and names the file's real bytes (encodeURIComponent would throw on it).
 */
export function sessionFileUri(thread: string, path: string): string {
  return PREFIX + encodeComponent(thread) + '/' + path.split('/').map(encodeComponent).join('/');
}

export function encodeComponent(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xdc80 && c <= 0xdcff) out += `%${(c - 0xdc00).toString(16).toUpperCase()}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '%EF%BF%BD'; // any other lone surrogate: U+FFFD
    else out += encodeURIComponent(ch);
  }
  return out;
}

/**
 * The inverse of encodeComponent: percent-escapes as bytes, decoded as UTF-8, each byte that is not
 * part of a valid sequence as U+DC00 + byte (surrogateescape), as the sandbox names such files.
 */
export function decodeComponent(text: string): string {
  if (!/^(?:[^%]|%[0-9a-f]{2})*$/i.test(text)) throw new URIError(`bad percent-encoding in '${text}'`);
  if (!/%[89a-f]/i.test(text)) return decodeURIComponent(text);
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === '%') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let cp = len === 1 ? b : len === 2 ? b & 0x1f : len === 3 ? b & 0x0f : b & 0x07;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) {
      const cont = bytes[i + k];
      if ((cont & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cont & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 either.
    if (ok && ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += len;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i += 1;
    }
  }
  return out;
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
    thread = decodeComponent(rest.slice(0, slash));
    raw = rest
      .slice(slash + 1)
      .split('/')
      .map((s) => decodeComponent(s))
      .join('/');
  } catch (err) {
    throw new InputError(`'${uri}' is not a valid URI (bad percent-encoding).`, undefined, { cause: err });
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
  // Image content only for real pictures: the sandbox's display() can put any string under image/png.
  const { images, note } = attachableImages(o.images, { nameTypes: true });
  for (const img of images) content.push({ type: 'image', data: img.data, mimeType: img.mimeType });
  if (note) content.push({ type: 'text', text: note });
  const linked = reportOrder(o.files.filter((f) => f.change !== undefined || o.tool === 'getSessionFile'));
  // In the order the text names them, so the first links are the files the text names.
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
