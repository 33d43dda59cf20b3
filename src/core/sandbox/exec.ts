/** Processes in containers: an attached `docker exec`, and a command in a throwaway container. */
import Dockerode from 'dockerode';
import { PassThrough, Readable, Writable } from 'node:stream';
import { LIMITS, THROWAWAY_CONTAINER } from '../policy/limits';
import { SANDBOX_USER } from './spec';
import { seccompSecurityOpt } from './seccomp';

export interface ExecHandle {
  /** Demultiplexed output of the process. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The process's stdin (present when `stdin: true`). */
  readonly stdin?: Writable;
  /** Resolves with the exit code when the process ends (null if Docker did not report one). */
  readonly exited: Promise<number | null>;
  /**
   * Drop the connection to the engine. For a process that was told to end and did not say so: under
   * gVisor an exec's stream can stay open after its container is gone, and would keep the host process alive.
   */
  close(): void;
}

export interface ExecOptions {
  stdin?: boolean;
  user?: string;
  workingDir?: string;
  env?: string[];
}

export interface ExecResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ThrowawayOptions {
  user?: string;
  capAdd?: string[];
  volume?: { name: string; target: string };
  runtime?: string;
  maxBytes?: number;
  /** The engine is Podman (seccomp.ts). */
  podman?: boolean;
}

/** Start `cmd` in a running container with attached, demultiplexed streams (DockerClient.exec). */
export async function startExec(api: Dockerode, id: string, cmd: string[], opts: ExecOptions): Promise<ExecHandle> {
  const exec = await api.getContainer(id).exec({
    Cmd: cmd,
    AttachStdin: !!opts.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: opts.user,
    WorkingDir: opts.workingDir,
    Env: opts.env,
  });
  const stream = (await exec.start({ hijack: true, stdin: !!opts.stdin })) as unknown as NodeJS.ReadWriteStream & {
    destroy(): void;
    setNoDelay?: (noDelay: boolean) => void;
  };
  // Over tcp:// a request line is a few bytes: without TCP_NODELAY, Nagle's algorithm and the
  // engine's delayed ACK hold each one ~40 ms (an SSH channel has no such socket option).
  stream.setNoDelay?.(true);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  api.modem.demuxStream(stream, stdout, stderr);
  const exited = new Promise<number | null>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stdout.end();
      stderr.end();
      // Under gVisor the stream can end a moment before the engine records the exit: ask again briefly.
      const ask = async (): Promise<number | null> => {
        for (let i = 0; ; i++) {
          const info = await exec.inspect();
          if (!info.Running || i >= 20) return info.ExitCode ?? null;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      ask().then(resolve, () => resolve(null));
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  return { stdout, stderr, stdin: opts.stdin ? (stream as unknown as Writable) : undefined, exited, close: () => stream.destroy() };
}

/** Run `cmd` to completion in a throwaway container of `image`, removed afterwards (DockerClient.runOnce). */
export async function runThrowaway(api: Dockerode, image: string, cmd: string[], labels: Record<string, string>, opts: ThrowawayOptions): Promise<ExecResult> {
  const maxBytes = opts.maxBytes ?? LIMITS.maxRunOnceBytes;
  const container = await api.createContainer({
    Image: image,
    Cmd: cmd,
    User: opts.user ?? SANDBOX_USER,
    Labels: labels,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: opts.capAdd,
      SecurityOpt: ['no-new-privileges:true', ...seccompSecurityOpt({ podman: opts.podman })],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${THROWAWAY_CONTAINER.tmpSizeMb}m` },
      PidsLimit: THROWAWAY_CONTAINER.pidsLimit,
      Mounts: opts.volume ? [{ Type: 'volume', Source: opts.volume.name, Target: opts.volume.target, ReadOnly: false }] : undefined,
      ...(opts.runtime ? { Runtime: opts.runtime } : {}),
    },
  });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    api.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
    // A stream that breaks without ending (the engine went away, the connection dropped) fails the
    // call with its error: the output would be cut short, and waiting for its end would never settle.
    stream.on('error', (err: Error) => {
      stdout.destroy(err);
      stderr.destroy(err);
    });
    stream.on('close', () => {
      stdout.end();
      stderr.end();
    });
    await container.start();
    const [out, err, waited] = await Promise.all([collect(stdout, maxBytes), collect(stderr, maxBytes), container.wait() as Promise<{ StatusCode?: number }>]);
    return { exitCode: waited.StatusCode ?? null, stdout: out, stderr: err };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** A stream's bytes, the first maxBytes of them (the rest is read and dropped). */
export async function collect(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    if (size < maxBytes) chunks.push(size + buf.length > maxBytes ? buf.subarray(0, maxBytes - size) : buf);
    size += buf.length;
  }
  return Buffer.concat(chunks);
}
