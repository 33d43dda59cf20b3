import { v4 as uuid } from 'uuid';
import { InfrastructureError } from '../errors';
import { AgentChannel } from '../kernel/channel';
import { Logger } from '../log';
import { DATA_DIR } from '../policy/paths';
import { DockerClient } from '../sandbox/docker';
import { ImageSource, sameImageRef } from '../sandbox/image';
import { ResolvedRuntime } from '../sandbox/runtime';
import { containerSpec, SandboxConfig, SANDBOX_UID } from '../sandbox/spec';
import { LABELS, SessionNames, sessionLabels } from './naming';
import { WarmPool } from './pool';

export const LOST_VARIABLES = 'Python variables from earlier executions are gone; files in /mnt/data are kept.';

export type SessionState = 'unknown' | 'stopped' | 'starting' | 'running';

export interface ProvisionerDeps {
  docker: DockerClient;
  image: ImageSource;
  config: SandboxConfig;
  log: Logger;
  pool?: WarmPool;
  watchdogSeconds: number;
  runtime: () => Promise<ResolvedRuntime>;
}

/**
 * A thread's container and volume: found, started, created (or claimed from the warm pool) on
 * demand, moved to a new image when the workspace's environment changes. Says, once, when the
 * container it finds is not the one it knew (the Python variables went with it).
 */
export class Provisioner {
  /** The session id (labels, records); known once a container or volume was found or made. */
  id: string | undefined;
  state: SessionState = 'unknown';
  containerId?: string;
  /** The image the container was started from (compared with the image in use on every call). */
  image?: string;
  /** The channel of a claimed pool container (its kernel is warm); the session takes it. */
  adopted?: AgentChannel;
  private ensuring?: Promise<string>;
  private notes: string[] = [];
  private toldImageNote?: string;

  constructor(
    private readonly names: SessionNames,
    private readonly deps: ProvisionerDeps,
  ) {}

  /** What to tell the caller at the next call (variables lost, another image), once. */
  takeNotes(): string[] {
    return this.notes.splice(0);
  }

  private note(text: string): void {
    this.notes = this.notes.filter((n) => !n.endsWith(LOST_VARIABLES));
    this.notes.push(text);
  }

  /** The running container's id, creating and starting the container (and volume) as needed. */
  ensure(): Promise<string> {
    // Concurrent callers (a file listing while code starts) share one attempt.
    this.ensuring ??= this.ensureOnce().finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  /** The container runs the image in use (a rebuilt environment moves the thread on its next call). */
  get current(): boolean {
    return !!this.containerId && this.image === this.deps.image.resolved;
  }

  private async ensureOnce(): Promise<string> {
    const { docker } = this.deps;
    const image = await this.deps.image.ensure();
    this.deps.pool?.fill(); // a pool that waited for the image in use can fill now
    let existing = await docker.inspectContainer(this.names.container);
    if (existing && !sameImageRef(existing.Config?.Image, image)) {
      this.deps.log.info(`session ${this.names.container}: image changed (${existing.Config?.Image} → ${image}), recreating the container on the same volume`);
      if (existing.State?.Running || this.containerId) this.note(`The sandbox environment changed, so this thread moved to the image ${image}; ${LOST_VARIABLES}`);
      await docker.removeContainer(existing.Id);
      existing = undefined;
      this.containerId = undefined;
    }
    const imageNote = this.deps.image.note();
    if (imageNote && imageNote !== this.toldImageNote) this.notes.push((this.toldImageNote = imageNote));
    this.image = image;
    if (existing?.State?.Running) {
      this.id ??= existing.Config?.Labels?.[LABELS.session] ?? (await this.findVolume())?.sessionId;
      if (this.containerId !== existing.Id) {
        // Found a container this object did not start (another process, or before a restart).
        if (this.containerId) this.note(`The session's container was replaced; ${LOST_VARIABLES}`);
        this.containerId = existing.Id;
      }
      this.state = 'running';
      return existing.Id;
    }
    this.state = 'starting';
    if (existing) {
      this.deps.log.info(`session ${this.names.container}: starting the stopped container`);
      await docker.startContainer(existing.Id);
      this.id ??= existing.Config?.Labels?.[LABELS.session] ?? (await this.findVolume())?.sessionId;
      this.note(`The session had been stopped and was started again; ${LOST_VARIABLES}`);
      this.containerId = existing.Id;
      this.state = 'running';
      return existing.Id;
    } else if (this.containerId) {
      this.note(`The session's container had disappeared (removed or crashed) and was recreated; ${LOST_VARIABLES}`);
    }
    const found = await this.findVolume();
    if (!found && !this.containerId) {
      const claimed = await this.claimFromPool(image);
      if (claimed) return claimed;
    }
    return this.create(image, found);
  }

  private async create(image: string, found: Awaited<ReturnType<Provisioner['findVolume']>>): Promise<string> {
    const { docker } = this.deps;
    this.id ??= found?.sessionId ?? uuid();
    const volume = found?.volume ?? this.names.volume;
    const runtime = await this.deps.runtime();
    if (!found) await docker.createVolume(volume, sessionLabels(this.names, this.id, 'data'));
    else if (found.owner !== String(SANDBOX_UID)) await this.migrateOwner(volume, image, runtime);
    const spec = containerSpec({
      name: this.names.container,
      image,
      volume,
      labels: { ...sessionLabels(this.names, this.id, 'session'), [LABELS.runtime]: runtime.name },
      config: this.deps.config,
      runtime,
      watchdogSeconds: this.deps.watchdogSeconds,
    });
    let id: string;
    try {
      id = await docker.createContainer(spec);
    } catch (err) {
      // Another process may have created it a moment ago (Docker reserves the name first).
      let raced = await docker.inspectContainer(this.names.container);
      for (let i = 0; !raced && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        raced = await docker.inspectContainer(this.names.container);
      }
      if (!raced) throw err;
      id = raced.Id;
    }
    await docker.startContainer(id);
    this.containerId = id;
    this.state = 'running';
    return id;
  }

  /** Where this thread's files live: its own data volume, or a claimed pool volume named by its link volume. */
  async findVolume(): Promise<{ volume: string; sessionId?: string; owner?: string } | undefined> {
    const { docker } = this.deps;
    const own = await docker.volumeExists(this.names.volume);
    if (own) return { volume: own.Name, sessionId: own.Labels?.[LABELS.session], owner: own.Labels?.[LABELS.owner] };
    const link = await docker.volumeExists(this.names.link);
    const data = link?.Labels?.[LABELS.dataVolume];
    if (link && data) return { volume: data, sessionId: link.Labels?.[LABELS.session], owner: String(SANDBOX_UID) };
    return undefined;
  }

  /**
   * A volume from before the sandbox user became uid 65532 holds files of uid 1000: hand them to the
   * new user once, in a throwaway container that may only change owners (no network, read-only root).
   */
  private async migrateOwner(volume: string, image: string, runtime: ResolvedRuntime): Promise<void> {
    const uid = String(SANDBOX_UID);
    const script = `owner=$(stat -c %u ${DATA_DIR}); if [ "$owner" != ${uid} ]; then chown -R ${uid}:${uid} ${DATA_DIR} && echo "migrated from $owner"; fi`;
    const r = await this.deps.docker.runOnce(image, ['sh', '-c', script], { [LABELS.role]: 'migrate' }, {
      user: '0:0',
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER'],
      volume: { name: volume, target: DATA_DIR },
      runtime: runtime.request,
    });
    const said = r.stdout.toString('utf8').trim();
    if (r.exitCode !== 0) {
      throw new InfrastructureError(
        `The files of this thread (volume ${volume}) could not be handed to the sandbox user ${uid}: ${r.stderr.toString('utf8').trim().slice(-300)}`,
        `Run: docker run --rm -v ${volume}:/mnt/data --user 0 ${image} chown -R ${uid}:${uid} /mnt/data — or delete the session if its files are not needed.`,
      );
    }
    if (said) this.deps.log.info(`session ${this.names.container}: volume ${volume} ${said} to uid ${uid}`);
  }

  /** Take a warm container for a brand-new thread: rename it, and record its volume in a link volume. */
  private async claimFromPool(image: string): Promise<string | undefined> {
    const entry = this.deps.pool?.take(image);
    if (!entry) return undefined;
    const { docker } = this.deps;
    try {
      await docker.renameContainer(entry.containerId, this.names.container);
    } catch (err) {
      this.deps.log.warn(`warm pool: claim failed (${(err as Error).message}); starting a container instead`);
      void this.deps.pool?.discard(entry);
      return undefined;
    }
    this.id = uuid();
    await docker.createVolume(this.names.link, { ...sessionLabels(this.names, this.id, 'link'), [LABELS.dataVolume]: entry.volume });
    this.containerId = entry.containerId;
    this.adopted = entry.channel;
    this.state = 'running';
    this.deps.log.info(`session ${this.names.container}: claimed warm container ${entry.name}`);
    return entry.containerId;
  }

  /** Stop the container (volume kept). */
  async stop(): Promise<void> {
    const c = await this.deps.docker.inspectContainer(this.names.container);
    if (c) await this.deps.docker.stopContainer(c.Id, 2);
    this.state = 'stopped';
  }

  /** Remove the container and every volume of the thread. */
  async remove(): Promise<void> {
    const found = await this.findVolume();
    await this.deps.docker.removeContainer(this.names.container);
    if (found) await this.deps.docker.removeVolume(found.volume);
    await this.deps.docker.removeVolume(this.names.volume);
    await this.deps.docker.removeVolume(this.names.link);
    this.containerId = undefined;
    this.state = 'stopped';
  }
}
