"""The long-lived Python kernel of a sandbox session: `python3 /opt/sandbox/kernel.py`.

Talks JSON lines over its original stdin/stdout (docs/kernel-protocol.md). User code runs on the
main thread in an IPython InteractiveShell; a reader thread forwards whatever is written to fd 1/2
(which point at pipes) and a command thread handles `interrupt` while code runs.
"""

import os
import sys

# The protocol owns the real stdout from the first moment: keep private duplicates of the original
# fds and let fd 1 point at the diagnostics fd while warming up, so nothing can print into the
# protocol. fd 1/2 are pointed at the capture pipes once warm-up is over.
PROTO_FD = os.dup(1)
DIAG_FD = os.dup(2)
CMD_FD = os.dup(0)
os.dup2(2, 1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)  # user code must not read the command channel (input() gets EOF)
os.close(_devnull)
# Started by the session agent (agent.py), which keeps the sandbox in use while a host is attached:
# no heartbeat of our own then, or an idle container would never stop. Read before capture's
# import takes every SBX_ variable out of the environment.
UNDER_AGENT = os.environ.get("SBX_AGENT") == "1"

# User code is hostile: nothing it can write may run before the filter holds. The interpreter was
# started with boundary.PYTHON_FLAGS (no user site, no PYTHON* variables) and has read nothing
# user-writable yet; from here on no new process, no tracing, no signal but to itself.
import boundary  # noqa: E402

try:
    boundary.load_kernel_filter()
    SECCOMP_LOADED = True
except Exception as _exc:  # reported in `ready` (seccomp: false) and the kernel's diagnostics
    SECCOMP_LOADED = False
    os.write(DIAG_FD, f"kernel: seccomp filter not loaded: {_exc!r}\n".encode())

import ctypes
import io
import json
import queue
import signal
import threading
import traceback

from activity import start_heartbeat
from counters import cgroup_counters
from fdio import Channel, set_nonblocking, set_pipe_size
from limits import DATA_ROOT
from interrupts import Interrupts
from pump import OrderedStream, OutputPump
from startup import prepare_dirs, process_age_ms

# As in a Jupyter kernel: pyplot, and a bare `%matplotlib`, pick the inline backend.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
# plotly's fig.show() would otherwise try to open a web browser (a process): send its MIME bundle.
os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")

BLOCKED_AUDIT_EVENTS = frozenset({
    "subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn",
    "os.spawn",
})

_diag_file = os.fdopen(DIAG_FD, "w", buffering=1, encoding="utf-8", errors="backslashreplace")


def diag(message):
    """Kernel diagnostics go to the original stderr, never into the protocol or user streams."""
    try:
        _diag_file.write(f"kernel: {message}\n")
    except OSError:
        pass


# --- warm-up: the shell (in inline-matplotlib mode) and the imports most sessions need -----------
prepare_dirs(diag)
from shell import make_shell, safe_str  # noqa: E402

SHELL = make_shell()
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401
import matplotlib.pyplot as plt  # noqa: E402

plt.close(plt.figure())  # resolves the backend now rather than in the first plotting cell
WARMED = (numpy, pandas)  # imported for the user's first cell, not used here
# As in Jupyter, modules next to the notebook (in /mnt/data, the working directory) are importable
# (once warm: the warm-up imports are the system's, never a file in /mnt/data); the kernel's own
# directory is not on the path (its modules are already loaded).
KERNEL_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [""] + [p for p in sys.path if p not in ("", KERNEL_DIR)]
_libc = ctypes.CDLL(None)


# --- the kernel proper ----------------------------------------------------------------------------


class Kernel(Interrupts):
    def __init__(self, shell):
        self.shell = shell
        shell.kernel = self
        self.channel = Channel(PROTO_FD)
        self.main_ident = threading.main_thread().ident
        self.commands = queue.Queue()
        self.lock = threading.Lock()        # guards running_id/interruptible against interrupts
        self.running_id = None
        self.interruptible = False          # True while user code may receive KeyboardInterrupt
        self.received_id = None             # the last execution received (it may not run yet)
        self.early_interrupt = None         # an interrupt that came before its code could take it
        self.critical = 0                   # >0 while the main thread writes a protocol message
        self.deferred_interrupt = False
        self.pump = None
        self.std_streams = {}
        self.last_stream = None             # the std stream Python code wrote to last

    # -- setup --------------------------------------------------------------------------------------
    def redirect_std_streams(self):
        """fd 1 and fd 2 become pipes read by the pump; sys.stdout/err are rebuilt on top of them."""
        fds = {}
        for name, target in (("stdout", 1), ("stderr", 2)):
            r, w = os.pipe()
            set_pipe_size(w)
            set_nonblocking(r)
            os.dup2(w, target)
            os.close(w)
            fds[name] = r
            stream = OrderedStream(io.BufferedWriter(io.FileIO(target, "w", closefd=False)),
                                   encoding="utf-8", errors="backslashreplace", line_buffering=True)
            stream.kernel, stream.stream_name = self, name
            self.std_streams[name] = stream
            setattr(sys, name, stream)
        self.pump = OutputPump(self.channel, fds)

    def switch_stream(self, name):
        """Python code switches between stdout and stderr (a progress bar on stderr, then a print):
        the other stream's bytes go first, as they were written (the two pipes are read apart)."""
        last, self.last_stream = self.last_stream, name
        if last is None or last == name or self.running_id is None:
            return
        with self.uninterruptible():
            try:
                self.std_streams[last].flush()
            except Exception:
                pass
            self.pump.sync()

    @staticmethod
    def install_audit_hook():
        """The message layer over the filter: Python's own ways to start a process say what to
        use instead (the filter alone would give a bare EPERM)."""
        def audit(event, args):
            if event in BLOCKED_AUDIT_EVENTS:
                raise PermissionError(
                    f"Starting processes is not allowed in the Python kernel ({event}): "
                    "use the runShellCommand tool to run shell commands instead.")

        sys.addaudithook(audit)

    def start(self):
        self.redirect_std_streams()
        signal.signal(signal.SIGINT, self.on_sigint)
        self.install_audit_hook()
        self.pump.start()
        if not UNDER_AGENT:
            start_heartbeat()
        threading.Thread(target=self.read_commands, name="sbx-commands", daemon=True).start()
        self.channel.send({"type": "ready", "pid": os.getpid(),
                           "python": sys.version.split()[0], "warmMs": process_age_ms(),
                           "seccomp": SECCOMP_LOADED, "cgroup": cgroup_counters()})

    # -- commands -----------------------------------------------------------------------------------


    def read_commands(self):
        with os.fdopen(CMD_FD, "rb") as commands:
            for line in commands:
                try:
                    msg = json.loads(line)
                except ValueError:
                    diag(f"ignoring a line that is not JSON: {line[:200]!r}")
                    continue
                kind = msg.get("type") if isinstance(msg, dict) else None
                if kind == "interrupt":
                    self.interrupt(msg.get("id"))
                elif kind == "execute":
                    with self.lock:
                        self.received_id = str(msg.get("id"))
                    self.commands.put(msg)
                elif kind == "shutdown":
                    self.commands.put(msg)
                    self.interrupt(None)
                    return
                else:
                    diag(f"ignoring unknown message: {line[:200]!r}")
        self.commands.put({"type": "shutdown"})  # stdin closed: the host is gone
        self.interrupt(None)

    # -- executions ---------------------------------------------------------------------------------
    def flush_std_streams(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # user code may have swapped or closed them
                pass
        _libc.fflush(None)  # C stdio buffers (printf from extensions)

    def emit_output(self, output, display_id=None, update=False):
        """Sends an nbformat output of the running execution, after the stream bytes written
        before it, so the host sees them in order. `display_id`: the output belongs to a display
        handle; `update`: it replaces that handle's outputs (update_display)."""
        message = {"type": "output", "output": output}
        if display_id is not None:
            message.update(displayId=str(display_id), update=bool(update))
        self.send_in_order(message)

    def emit_clear(self, wait):
        """clear_output(): the host drops this execution's outputs so far (with wait, when the next
        output arrives)."""
        self.send_in_order({"type": "clear_output", "wait": bool(wait)})

    def send_in_order(self, message):
        exec_id = self.running_id
        if exec_id is None:
            return  # displayed by a leftover thread after its execution ended: dropped
        with self.uninterruptible():
            self.flush_std_streams()
            self.pump.sync()
            self.channel.send({**message, "id": exec_id})

    def run_user_code(self, code):
        """Runs one cell; returns "ok", "error" or "interrupted"."""
        try:
            with self.lock:
                if self.early_interrupt is not None and self.early_interrupt == self.running_id:
                    self.early_interrupt = None
                    return "interrupted"  # interrupted before it began: it never runs
                self.interruptible = True
            result = self.shell.run_cell(code, store_history=True)
            error = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt as exc:
            error = exc
        except Exception as exc:  # IPython itself failed; report it like a user error
            error = exc
            self.emit_output({"output_type": "error", "ename": type(exc).__name__,
                              "evalue": safe_str(exc),
                              "traceback": traceback.format_exception(exc)})
        # An interrupt racing the end of the cell may land here: retry until the flag is down.
        while True:
            try:
                with self.lock:
                    self.interruptible = False
                break
            except KeyboardInterrupt:
                error = error or KeyboardInterrupt()
        if isinstance(error, KeyboardInterrupt):
            return "interrupted"
        return "error" if error is not None else "ok"

    def execute(self, exec_id, code):
        """Runs one execution; `done` gives its status and streams (the agent measures the rest:
        files changed, disk usage, limit hits, duration)."""
        try:
            os.chdir(DATA_ROOT)
        except OSError:
            pass
        self.running_id = exec_id
        self.pump.begin(exec_id)
        status = self.run_user_code(code)
        try:
            self.shell.flush_figures()  # figures left open: shown once, then closed
        except Exception as exc:
            self.emit_output({"output_type": "error", "ename": type(exc).__name__,
                              "evalue": safe_str(exc),
                              "traceback": traceback.format_exception(exc)})
            status = "error" if status == "ok" else status
        self.flush_std_streams()
        streams = self.pump.sync(stop=True).finish()
        self.running_id = None
        try:
            os.chdir(DATA_ROOT)
        except OSError:
            pass
        self.channel.send({"type": "done", "id": exec_id, "status": status, "streams": streams})

    def serve(self):
        while True:
            try:
                msg = self.commands.get()
                if msg.get("type") == "shutdown":
                    break
                exec_id = str(msg.get("id"))
                code = msg.get("code")
                self.execute(exec_id, code if isinstance(code, str) else "")
            except KeyboardInterrupt:
                diag("stray interrupt ignored")
            except Exception:  # a kernel bug: still end the execution so the host does not hang
                diag("execution failed inside the kernel:\n" + traceback.format_exc())
                self.pump.sync(stop=True)
                self.running_id = None
                self.channel.send({"type": "done", "id": exec_id, "status": "error",
                                   "streams": {}})
        self.flush_std_streams()
        os._exit(0)  # don't wait for threads user code left running


if __name__ == "__main__":
    kernel = Kernel(SHELL)
    kernel.start()
    kernel.serve()
