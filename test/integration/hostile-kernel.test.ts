import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, generatePdfReport, runShellCommand, ToolContext } from '../../src/core';
import { TIMINGS } from '../../src/core/policy/limits';
import { core, threadKey, toolContext } from '../helpers/env';

/** Python that finds the sandbox's own processes (agent, relay) by their command lines. */
const FIND_OURS = `
import os
def ours(name):
    found = []
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                if name in open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace'):
                    found.append(int(p))
            except OSError:
                pass
    return found
AGENT, RELAYS = ours('/opt/sandbox/agent.py'), ours('/opt/sandbox/attach.py')
assert AGENT and RELAYS, (AGENT, RELAYS)
`;

/**
 * Shell: the pids of the sandbox's agent or relays. The pattern's first letter is bracketed so that
 * the command line of the shell running it (which contains the pattern) does not match.
 */
const OURS = (name: 'agent' | 'attach') => `grep -l '/opt/sandbox/[${name[0]}]${name.slice(1)}\\.py' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3`;

/** A start-up hook: it leaves a mark naming the interpreter that ran it, and tries to start a process. */
const hook = (name: string) =>
  `import os, sys\nos.makedirs("/mnt/data/hook-ran", exist_ok=True)\nopen(f"/mnt/data/hook-ran/${name}-{os.getpid()}", "w").write(" ".join(sys.argv))\nos.system("sleep 300 &")\n`;

/**
 * The kernel runs user code, so it is hostile: what it can write, signal or say must not reach the
 * sandbox's own processes, start a process outside a call, or end a call dishonestly
 * (docs/kernel-protocol.md, "The boundary"). Run under runc and under gVisor in CI.
 */
describe('hostile kernel', () => {
  let c: Core;
  let ctx: ToolContext;
  const thread = threadKey('hostile');
  before(async () => {
    c = await core();
    ctx = toolContext(c, thread);
  });
  after(async () => c.manager.delete(thread));

  const py = (code: string, timeoutSeconds?: number) => executePythonCode({ pythonCode: code, timeoutSeconds }, ctx);
  const sh = (command: string, timeoutSeconds?: number) => runShellCommand({ command, timeoutSeconds }, ctx);

  it('start-up files user code can write never run in the interpreters the sandbox starts', async () => {
    const w = await py(
      [
        'import os, site',
        'user_site = site.getusersitepackages()',
        'os.makedirs(user_site, exist_ok=True)',
        `open(os.path.join(user_site, "evil.pth"), "w").write("import os; exec(open('/mnt/data/pth_hook.py').read())\\n")`,
        `open("/mnt/data/pth_hook.py", "w").write(${JSON.stringify(hook('pth'))})`,
        `open(os.path.join(user_site, "usercustomize.py"), "w").write(${JSON.stringify(hook('usercustomize'))})`,
        `open("/mnt/data/sitecustomize.py", "w").write(${JSON.stringify(hook('sitecustomize-data'))})`,
        `open("/mnt/data/usercustomize.py", "w").write(${JSON.stringify(hook('usercustomize-data'))})`,
        `open("/mnt/data/numpy.py", "w").write(${JSON.stringify(hook('numpy-shadow'))})`,
        `open("/mnt/data/capture.py", "w").write(${JSON.stringify(hook('capture-shadow'))})`,
        `open(os.path.expanduser("~/.pythonrc.py"), "w").write(${JSON.stringify(hook('pythonrc'))})`,
        'kept = "variable"',
        'print("hooks written", user_site)',
      ].join('\n'),
    );
    assert.equal(w.status, 'ok', w.text);
    // A kernel crash: the agent starts a new interpreter.
    const crash = await py('import os\nos._exit(1)');
    assert.notEqual(crash.status, 'ok');
    assert.match((await py('print("new kernel")')).text, /new kernel/);
    // A PDF call: its check runs in an interpreter of its own.
    const pdf = await generatePdfReport(
      { pythonCode: 'from reportlab.pdfgen import canvas\nc = canvas.Canvas("r.pdf")\nc.drawString(72, 750, "x")\nc.save()', expectedOutputFilename: 'r.pdf', saveAsFilename: 'r.pdf' },
      ctx,
    );
    assert.equal(pdf.status, 'ok', pdf.text);
    // The agent killed (by a shell command, which may): the next call starts a new relay and agent.
    await sh(`kill -KILL $(${OURS('agent')}) 2>/dev/null; echo done`);
    assert.match((await py('print("after a new agent")')).text, /after a new agent/);
    const check = await sh("ls hook-ran 2>/dev/null | wc -l; ps -e -o args --no-headers | grep -c '[s]leep 300'");
    assert.equal(check.status, 'error', 'grep -c exits 1 when it counts nothing');
    assert.match(check.text, /(^|\n)0\n0\s*$/, `no hook ran and no process outlives a call:\n${check.text}`);
  });

  it('the kernel cannot signal, trace or read the agent and the relay, nor use io_uring', async () => {
    const o = await py(
      FIND_OURS +
        `
import ctypes, errno, fcntl, json, signal
libc = ctypes.CDLL(None, use_errno=True)
results = {}
def attempt(name, fn):
    try:
        r = fn()
        results[name] = 'ALLOWED' if r is None or r >= 0 else errno.errorcode.get(ctypes.get_errno(), '?')
    except OSError as e:
        results[name] = errno.errorcode.get(e.errno, str(e.errno))
for pid in AGENT + RELAYS:
    for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL, 0):
        attempt(f'kill {pid} {sig}', lambda: os.kill(pid, sig))
    attempt(f'ptrace attach {pid}', lambda: libc.ptrace(16, pid, 0, 0))
    attempt(f'ptrace seize {pid}', lambda: libc.ptrace(0x4206, pid, 0, 0))
    attempt(f'pidfd_open {pid}', lambda: libc.syscall(434, pid, 0))
    attempt(f'process_vm_readv {pid}', lambda: libc.syscall(310, pid, 0, 0, 0, 0, 0))
    attempt(f'open mem {pid}', lambda: open(f'/proc/{pid}/mem', 'rb').close())
    attempt(f'F_SETOWN {pid}', lambda: fcntl.fcntl(1, fcntl.F_SETOWN, pid))
attempt('kill -1 SIGSTOP', lambda: os.kill(-1, signal.SIGSTOP))
attempt('killpg 0 SIGSTOP', lambda: os.killpg(0, signal.SIGSTOP))
attempt('io_uring_setup', lambda: libc.syscall(425, 8, ctypes.create_string_buffer(120)))
attempt('fork', lambda: libc.fork())
print(json.dumps(results))
`,
    );
    assert.equal(o.status, 'ok', o.text);
    const results = JSON.parse(/^\{.*\}$/m.exec(o.text)![0]) as Record<string, string>;
    const allowed = Object.entries(results).filter(([, r]) => r === 'ALLOWED');
    assert.deepEqual(allowed, [], `refused, every one: ${JSON.stringify(results)}`);
    assert.ok(Object.keys(results).length >= 20, JSON.stringify(results));
    const self = await py('import os, signal\nos.kill(os.getpid(), 0)\nprint("own pid ok")');
    assert.match(self.text, /own pid ok/, 'the kernel may still signal itself');
  });

  it("the container's syscall filter is ours, as the engine reports it: io_uring and ptrace refused to shell commands too", async () => {
    await py('1');
    const info = await c.manager.session(thread).inspect();
    const opt = info.HostConfig?.SecurityOpt?.find((o: string) => o.startsWith('seccomp='));
    assert.ok(opt, `SecurityOpt: ${JSON.stringify(info.HostConfig?.SecurityOpt?.map((o: string) => o.slice(0, 40)))}`);
    const profile = JSON.parse(opt.slice('seccomp='.length)) as { defaultAction: string; syscalls: { names: string[]; action: string }[] };
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO', 'deny by default');
    const allowed = profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'ptrace', 'bpf', 'mount', 'unshare', 'setns', 'keyctl', 'perf_event_open', 'userfaultfd']) {
      assert.ok(!allowed.includes(name), `${name} is not allowed`);
    }
    assert.ok(info.HostConfig?.SecurityOpt?.includes('no-new-privileges:true'));
    const probe = await sh(
      `python3 -c 'import ctypes, errno; l = ctypes.CDLL(None, use_errno=True); r = l.syscall(425, 8, ctypes.create_string_buffer(120)); print("io_uring_setup", r, errno.errorcode.get(ctypes.get_errno()))'`,
    );
    // Refused by our profile under runc (EPERM); gVisor's kernel has no io_uring (ENOSYS).
    assert.match(probe.text, /io_uring_setup -1 (EPERM|ENOSYS)/, probe.text);
  });

  it('forged and malformed lines on every descriptor the kernel can reach change nothing the host shows', async () => {
    const o = await py(
      FIND_OURS +
        `
import gc, json
# What user code can find of the kernel: its protocol channel and the running execution's id.
kernel = next(o for o in gc.get_objects() if type(o).__name__ == 'Kernel')
rid, proto = kernel.running_id, kernel.channel.fd
forged_file = {"path": "../../etc/FORGED-NOT-REAL.txt", "size": 123, "mtime": "2026-01-01T00:00:00Z", "change": "created"}
lines = [b"garbage\\n", b"\\x00\\xff not json\\n", b"[1, 2]\\n", b'{"type":"done"}\\n']
for msg in (
    {"type": "done", "id": rid, "status": "ok", "streams": {}, "files": [forged_file]},
    {"type": "done", "id": rid, "status": "ok", "streams": {"stdout": {"bytes": 1, "savedTo": "../../etc/passwd", "savedBytes": 1, "saveTruncated": False}}},
    {"type": "done", "id": rid, "status": "ok", "streams": {}, "usageBytes": 1},
    {"type": "done", "id": "another-id", "status": "ok", "streams": {}},
    {"type": "hello", "agentPid": 1, "kernel": {"state": "ready"}},
    {"type": "kernel-state", "state": "exited"},
    {"type": "ready", "pid": 1, "python": "3", "warmMs": 1, "seccomp": False, "cgroup": {}},
    {"type": "result", "id": "c1", "ok": True, "value": 1},
    {"type": "lost", "id": rid, "exitCode": 1},
    {"type": "started", "id": rid, "pid": 1},
    {"type": "output", "id": rid, "output": {"output_type": "forged", "text": "FORGED-OUTPUT"}},
    {"type": "shell", "id": "s-forged", "command": "echo FORGED-SHELL > forged-shell.txt", "timeoutSeconds": 5},
):
    lines.append(json.dumps(msg).encode() + b"\\n")
wrote = []
for fd in [proto] + [int(f) for f in os.listdir('/proc/self/fd') if int(f) > 2]:
    for line in lines:
        try:
            os.write(fd, line)
            wrote.append(fd)
        except OSError:
            pass
os.write(proto, b"x" * (70 * 1024 * 1024) + b"\\n")   # over the agent's 64 MiB line cut
for pid in AGENT + RELAYS:
    for fd in os.listdir(f'/proc/{pid}/fd') if os.access(f'/proc/{pid}/fd', os.R_OK) else []:
        try:
            f = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(f, lines[4] + lines[-1])  # a forged done outside /mnt/data, a shell request
        except OSError:
            pass
        finally:
            os.close(f)
open("made-by-cell.txt", "w").write("real")
print("after forgery", len(set(wrote)))
`,
      60,
    );
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /after forgery \d+/);
    assert.doesNotMatch(o.text, /FORGED/);
    assert.deepEqual(
      o.files.map((f) => f.path),
      ['made-by-cell.txt'],
      'the files the agent measured, not what the kernel said',
    );
    const next = await py('import os\nprint(os.path.exists("forged-shell.txt"), "next ok")');
    assert.match(next.text, /False next ok/, 'no forged request was run');
  });

  it('the kernel cannot drive the agent through its socket', async () => {
    const o = await py(`
import json, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("/tmp/.sbx-agent.sock")
    s.settimeout(3)
    s.sendall(json.dumps({"type": "shell", "id": "s1", "command": "echo x > via-socket.txt", "timeoutSeconds": 5}).encode() + b"\\n")
    answer = s.recv(65536)
except OSError as e:
    answer = repr(e).encode()
print("answer:", answer[:200])
`);
    assert.equal(o.status, 'ok', o.text);
    const check = await sh('test -e via-socket.txt && echo RAN || echo refused');
    assert.match(check.text, /refused/);
  });

  it('a shell command that stops the agent and the relay: the call still ends, with its result, and the kernel keeps its variables', async () => {
    await py('before_stop = 41');
    const t0 = Date.now();
    const o = await sh(`kill -STOP $(${OURS('agent')}) $(${OURS('attach')}) && echo stopped them`, 60);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(o.status, 'ok', o.text);
    assert.match(o.text, /stopped them/);
    assert.ok(seconds < 60, `ended within its timeout (${seconds} s)`);
    const next = await py('print(before_stop + 1)');
    assert.match(next.text, /^42/m, next.text);
  });

  it('a shell command that keeps them stopped: the call ends within its timeout and grace, says so, and the thread works after', async () => {
    await sh('echo kept > kept.txt');
    const t0 = Date.now();
    const timeout = 10;
    const o = await sh(`while :; do kill -STOP $(${OURS('agent')}) $(${OURS('attach')}) 2>/dev/null; sleep 0.05; done`, timeout);
    const seconds = (Date.now() - t0) / 1000;
    assert.notEqual(o.status, 'ok', o.text);
    // The agent's own timeout ends it (while it runs between stops), or the host's clock (timeout +
    // slack, then the grace), or the host's check of the agent: each result says which.
    const bound = timeout + (2 * TIMINGS.shellTimeoutSlackMs + 2 * TIMINGS.agentPingTimeoutMs + TIMINGS.agentPingIntervalMs) / 1000;
    assert.ok(seconds < bound, `ended after ${seconds} s (bound ${bound} s)`);
    assert.match(o.text, /timed out after 10 s|session agent stopped answering|process tree was killed|ended without a result/, o.text);
    const next = await sh('cat kept.txt; ps -e -o stat,args --no-headers | grep -c "^T"', 60);
    assert.match(next.text, /(^|\n)kept\n0\s*$/, `files kept, nothing left stopped:\n${next.text}`);
    assert.match((await py('print("python works")', 60)).text, /python works/);
  });
});
