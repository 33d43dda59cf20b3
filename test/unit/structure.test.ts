import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SANDBOX_CONFIG, containerSpec, hostLimits } from '../../src/core/sandbox/spec';
import { hashImageContext } from '../../src/core/sandbox/image';
import { TOOL_SCHEMAS } from '../../src/core/tools/schemas';
import { TOOLS } from '../../src/core/tools';

const root = join(__dirname, '..', '..', '..');

describe('container spec', () => {
  it('is hardened by default', () => {
    const spec = containerSpec({ name: 'n', image: 'i', volume: 'v', labels: { a: 'b' }, config: DEFAULT_SANDBOX_CONFIG, runtime: { name: 'runsc', request: 'runsc' }, watchdogSeconds: 600 });
    const h = spec.HostConfig!;
    assert.equal(h.Runtime, 'runsc');
    assert.equal(spec.User, '65532:65532', 'a uid no host account has');
    assert.equal(containerSpec({ name: 'n', image: 'i', volume: 'v', labels: {}, config: DEFAULT_SANDBOX_CONFIG, runtime: { name: 'runc', request: undefined }, watchdogSeconds: 600 }).HostConfig!.Runtime, undefined, "the engine's default");
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.ReadonlyRootfs, true);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.ok(h.SecurityOpt?.includes('no-new-privileges:true'));
    assert.equal(h.Memory, h.MemorySwap);
    assert.equal(h.Init, true);
    assert.equal(h.Binds, undefined);
    assert.deepEqual(h.Mounts?.map((m) => m.Type), ['volume']);
    assert.deepEqual(spec.Env, ['SBX_GUARD=memory=2147483648,pids=256'], 'gVisor: the guard holds the chosen memory limit inside and watches the process limit');
    assert.deepEqual(h.Ulimits, [{ Name: 'nproc', Soft: 256, Hard: 256 }], 'gVisor: RLIMIT_NPROC holds the chosen process limit inside');
  });

  it('gives the host memory and pids limits headroom under gVisor only, where the chosen ones are held inside', () => {
    const config = { ...DEFAULT_SANDBOX_CONFIG, memoryMb: 384, pidsLimit: 128 };
    const runc = containerSpec({ name: 'n', image: 'i', volume: 'v', labels: {}, config, runtime: { name: 'runc', request: undefined }, watchdogSeconds: 600 });
    assert.equal(runc.HostConfig!.Memory, 384 * 1024 * 1024);
    assert.equal(runc.HostConfig!.PidsLimit, 128);
    assert.deepEqual(runc.Env, []);
    // Under runc RLIMIT_NPROC would count the uid's processes across the host, every session's together.
    assert.equal(runc.HostConfig!.Ulimits, undefined);
    assert.deepEqual(hostLimits(config, 'runsc'), { memory: (384 + 256) * 1024 * 1024, pids: 2 * 128 + 256, nproc: 128, guard: `memory=${384 * 1024 * 1024},pids=128` });
    assert.equal(hostLimits({ ...config, memoryMb: 4096 }, 'runsc').memory, (4096 + 1024) * 1024 * 1024, 'a quarter of a large limit');
  });
});

describe('image tag', () => {
  it('changes exactly when the image folder or build args change', () => {
    const dir = join(root, 'sandbox-image');
    const a = hashImageContext(dir);
    assert.equal(hashImageContext(dir), a);
    assert.notEqual(hashImageContext(dir, { PIP_PACKAGES: 'duckdb' }), a);
    assert.match(a, /^[0-9a-f]{16}$/);
  });
});

describe('tool contract', () => {
  it('has the eight tools with the reference parameters', () => {
    assert.deepEqual(TOOL_SCHEMAS.map((t) => t.name).sort(), Object.keys(TOOLS).sort());
    assert.equal(TOOL_SCHEMAS.length, 8);
    const props = Object.fromEntries(TOOL_SCHEMAS.map((t) => [t.name, Object.keys(t.inputSchema.properties).sort()]));
    assert.deepEqual(props.executePythonCode, ['pythonCode', 'timeoutSeconds']);
    assert.deepEqual(props.runShellCommand, ['command', 'explanation', 'isBackground', 'timeoutSeconds']);
    assert.deepEqual(props.generatePdfReport, ['expectedOutputFilename', 'pythonCode', 'saveAsFilename', 'timeoutSeconds']);
  });
});

describe("the containers' syscall filter", () => {
  it('is deny-by-default, ours on every container, and leaves out io_uring and ptrace', async () => {
    const { SECCOMP_PROFILE, seccompSecurityOpt } = await import('../../src/core/sandbox/seccomp');
    assert.equal(SECCOMP_PROFILE.defaultAction, 'SCMP_ACT_ERRNO');
    const allowed = SECCOMP_PROFILE.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    assert.ok(allowed.length > 300, 'the engine default, resolved');
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'ptrace', 'bpf', 'mount', 'unshare', 'setns', 'keyctl', 'kexec_load', 'init_module', 'perf_event_open']) {
      assert.ok(!allowed.includes(name), name);
    }
    for (const name of ['read', 'write', 'openat', 'mmap', 'futex', 'pidfd_open', 'inotify_init1', 'inotify_add_watch', 'execve', 'wait4']) assert.ok(allowed.includes(name), name);
    const spec = containerSpec({ name: 'n', image: 'i', volume: 'v', labels: {}, config: DEFAULT_SANDBOX_CONFIG, runtime: { name: 'runc', request: undefined }, watchdogSeconds: 600 });
    assert.ok(spec.HostConfig!.SecurityOpt!.includes(seccompSecurityOpt()[0]));
    const podman = containerSpec({ name: 'n', image: 'i', volume: 'v', labels: {}, config: DEFAULT_SANDBOX_CONFIG, runtime: { name: 'runc', request: undefined, podman: true }, watchdogSeconds: 600 });
    assert.deepEqual(podman.HostConfig!.SecurityOpt, ['no-new-privileges:true'], "Podman's API takes a path, not the profile: its own default applies");
  });
});
