import { InfrastructureError, InputError } from '../errors';
import { OUTPUT_CUTS, OutputCuts } from '../policy/limits';
import { DockerClient } from './docker';

/** As every interpreter of ours: no PYTHON* variables, no user site directory (user code can write both), no bytecode. */
export const HELPER = ['python3', '-E', '-s', '-B', '/opt/sandbox/sbx.py'];

/**
 * The output cuts as the environment of a `docker exec` of kernel.py or sbx.py: each as
 * SBX_<NAME> (streamHeadBytes → SBX_STREAM_HEAD_BYTES), read by host_limit() in capture.py.
 */
export function sandboxEnv(cuts: OutputCuts = OUTPUT_CUTS): string[] {
  return Object.entries(cuts).map(([name, value]) => `SBX_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}=${value}`);
}

/** Run a one-shot subcommand of the in-container helper (sbx.py) and parse its JSON answer. */
export async function runHelper<T>(docker: DockerClient, containerId: string, args: string[]): Promise<T> {
  const r = await docker.execOnce(containerId, [...HELPER, ...args], { env: sandboxEnv() });
  const text = r.stdout.toString('utf8').trim();
  let parsed: (T & { error?: string }) | undefined;
  try {
    parsed = text ? (JSON.parse(text) as T & { error?: string }) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed.error === 'string') throw new InputError(parsed.error);
  if (!parsed && (r.exitCode === null || r.exitCode === 137 || r.exitCode === 126)) {
    // No exit code, or killed / not runnable: Docker or the container may have gone away under it.
    await docker.ping();
    if (r.exitCode === null || !(await docker.inspectContainer(containerId))?.State?.Running) {
      throw new InfrastructureError(`The sandbox container stopped during the call (${args[0]}).`, 'Try again; the next call starts it again.');
    }
  }
  if (r.exitCode !== 0 || !parsed) {
    const detail = r.stderr.toString('utf8').trim().slice(-1000) || text.slice(0, 500) || `exit ${r.exitCode}`;
    throw new InfrastructureError(`The sandbox helper failed (${args[0]}): ${detail}`, 'Try again; if it keeps failing, restart the session.');
  }
  return parsed;
}
