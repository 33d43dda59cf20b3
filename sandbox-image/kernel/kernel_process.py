"""One kernel.py process, as the agent starts and reads it."""

import json
import os
import subprocess
import sys
import threading

import boundary
from diag import diag
from fdio import dumps
from limits import DATA_ROOT, HOST_LIMITS, KERNEL_LINE_BYTES

KERNEL_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel.py")
STDERR_TAIL_CHARS = 2000
RECV_CHUNK = 1 << 16


def exit_code_of(returncode):
    """As for shell commands: killed by signal N is 128 + N."""
    return returncode if returncode >= 0 else 128 - returncode


class KernelProcess:
    """One kernel.py process: its pipes, the facts its `ready` gave, and how it ended."""

    def __init__(self, manager):
        self.manager = manager
        self.kernel_id = os.urandom(8).hex()
        self.state = "starting"
        self.ready = {}
        self.exit_code = None
        self.stderr_tail = ""
        self.write_lock = threading.Lock()
        # The host's output cuts as it passed them to us, and the flag that turns the kernel's own
        # heartbeat off (the agent keeps the sandbox in use while a host is attached).
        env = dict(os.environ, **{f"SBX_{k}": v for k, v in HOST_LIMITS.items() if k != "AGENT"})
        env["SBX_AGENT"] = "1"
        # Buffered pipes: readline on a raw pipe reads a byte per system call, and a figure is a
        # line of megabytes. (Commands are written with os.write, past the buffer.)
        self.proc = subprocess.Popen(boundary.python_argv(KERNEL_SCRIPT), cwd=DATA_ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=RECV_CHUNK)
        self.stderr_thread = threading.Thread(target=self.read_stderr, daemon=True)
        self.stderr_thread.start()
        threading.Thread(target=self.read_stdout, daemon=True).start()

    def snapshot(self):
        return {"state": self.state, "kernelId": self.kernel_id,
                "pid": self.ready.get("pid", self.proc.pid), "warmMs": self.ready.get("warmMs"),
                "seccomp": self.ready.get("seccomp"), "cgroup": self.ready.get("cgroup"),
                "exitCode": self.exit_code, "stderrTail": self.stderr_tail}

    def write(self, obj):
        """Sends a command to the kernel; a kernel that died is noticed by read_stdout."""
        data = memoryview(dumps(obj).encode("ascii"))
        with self.write_lock:
            try:
                while data:
                    data = data[os.write(self.proc.stdin.fileno(), data):]
            except (OSError, ValueError):
                pass

    def read_stderr(self):
        """Keeps the last STDERR_TAIL_CHARS of the kernel's own diagnostics and logs them."""
        fd = self.proc.stderr.fileno()
        while True:
            try:
                data = os.read(fd, RECV_CHUNK)
            except OSError:
                break
            if not data:
                break
            text = data.decode("utf-8", "replace")
            self.stderr_tail = (self.stderr_tail + text)[-STDERR_TAIL_CHARS:]
            try:
                sys.stderr.write(text)
                sys.stderr.flush()
            except (OSError, ValueError):
                pass

    def read_stdout(self):
        for line in self.lines():
            try:
                msg = json.loads(line)
            except ValueError:
                diag(f"kernel {self.kernel_id}: ignoring a line that is not JSON: {line[:200]!r}")
                continue
            self.manager.from_kernel(self, msg, line)
        returncode = self.proc.wait()
        self.stderr_thread.join(timeout=1)  # a crash's traceback belongs in stderrTail
        self.manager.exited(self, exit_code_of(returncode))


    def lines(self):
        """The kernel's stdout as lines of at most KERNEL_LINE_BYTES (a longer one is skipped to
        its end, so its bytes are never held at once)."""
        stream = self.proc.stdout
        while True:
            line = stream.readline(KERNEL_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > KERNEL_LINE_BYTES:
                while line and not line.endswith(b"\n"):
                    line = stream.readline(KERNEL_LINE_BYTES)
                diag(f"kernel {self.kernel_id}: dropped a line over {KERNEL_LINE_BYTES} bytes")
                continue
            yield line
