import { InfrastructureError, InputError } from '../errors';
import { DockerClient } from './docker';

export const HELPER = ['python3', '/opt/sandbox/sbx.py'];

/** Run a one-shot subcommand of the in-container helper (sbx.py) and parse its JSON answer. */
export async function runHelper<T>(docker: DockerClient, containerId: string, args: string[]): Promise<T> {
  const r = await docker.execOnce(containerId, [...HELPER, ...args]);
  const text = r.stdout.toString('utf8').trim();
  let parsed: (T & { error?: string }) | undefined;
  try {
    parsed = text ? (JSON.parse(text) as T & { error?: string }) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed.error === 'string') throw new InputError(parsed.error);
  if (r.exitCode === null && !parsed) {
    // The exec ended without an exit code: Docker or the container went away under it.
    await docker.ping();
    throw new InfrastructureError(`The sandbox container stopped during the call (${args[0]}).`, 'Try again; the next call starts it again.');
  }
  if (r.exitCode !== 0 || !parsed) {
    const detail = r.stderr.toString('utf8').trim().slice(-1000) || text.slice(0, 500) || `exit ${r.exitCode}`;
    throw new InfrastructureError(`The sandbox helper failed (${args[0]}): ${detail}`, 'Try again; if it keeps failing, restart the session.');
  }
  return parsed;
}
