import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { AuditLog } from '../audit/audit';
import { InputError } from '../errors';
import { Output } from '../notebook/nbformat';
import { SessionManager } from '../session/manager';

/**
 * Where tools may touch the host's files: uploadFileToSession reads from here and getSessionFile
 * writes here. Each adapter decides (the workspace, MCP roots, the CLI's working directory).
 */
export interface HostFiles {
  /** An absolute host path that may be read, or an InputError naming what is allowed. */
  resolveRead(path: string): Promise<string>;
  /** An absolute host path that may be written (its folder exists or may be created). */
  resolveWrite(path: string): Promise<string>;
}

/**
 * Who asked, as the audit log names it: the surface, then who decided there, so that one action is
 * named one way wherever it starts.
 * - `cli`: the command line (its commands, the demo, the benchmark);
 * - `mcp:<client>`: an MCP client, by the name it gave in the handshake;
 * - `vscode:user`: the user in VS Code (a command, the sessions view, a drop, a chat attachment, Save As);
 * - `vscode:chat`: a model in a VS Code chat thread (agent mode, a `#` reference, @interpreter);
 * - `vscode:lm-tool`: a tool call with no chat behind it (another extension's vscode.lm.invokeTool);
 * - `test`: the test suites.
 */
export type Caller = 'cli' | `mcp:${string}` | 'vscode:user' | 'vscode:chat' | 'vscode:lm-tool' | 'test';

/** Everything a tool needs besides its input. */
export interface ToolContext {
  manager: SessionManager;
  threadKey: string;
  /** Who asked (see Caller), written to the audit log. */
  caller: Caller;
  signal?: AbortSignal;
  /** Live outputs while code runs. */
  onOutput?: (output: Output) => void;
  /** The execution's id, as it starts (before the session's execution-start event): a caller can tell its own runs among the session's events. */
  onStart?: (executionId: string) => void;
  audit?: AuditLog;
  host: HostFiles;
  maxUploadBytes?: number;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

async function realOrParent(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return resolve(await realOrParent(parent), relative(parent, path));
  }
}

/**
 * Host paths limited to a set of root folders (symlinks resolved); relative paths are taken from
 * the first root. With no roots, nothing is allowed.
 */
export function rootedHostFiles(roots: string[]): HostFiles {
  const check = async (path: string): Promise<string> => {
    if (typeof path !== 'string' || path === '') throw new InputError('A host file path is required.');
    if (roots.length === 0) throw new InputError('No folder is open, so no host file may be read or written.', 'Open a folder or workspace first.');
    const absolute = resolve(roots[0], path);
    const real = await realOrParent(absolute);
    for (const root of roots) {
      if (inside(await realOrParent(root), real)) return absolute;
    }
    throw new InputError(`Host path '${path}' is outside the allowed folders (${roots.join(', ')}).`, 'Use a path inside one of them.');
  };
  return { resolveRead: check, resolveWrite: check };
}
