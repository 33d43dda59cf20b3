/**
 * Which OCI runtime sandboxes run under. `auto` (the default) takes gVisor (`runsc`) when the engine
 * has it registered — its own kernel between the code and the host's — else the engine's default
 * (runc). An explicit runtime the engine lacks is an error that says how to install and register it.
 */
import { InfrastructureError } from '../errors';
import { DockerClient } from './docker';

export const AUTO_RUNTIME = 'auto';
export const GVISOR = 'runsc';

/** What a session's containers run under: the name to show, and what to ask Docker for (undefined: its default). */
export interface ResolvedRuntime {
  name: string;
  request: string | undefined;
  /** How it was chosen, for logs and `doctor`. */
  why: string;
  /** The engine is Podman (whose Docker-compatible API differs in places: seccomp.ts). */
  podman?: boolean;
}

export const RUNSC_FIX =
  'Install gVisor (Debian/Ubuntu: sudo apt-get install runsc; elsewhere https://gvisor.dev/docs/user_guide/install/), register it in /etc/docker/daemon.json as "runtimes": {"runsc": {"path": "/usr/bin/runsc"}} and reload the engine (sudo systemctl reload docker, or send dockerd a SIGHUP) — or set the runtime to auto.';

export async function resolveRuntime(docker: DockerClient, setting: string | undefined): Promise<ResolvedRuntime> {
  const info = await docker.info();
  const resolved = chooseRuntime(info, setting);
  return info.BuildahVersion ? { ...resolved, podman: true } : resolved;
}

function chooseRuntime(info: Awaited<ReturnType<DockerClient['info']>>, setting: string | undefined): ResolvedRuntime {
  const wanted = (setting ?? '').trim() || AUTO_RUNTIME;
  const known = info.Runtimes ? Object.keys(info.Runtimes) : undefined;
  const engineDefault = info.DefaultRuntime || 'runc';
  if (wanted === AUTO_RUNTIME) {
    // Podman lists every runtime its configuration names, installed or not, and sandboxes under
    // Podman and gVisor are untested: auto takes gVisor on Docker engines only.
    if (info.BuildahVersion) return { name: engineDefault, request: undefined, why: `auto: Podman, so its default runtime (${engineDefault}); gVisor is chosen on Docker engines only` };
    if (known?.includes(GVISOR)) return { name: GVISOR, request: GVISOR, why: 'auto: the engine has gVisor (runsc)' };
    return { name: engineDefault, request: undefined, why: `auto: the engine has no gVisor (runsc), so its default runtime (${engineDefault})` };
  }
  // An engine that lists no runtimes (some Docker-compatible APIs) gets the request as it is.
  if (known && !known.includes(wanted)) {
    throw new InfrastructureError(
      `The Docker engine has no runtime '${wanted}' (it has: ${known.sort().join(', ') || 'none listed'}).`,
      wanted === GVISOR ? RUNSC_FIX : `Register '${wanted}' with the engine, or set the runtime to auto.`,
    );
  }
  return { name: wanted, request: wanted, why: 'the runtime setting' };
}
