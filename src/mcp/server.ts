/**
 * The MCP server over the core: the eight tools (schemas from TOOL_SCHEMAS, untouched), session
 * files as `sandbox://<thread>/<path>` resources, cancellation and progress, host files bounded by
 * the client's roots. Imports only the core and the MCP SDK; nothing but protocol messages go to
 * stdout (logs go to stderr).
 */
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  AuditLog,
  Caller,
  Core,
  ENV_DIR_NAME,
  errorMessage,
  HostFiles,
  InfrastructureError,
  InputError,
  InterpreterError,
  invokeTool,
  LIMITS,
  Logger,
  logLine,
  mimeFromName,
  rejectCall,
  rootedHostFiles,
  schemaOf,
  TIMINGS,
  ToolContext,
  ToolOutcome,
} from '../core';
import { ProgressReporter } from './progress';
import { asText, CallPlan, McpCallResult, parseSessionFileUri, planCall, rootPaths, sessionFileUri, toCallResult, toolDefinitions, URI_SCHEME } from './shape';

export const SERVER_NAME = 'code-interpreter';
export const SERVER_VERSION = '0.1.0';

/** Largest session file resources/read returns (base64 in one JSON message); larger: getSessionFile. */
export const MAX_RESOURCE_BYTES = LIMITS.maxResourceBytes;
/** Resources per resources/list page. */
export const RESOURCE_PAGE = LIMITS.resourcePage;
/** The JSON-RPC error code MCP uses for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

export interface McpServerOptions {
  core: Core;
  /** The thread this server serves (default "default"). */
  thread?: string;
  /** Let a tool call name another thread with a `thread` argument. */
  allowThreadArg?: boolean;
  audit?: AuditLog;
  /** Host folder used when the client declares no roots capability (default: process.cwd()). */
  cwd?: string;
  /** The environment folder (--env); default: `.code-interpreter` in the client's first root. */
  envDir?: string;
  log?: Logger;
}

export interface CodeInterpreterMcpServer {
  server: Server;
  /** Aborts every running tool call (the connection is going away). */
  abortAll(): void;
  /** Resolves when no tool call is running any more. */
  idle(): Promise<void>;
  /** Start the Docker check and image build in the background, so the first call is fast. */
  warmUp(): void;
}

/** A line for whoever runs the server (stdout is the protocol's), redacted as the core's logger does. */
function stderrLine(line: string): void {
  process.stderr.write(`code-interpreter mcp: ${logLine(line, [])}\n`);
}

/** The client's roots as host folders, or the server's working directory when it has none. */
class HostRoots {
  private cached?: Promise<string[]>;

  constructor(
    private readonly server: Server,
    private readonly cwd: string,
  ) {}

  invalidate(): void {
    this.cached = undefined;
  }

  private fetch(): Promise<string[]> {
    return this.server.listRoots(undefined, { timeout: TIMINGS.rootsListTimeoutMs }).then(
      (r) => rootPaths(r.roots),
      (err) => {
        throw new InfrastructureError(`The MCP client did not answer roots/list: ${errorMessage(err)}`, 'Retry; if it persists, check the client.', { cause: err });
      },
    );
  }

  async paths(): Promise<{ paths: string[]; fromClient: boolean }> {
    const caps = this.server.getClientCapabilities()?.roots;
    if (!caps) return { paths: [this.cwd], fromClient: false };
    // Without list-changed notifications a cached answer could be stale: ask every time.
    const p = caps.listChanged ? (this.cached ??= this.fetch()) : this.fetch();
    p.catch(() => (this.cached = undefined));
    return { paths: await p, fromClient: true };
  }

  hostFiles(): HostFiles {
    const bounded = async (path: string, how: 'resolveRead' | 'resolveWrite') => {
      const { paths, fromClient } = await this.paths();
      if (paths.length === 0) {
        throw new InputError(
          fromClient ? 'The MCP client shares no local folder (roots), so no host file may be read or written.' : 'No host folder is allowed.',
          'Add the folder as a root in the MCP client, then try again.',
        );
      }
      return rootedHostFiles(paths)[how](path);
    };
    return { resolveRead: (p) => bounded(p, 'resolveRead'), resolveWrite: (p) => bounded(p, 'resolveWrite') };
  }
}

export function createMcpServer(options: McpServerOptions): CodeInterpreterMcpServer {
  const { core } = options;
  const defaultThread = options.thread ?? 'default';
  const allowThreadArg = options.allowThreadArg ?? false;
  const log = options.log;
  const shutdown = new AbortController();
  const running = new Set<Promise<unknown>>();
  /** Threads this process used, for resources/list (only the server's own without --allow-thread-arg). */
  const threads = new Set<string>([defaultThread]);
  const buildListeners = new Set<(line: string) => void>();
  const broadcastBuild = (line: string) => {
    log?.info(`image: ${line}`);
    for (const l of buildListeners) l(line);
  };

  const server = new Server(
    { name: SERVER_NAME, title: 'Code Interpreter', version: SERVER_VERSION },
    {
      capabilities: { tools: { listChanged: false }, resources: { listChanged: true } },
      instructions:
        `A local, network-less, hardened Docker sandbox for Python and shell code. Thread "${defaultThread}"` +
        (allowThreadArg ? ' by default (tools take an optional `thread` argument)' : '') +
        `: files in /mnt/data persist, Python variables persist between executePythonCode calls. Session files are resources ${URI_SCHEME}://<thread>/<path>.`,
    },
  );
  const roots = new HostRoots(server, options.cwd ?? process.cwd());
  const host = roots.hostFiles();
  /** Sessions run on the environment declared in the client's first root (or --env). */
  const environmentFor = async () => {
    if (options.envDir) return;
    const first = (await roots.paths().catch(() => ({ paths: [] as string[] }))).paths[0];
    const dir = first ? join(first, ENV_DIR_NAME) : undefined;
    if (dir && dir !== core.environment.dir) {
      log?.info(`environment: ${dir} (the client's first root)`);
      core.environment.configure({ dir });
    }
  };
  const caller = (): Caller => `mcp:${server.getClientVersion()?.name ?? 'unknown'}`;
  const threadAllowed = (t: string) => t === defaultThread || allowThreadArg;

  server.setNotificationHandler(RootsListChangedNotificationSchema, async () => roots.invalidate());

  const definitions = toolDefinitions({ allowThreadArg, defaultThread });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: definitions }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<McpCallResult> => {
    const name = request.params.name;
    let plan: CallPlan | undefined;
    let refusal: unknown;
    try {
      plan = planCall(name, request.params.arguments, { allowThreadArg, defaultThread });
    } catch (err) {
      refusal = err;
    }
    const thread = plan?.thread ?? defaultThread;
    const token = extra._meta?.progressToken;
    const progress =
      token === undefined || !plan
        ? undefined
        : new ProgressReporter(token, (n) => extra.sendNotification({ method: 'notifications/progress', params: n }));
    const signal = AbortSignal.any([extra.signal, shutdown.signal]);
    const onBuild = (line: string) => progress?.push(`[building the sandbox image] ${line}\n`);
    const ctx: ToolContext = {
      manager: core.manager,
      threadKey: thread,
      caller: caller(),
      signal,
      audit: options.audit,
      host,
      onOutput: progress
        ? (o) => {
            if (o.output_type === 'stream') progress.push(o.text);
            else if (o.output_type === 'error') progress.push(`${o.ename}: ${o.evalue}\n`);
          }
        : undefined,
    };
    const work = (async (): Promise<ToolOutcome> => {
      try {
        // Refused before it reached a tool: audited and answered like any other call.
        if (!plan) return await rejectCall(name, refusal, ctx);
        if (schemaOf(plan.call.name).runsCode) {
          buildListeners.add(onBuild);
          // A failure here (Docker down) is reported by the tool itself, with its audit line.
          await environmentFor()
            .then(() => core.ready(broadcastBuild))
            .catch(() => undefined);
          buildListeners.delete(onBuild);
        }
        threads.add(thread);
        return await invokeTool(plan.call, ctx);
      } finally {
        buildListeners.delete(onBuild);
        await progress?.close();
      }
    })();
    running.add(work);
    try {
      const outcome = await work;
      if (outcome.files.some((f) => f.change !== undefined && f.change !== 'saved')) {
        server.sendResourceListChanged().catch(() => undefined);
      }
      return toCallResult(outcome, thread);
    } finally {
      running.delete(work);
    }
  });

  const sessionExists = async (thread: string): Promise<boolean> =>
    (await core.docker.volumeExists(core.manager.session(thread).names.volume)) !== undefined;

  const asMcpError = (err: unknown): McpError => {
    if (err instanceof McpError) return err;
    if (err instanceof InterpreterError && err.kind === 'input') return new McpError(ErrorCode.InvalidParams, err.explanation);
    if (err instanceof InterpreterError && err.kind === 'infrastructure') return new McpError(ErrorCode.InternalError, `The sandbox is unavailable: ${err.explanation}`);
    return new McpError(ErrorCode.InternalError, errorMessage(err));
  };

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    try {
      const all: { uri: string; name: string; title: string; mimeType: string; size: number; annotations: { lastModified?: string } }[] = [];
      for (const thread of [...threads].filter(threadAllowed)) {
        if (!(await sessionExists(thread))) continue;
        const listing = await core.manager.session(thread).files.list('.', LIMITS.maxListEntries);
        for (const e of listing.entries) {
          if (e.type === 'dir') continue;
          const lastModified = Date.parse(e.mtime);
          all.push({
            uri: sessionFileUri(thread, e.path),
            name: e.path,
            title: thread === defaultThread ? e.path : `${e.path} (thread ${thread})`,
            mimeType: mimeFromName(e.path),
            size: e.size,
            annotations: Number.isFinite(lastModified) ? { lastModified: new Date(lastModified).toISOString() } : {},
          });
        }
      }
      const start = Number(request.params?.cursor ?? 0);
      if (!Number.isInteger(start) || start < 0) throw new McpError(ErrorCode.InvalidParams, `Invalid cursor '${request.params?.cursor}'.`);
      const page = all.slice(start, start + RESOURCE_PAGE);
      return start + RESOURCE_PAGE < all.length ? { resources: page, nextCursor: String(start + RESOURCE_PAGE) } : { resources: page };
    } catch (err) {
      throw asMcpError(err);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      {
        uriTemplate: allowThreadArg ? `${URI_SCHEME}://{thread}/{+path}` : `${URI_SCHEME}://${encodeURIComponent(defaultThread)}/{+path}`,
        name: 'session-file',
        title: 'Session file',
        description: 'A file in /mnt/data of a sandbox session (path relative to /mnt/data).',
      },
    ],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    try {
      const { thread, path } = parseSessionFileUri(uri);
      if (!threadAllowed(thread)) {
        throw new McpError(ErrorCode.InvalidParams, `This server serves the thread "${defaultThread}" only; '${uri}' names thread "${thread}".`);
      }
      if (!(await sessionExists(thread))) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: thread "${thread}" has no session.`, { uri });
      let data: Buffer;
      try {
        data = await core.manager.session(thread).files.download(path, MAX_RESOURCE_BYTES);
      } catch (err) {
        if (err instanceof InputError && /does not exist/.test(err.message)) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${err.explanation}`, { uri });
        throw err;
      }
      const mimeType = mimeFromName(path);
      const text = asText(data, mimeType);
      return { contents: [text !== undefined ? { uri, mimeType, text } : { uri, mimeType, blob: data.toString('base64') }] };
    } catch (err) {
      throw asMcpError(err);
    }
  });

  return {
    server,
    abortAll: () => shutdown.abort(),
    idle: async () => {
      while (running.size) await Promise.allSettled([...running]);
    },
    warmUp: () => {
      core
        .ready(broadcastBuild)
        .catch((err) => stderrLine(`warning: ${errorMessage(err)} (tool calls will say so until it is fixed)`));
    },
  };
}

/**
 * Serve MCP on stdin/stdout until the client disconnects (stdin ends) or a signal arrives. Resolves
 * with the process exit status; the caller exits only once stdout has drained (the CLI's
 * exitAfterFlush), so the last responses reach the client whole.
 */
export async function runMcpServer(options: McpServerOptions): Promise<number> {
  // Only protocol messages may reach stdout: anything that logs through console goes to stderr.
  for (const method of ['log', 'info', 'debug', 'warn'] as const) {
    console[method] = (...args: unknown[]) => process.stderr.write(args.map(String).join(' ') + '\n');
  }
  const mcp = createMcpServer(options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    mcp.server.onclose = () => resolve();
  });
  mcp.server.onerror = (err) => stderrLine(`protocol error: ${errorMessage(err)}`);
  await mcp.server.connect(transport);
  const close = () => {
    mcp.server.close().catch(() => undefined);
  };
  process.stdin.once('end', close);
  process.stdin.once('close', close);
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  process.once('SIGHUP', close);
  stderrLine(`serving thread "${options.thread ?? 'default'}" on stdio${options.allowThreadArg ? ' (tools may name another thread)' : ''}`);
  mcp.warmUp();
  await closed;
  mcp.abortAll();
  await Promise.race([mcp.idle(), new Promise((r) => setTimeout(r, TIMINGS.exitDrainMs).unref())]);
  return 0;
}
