import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, mimeText, OUTPUT_CUTS, Output, runShellCommand, ToolContext } from '../../src/core';
import { ExecutionCollector, LineDecoder, parseMessage } from '../../src/core/kernel/protocol';
import { sandboxEnv } from '../../src/core/sandbox/helper';
import { core, threadKey, toolContext } from '../helpers/env';

/** The kernel's Jupyter semantics and its sandbox rules, through the executePythonCode tool. */
describe('python kernel', () => {
  let c: Core;
  let ctx: ToolContext;
  before(async () => {
    c = await core();
    ctx = toolContext(c, threadKey('kernel'));
  });
  after(async () => c.manager.delete(ctx.threadKey));

  const py = (pythonCode: string, timeoutSeconds?: number) => executePythonCode({ pythonCode, timeoutSeconds }, ctx);

  it('keeps variables between executions and shows the last expression', async () => {
    assert.equal((await py('x = 21')).status, 'ok');
    const o = await py('x * 2');
    assert.equal(o.status, 'ok');
    const result = o.outputs.find((x) => x.output_type === 'execute_result') as Extract<Output, { output_type: 'execute_result' }>;
    assert.equal(mimeText(result.data['text/plain']), '42');
    assert.match(o.text, /42/);
  });

  it('returns a matplotlib figure as image/png without savefig', async () => {
    const o = await py('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("t")');
    assert.equal(o.status, 'ok', o.text);
    assert.equal(o.images.length, 1);
    const png = Buffer.from(o.images[0].data, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('renders a DataFrame as text/html and display() works', async () => {
    const o = await py('import pandas as pd\ndf = pd.DataFrame({"service": ["api", "web"], "p1": [3, 1]})\ndisplay(df.head(1))\ndf');
    assert.equal(o.status, 'ok', o.text);
    const rich = o.outputs.filter((x) => x.output_type === 'display_data' || x.output_type === 'execute_result') as Array<Extract<Output, { data: unknown }>>;
    assert.equal(rich.length, 2);
    assert.ok(rich.every((r) => /<table/.test(mimeText(r.data['text/html']))));
    assert.match(o.text, /service/);
  });

  it('reports an exception with its traceback', async () => {
    const o = await py('def f():\n    raise ValueError("bad value")\nf()');
    assert.equal(o.status, 'error');
    const err = o.outputs.find((x) => x.output_type === 'error') as Extract<Output, { output_type: 'error' }>;
    assert.equal(err.ename, 'ValueError');
    assert.match(o.text, /ValueError: bad value/);
    assert.doesNotMatch(o.text, /\x1b\[/, 'no ANSI colour codes for the model');
  });

  it('has no network', async () => {
    const o = await py('import socket\ntry:\n    socket.create_connection(("1.1.1.1", 53), timeout=3)\n    print("CONNECTED")\nexcept OSError as e:\n    print("blocked:", e)');
    assert.match(o.text, /blocked:/);
    assert.doesNotMatch(o.text, /CONNECTED/);
    const dns = await py('import socket\ntry:\n    socket.getaddrinfo("example.com", 80)\n    print("RESOLVED")\nexcept OSError as e:\n    print("no dns:", e)');
    assert.match(dns.text, /no dns:/);
  });

  it('cannot write outside /mnt/data and /tmp', async () => {
    const o = await py(`import os
results = {}
for p in ["/etc/x", "/usr/lib/python3/dist-packages/x.py", "/opt/sandbox/x", "/home/sandbox/x", "/x"]:
    try:
        open(p, "w").write("x")
        results[p] = "WROTE"
    except OSError as e:
        results[p] = type(e).__name__
open("/mnt/data/ok.txt", "w").write("ok")
open("/tmp/ok.txt", "w").write("ok")
print(results)
print("uid", os.getuid())`);
    assert.equal(o.status, 'ok', o.text);
    assert.doesNotMatch(o.text, /WROTE/);
    assert.match(o.text, /uid 65532/);
  });

  it('refuses to start processes from Python, while the shell tool works', async () => {
    const o = await py(`import subprocess, os
out = []
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def raw(what, call):
    # Straight to libc, past the audit hook: only the seccomp filter stands in the way.
    r = call()
    if r == 0:
        os._exit(0)  # a child that got through must not run on
    if r > 0:
        raise AssertionError(f"{what} started process {r}")
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
for name, fn in [("subprocess", lambda: subprocess.run(["id"])), ("os.system", lambda: os.system("id")), ("os.popen", lambda: os.popen("id").read()), ("os.fork", os.fork), ("execv", lambda: os.execv("/bin/true", ["true"])), ("posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {})), ("ctypes fork", lambda: raw("fork", libc.fork)), ("ctypes fork syscall", lambda: raw("syscall 57", lambda: libc.syscall(57)))]:
    try:
        fn()
        out.append(name + ": RAN")
    except Exception as e:
        out.append(f"{name}: {type(e).__name__}: {e}")
print("\\n".join(out))`);
    assert.doesNotMatch(o.text, /RAN/);
    assert.match(o.text, /subprocess: PermissionError: .*runShellCommand/);
    const t = await py('import concurrent.futures as cf\nwith cf.ThreadPoolExecutor(4) as ex:\n    print(sum(ex.map(lambda v: v * v, range(10))))');
    assert.match(o.text, /posix_spawn: PermissionError/);
    assert.match(o.text, /ctypes fork: (PermissionError|OSError): \[Errno 1\]/, 'the seccomp filter refuses fork from C');
    assert.match(o.text, /ctypes fork syscall: (PermissionError|OSError): \[Errno 1\]/);
    assert.match(t.text, /285/, 'threads still work');
    const blas = await py('import numpy as np, threadpoolctl\nm = np.random.default_rng(0).random((600, 600))\nprint("blas", round(float((m @ m.T).trace()), 3) > 0, max([p["num_threads"] for p in threadpoolctl.threadpool_info()] or [1]))');
    assert.equal(blas.status, 'ok', blas.text);
    assert.match(blas.text, /blas True \d+/, 'BLAS (threaded) works under the filter');
    const sh = await runShellCommand({ command: 'echo shell-works; id -u' }, ctx);
    assert.equal(sh.status, 'ok', sh.text);
    assert.match(sh.text, /shell-works\n65532/);
  });

  it('interrupts on timeout and the next execution works (variables kept)', async () => {
    await py('kept = "still here"');
    const o = await py('import time\ntime.sleep(60)', 5);
    assert.equal(o.status, 'timeout');
    assert.match(o.text, /timed out after 5 s/);
    // The traceback is the user's code only: the kernel's signal handler is not one of its frames.
    const error = o.execution?.outputs.find((x) => x.output_type === 'error');
    assert.ok(error?.output_type === 'error' && error.ename === 'KeyboardInterrupt', JSON.stringify(o.execution?.outputs).slice(0, 400));
    const traceback = error.traceback.join('\n');
    assert.match(traceback, /time\.sleep\(60\)/);
    assert.doesNotMatch(traceback, /kernel\.py|on_sigint|__tracebackhide__/);
    const next = await py('print(kept)');
    assert.equal(next.status, 'ok');
    assert.match(next.text, /still here/);
  });

  it('cuts long output with a marker and saves the whole of it in the session', async () => {
    const o = await py('for i in range(20000):\n    print(f"line {i:05d}")');
    assert.equal(o.status, 'ok');
    assert.ok(o.text.length < 4_500, `text is ${o.text.length} chars`);
    assert.match(o.text, /line 00000/);
    assert.match(o.text, /line 19999/);
    const m = /the whole output is in (\S+) \(read it/.exec(o.text);
    assert.ok(m, o.text.slice(0, 300));
    const check = await py(`print(sum(1 for _ in open(${JSON.stringify(m[1])})))`);
    assert.match(check.text, /^20000/);
  });

  it('cuts outputs where the host tells it to, and keeps those settings from the code it runs', async () => {
    assert.equal((await py('import os\nprint(sorted(k for k in os.environ if k.startswith("SBX_")))')).text.trim(), '[]');
    const sh = await runShellCommand({ command: 'env | grep ^SBX_ | cut -d= -f1' }, ctx);
    assert.equal(sh.text.trim(), 'SBX_RUN_ID', 'only the run marker reaches a shell command');
    // A second kernel in the same container (beside the agent's), started with other cuts than limits.ts's.
    const info = await c.manager.session(ctx.threadKey).inspect();
    const handle = await c.docker.exec(info.Id, ['python3', '/opt/sandbox/kernel.py'], { stdin: true, env: sandboxEnv({ ...OUTPUT_CUTS, streamHeadBytes: 1000, streamTailBytes: 500, saveStdoutOverBytes: 2000 }) });
    try {
      const collector = new ExecutionCollector();
      await new Promise<void>((resolve, reject) => {
        handle.exited.then(() => reject(new Error('the kernel exited')), reject);
        const decoder = new LineDecoder((line) => {
          const msg = parseMessage(line);
          if (msg.type === 'ready') handle.stdin!.write(JSON.stringify({ type: 'execute', id: 'cuts-1', code: 'print("x" * 2999)' }) + '\n');
          else if (collector.accept(msg)) resolve();
        });
        handle.stdout.on('data', (chunk: Buffer) => decoder.push(chunk));
      });
      const r = collector.result;
      assert.equal(r.done?.status, 'ok');
      assert.equal(r.gaps.stdout, 3000 - 1000 - 500, 'head 1000 and tail 500 bytes forwarded, the rest skipped');
      assert.equal(r.done?.streams?.stdout?.bytes, 3000);
      assert.match(r.done?.streams?.stdout?.savedTo ?? '', /^\.outputs\/cuts-1\.stdout\.txt$/, 'saved past 2000 bytes, not past limits.ts\'s 4000');
    } finally {
      handle.stdin!.end(JSON.stringify({ type: 'shutdown' }) + '\n');
      await handle.exited;
    }
  });

  it('lists the files an execution created', async () => {
    const o = await py('open("made.csv", "w").write("a,b\\n1,2\\n")');
    assert.deepEqual(o.files.map((f) => [f.path, f.type, f.change]), [['made.csv', 'text/csv', 'created']]);
  });

  it('rejects out-of-range input with a clear error and does not run it', async () => {
    const o = await executePythonCode({ pythonCode: 'print(1)', timeoutSeconds: 1000 }, ctx);
    assert.equal(o.status, 'rejected');
    assert.match(o.text, /between 5 and 900/);
    const big = await py('#'.repeat(20_001));
    assert.equal(big.status, 'rejected');
    const bg = await runShellCommand({ command: 'sleep 1', isBackground: true }, ctx);
    assert.equal(bg.status, 'rejected');
    assert.match(bg.text, /background/i);
  });
});
