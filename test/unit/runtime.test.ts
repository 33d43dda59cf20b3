// Which runtime `auto` and an explicit setting resolve to, from what the engine's info says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerClient } from '../../src/core/sandbox/docker';
import { resolveRuntime } from '../../src/core/sandbox/runtime';

type Info = Awaited<ReturnType<DockerClient['info']>>;
const engine = (info: Info) => ({ info: async () => info }) as unknown as DockerClient;
const docker = (...runtimes: string[]) => engine({ Runtimes: Object.fromEntries(runtimes.map((r) => [r, {}])), DefaultRuntime: 'runc' });

describe('runtime resolution', () => {
  it('auto takes gVisor where a Docker engine has runsc registered, else the engine default', async () => {
    assert.deepEqual(await resolveRuntime(docker('runc', 'runsc'), 'auto').then((r) => [r.name, r.request]), ['runsc', 'runsc']);
    assert.deepEqual(await resolveRuntime(docker('runc'), undefined).then((r) => [r.name, r.request]), ['runc', undefined]);
  });

  it('auto keeps Podman on its default runtime, although its info lists runsc (it lists every configured runtime)', async () => {
    const podman = engine({ Runtimes: { crun: {}, runc: {}, runsc: {} }, DefaultRuntime: 'crun', BuildahVersion: '1.28.2' });
    const r = await resolveRuntime(podman, 'auto');
    assert.deepEqual([r.name, r.request], ['crun', undefined]);
    assert.match(r.why, /Podman/);
  });

  it('an explicit runtime the engine lacks fails with how to install and register it', async () => {
    await assert.rejects(resolveRuntime(docker('runc'), 'runsc'), (e: Error & { fix?: string }) => /no runtime 'runsc'/.test(e.message) && /apt-get install runsc/.test(String(e.fix ?? e.message)));
    assert.deepEqual(await resolveRuntime(docker('runc', 'runsc'), 'runc').then((r) => [r.name, r.request]), ['runc', 'runc']);
  });
});
