"""The session agent: `python3 /opt/sandbox/agent.py`, one per container, reached through attach.py.

It owns the Python kernel (kernel.py, its child) and runs helper calls and shell commands, so every
tool rides one attached stream instead of one `docker exec` each, and the kernel outlives the host
process that started it. Hosts connect to the Unix socket /tmp/.sbx-agent.sock and speak JSON lines
(docs/kernel-protocol.md, "The session agent"). Threads: one reader per connection, one per helper
call, shell command and kernel action, two per kernel process (its stdout and stderr), and a
housekeeping thread (activity heartbeat, zombie reaping). Diagnostics go to stderr, which attach.py
points at /tmp/.sbx-agent.log.
"""

import boundary

boundary.make_undumpable()  # first: the kernel (same uid) must not trace us or take our fds

import collections  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

# capture (imported through sbx) takes the host's SBX_* output cuts out of the environment at
# import; it keeps them in HOST_LIMITS, from which the kernel's environment is rebuilt.
import messages  # noqa: E402
import sbx  # noqa: E402
from capture import (DATA_ROOT, HOST_LIMITS, HEARTBEAT_SECONDS, cgroup_counters,  # noqa: E402
                     counters_delta, diff_files, dumps, host_limit, mark_writer, snapshot_files,
                     snapshot_usage, touch_activity, writers_since)

SOCKET_PATH = "/tmp/.sbx-agent.sock"
HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_SCRIPT = os.path.join(HERE, "kernel.py")
SBX_SCRIPT = os.path.join(HERE, "sbx.py")
STDERR_TAIL_CHARS = 2000
KERNEL_LINE_BYTES = host_limit("KERNEL_LINE_BYTES", 64 * 1024 * 1024)  # longer lines are dropped
SEND_TIMEOUT_SECONDS = 60   # a host that reads nothing for this long is disconnected
RECV_CHUNK = 1 << 16
UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
CREDS_SPACE = socket.CMSG_SPACE(UCRED.size)
# Subcommands a `call` does not run in this process: `shell` has its own request, and pdfinfo
# parses untrusted PDFs with a C library (MuPDF), whose crash must not take the agent down.
CALL_IN_CHILD = {"pdfinfo"}
NO_THREAD = ("The sandbox could not take the request: its process limit is reached (every process "
             "and thread it may have is in use). End the processes that hold it (the call that "
             "started them is stopped at its timeout) and try again.")


def diag(message):
    try:
        sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} agent[{os.getpid()}]: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# --- our own children versus adopted orphans -------------------------------------------------------
# The agent is a child subreaper (so orphans of shell commands are re-parented to it and can be
# found and killed). It must then reap those orphans itself, but never a child that a Popen object
# is waiting for (the kernel, a shell's bash, ripgrep): that one would lose its exit status. Every
# Popen in this process is an OwnPopen, registered under SPAWN_LOCK together with its fork, so a
# reaper holding the lock sees exactly which children are ours.
SPAWN_LOCK = threading.Lock()
OWN = set()  # Popen objects not yet known to be reaped


class OwnPopen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        with SPAWN_LOCK:
            super().__init__(*args, **kwargs)
            OWN.add(self)


subprocess.Popen = OwnPopen  # type: ignore[misc]  # also for the ripgrep of `search`, which sbx.py starts


def own_pids():
    """Pids of our own children still owed to their Popen (call with SPAWN_LOCK held)."""
    for popen in [p for p in OWN if p.returncode is not None]:
        OWN.discard(popen)
    return {p.pid for p in OWN}


def adopted_children(table):
    """Children of the agent it did not start itself: orphans re-parented to it."""
    me = os.getpid()
    with SPAWN_LOCK:
        own = own_pids()
    return [pid for pid, (ppid, _) in table.items() if ppid == me and pid not in own]


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def reap_adopted(only=None):
    """Reaps the adopted orphans that have exited (only those in `only`, when given). True when
    none of `only` is left as our child."""
    with SPAWN_LOCK:
        own = own_pids()
        left = False
        for pid, (ppid, _) in sbx.proc_table().items():
            if ppid != os.getpid() or pid in own or (only is not None and pid not in only):
                continue
            if zombie(pid):
                try:
                    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
                    continue
                except ChildProcessError:
                    continue
            left = True
        return not left


def reap_run(killed):
    """After a shell command: collect its killed orphans (bounded by sbx.REAP_SECONDS)."""
    deadline = time.monotonic() + sbx.REAP_SECONDS
    while not reap_adopted(killed) and time.monotonic() < deadline:
        time.sleep(0.01)


def carries_run_marker(pid):
    """Does the process carry some shell command's SBX_RUN_ID? (Then the marker says whose it is.)"""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return any(e.startswith(b"SBX_RUN_ID=") for e in f.read().split(b"\0"))
    except OSError:
        return False


def shell_roots(table):
    """Besides a command's process group, marker carriers and bash's descendants: the orphans
    re-parented to the agent that carry no run marker. With one command at a time these are its
    own (setsid'd, environment cleared); with several, such an orphan cannot be told apart and
    goes with the first command that ends. Those carrying a marker belong to their command."""
    return [pid for pid in adopted_children(table) if not carries_run_marker(pid)]


# --- connections ----------------------------------------------------------------------------------
class Connection:
    """One attached host. Sends are serialised by a write lock; a failed send closes the socket
    and later sends are dropped (a closed connection's shell commands run on silently)."""

    counter = 0

    def __init__(self, agent, sock, peer_pid):
        Connection.counter += 1
        self.number = Connection.counter
        self.agent = agent
        self.sock = sock
        self.peer_pid = peer_pid
        self.wlock = threading.Lock()
        self.open = True
        self.shells = {}  # id -> CancelSignal of its running shell commands

    def __repr__(self):
        return f"connection {self.number} (peer {self.peer_pid})"

    def send(self, obj):
        self.send_raw(dumps(obj).encode("ascii"))

    def send_raw(self, data):
        with self.wlock:
            if not self.open:
                return
            try:
                self.sock.sendall(data)
            except OSError as exc:
                diag(f"{self}: send failed ({exc}), closing it")
                self.shutdown()

    def shutdown(self):
        """Ends the connection; the reader thread sees the end and cleans up."""
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, req_id, value=None, error=None):
        if error is None:
            self.send({"type": "result", "id": req_id, "ok": True, "value": value})
        else:
            self.send({"type": "result", "id": req_id, "ok": False, "error": error})

    def serve(self):
        """The reader thread: hello, then one request per line until the host goes away."""
        try:
            self.send({"type": "hello", "agentPid": os.getpid(),
                       "kernel": self.agent.kernels.snapshot()})
            buffer = bytearray()
            while True:
                try:
                    data, ancillary, _, _ = self.sock.recvmsg(RECV_CHUNK, CREDS_SPACE)
                except OSError:
                    break
                if not data:
                    break
                if self.agent.written_by_kernel(ancillary):
                    diag(f"{self}: the kernel process wrote to it; closing it")
                    break
                scan = len(buffer)  # a long line arriving in pieces is not searched again
                buffer += data
                start = 0
                while (end := buffer.find(b"\n", scan)) >= 0:
                    line = bytes(buffer[start:end])
                    start = scan = end + 1
                    if line.strip():
                        try:
                            self.handle(line)
                        except Exception:  # one bad request must not end the connection
                            diag(f"{self}: request failed:\n{traceback.format_exc()}")
                del buffer[:start]
        except Exception:
            diag(f"{self}: reader failed:\n{traceback.format_exc()}")
        finally:
            self.open = False
            try:
                self.sock.close()
            except OSError:
                pass
            self.agent.closed(self)

    def handle(self, line):
        touch_activity()
        try:
            msg = json.loads(line)
        except ValueError:
            diag(f"{self}: ignoring a line that is not JSON: {line[:200]!r}")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("id"), (str, int)):
            diag(f"{self}: ignoring a message without an id: {line[:200]!r}")
            return
        req_id, kind = msg["id"], msg.get("type")
        if kind == "ping":  # answered on the reader thread: the host's check that we are alive
            self.answer(req_id, value={"agentPid": os.getpid()})
        elif kind == "call":
            self.spawn_or_refuse(req_id, self.run_call, req_id, msg.get("argv"))
        elif kind == "shell":
            self.submit_shell(req_id, msg)
        elif kind == "cancel":
            cancel = self.shells.get(req_id)
            if cancel is not None:
                cancel.set()
            else:  # still waiting in the queue
                self.agent.kernels.interrupt(self, req_id)
        elif kind == "kernel":
            self.spawn_or_refuse(req_id, self.run_kernel_action, req_id, msg.get("action"))
        elif kind == "execute":
            code = msg.get("code")
            self.agent.kernels.submit(self, req_id, code if isinstance(code, str) else "")
        elif kind == "interrupt":
            self.agent.kernels.interrupt(self, req_id)
        else:
            self.answer(req_id, error=f"unknown request type {kind!r}")

    # -- helper calls -------------------------------------------------------------------------------
    def run_call(self, req_id, argv):
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            self.answer(req_id, error="call expects argv, a non-empty list of strings")
            return
        touch_activity()
        mark_writer()
        if argv[0] in CALL_IN_CHILD:
            result, code = call_in_child(argv)
        else:
            try:
                result, code = sbx.answer(argv)
            except SystemExit:  # argparse's --help
                result, code = {"error": "sbx.py: help is not available through the agent"}, 2
        if code == 0:
            self.answer(req_id, value=result)
        else:
            self.answer(req_id, error=str(result.get("error")))

    def spawn_or_refuse(self, req_id, target, *args):
        """Runs a request on its own thread; when no thread can be started (a fork bomb holds every
        process the sandbox may have), the request is refused instead of left unanswered."""
        try:
            spawn(target, *args)
            return True
        except RuntimeError as exc:
            diag(f"{self}: no thread for request {req_id!r}: {exc}")
            self.answer(req_id, error=NO_THREAD)
            return False

    # -- shell commands -----------------------------------------------------------------------------
    def submit_shell(self, req_id, msg):
        """A shell command waits in the same queue as Python executions: code from any host never
        interleaves with another host's."""
        try:
            exec_id, command, timeout = sbx.parse_shell_request(msg)
        except sbx.Refusal as exc:
            self.answer(req_id, error=str(exc))
            return
        if req_id in self.shells:
            self.answer(req_id, error=f"a shell command with id {req_id!r} is running")
            return
        self.agent.kernels.submit(self, req_id, None, shell=(exec_id, command, timeout))

    def launch_shell(self, job):
        """Called by the queue when the command's turn comes; the queue moves on when it ends."""
        exec_id, command, timeout = job.shell
        cancel = sbx.CancelSignal()
        self.shells[job.id] = cancel
        if not self.open:
            cancel.set()  # its host went away while it waited
        if not self.spawn_or_refuse(job.id, self.run_shell, job.id, exec_id, command, timeout, cancel):
            self.shells.pop(job.id, None)
            cancel.close()
            self.agent.kernels.finished(job)

    def run_shell(self, req_id, exec_id, command, timeout, cancel):
        # A shell command may change /mnt/data: the kernel must not reuse its last file snapshot
        # (marked when it starts, as sbx.py's main() does, and again when it ends).
        mark_writer()
        try:
            killed = sbx.run_shell(exec_id, command, timeout, self, cancel, roots=shell_roots)
            mark_writer()
            reap_run(killed)
        except sbx.Refusal as exc:
            self.answer(req_id, error=str(exc))
        except OSError as exc:
            self.answer(req_id, error=exc.strerror or str(exc))
        except Exception as exc:
            diag(f"{self}: shell {req_id!r} failed:\n{traceback.format_exc()}")
            self.answer(req_id, error=f"{type(exc).__name__}: {exc}")
        finally:
            self.shells.pop(req_id, None)
            cancel.close()
            self.agent.kernels.finished_shell(self, req_id)

    # -- the kernel ---------------------------------------------------------------------------------
    def run_kernel_action(self, req_id, action):
        kernels = self.agent.kernels
        try:
            if action == "status":
                self.answer(req_id, value=kernels.snapshot())
            elif action == "start":
                ok, value = kernels.start()
                self.answer(req_id, value=value) if ok else self.answer(req_id, error=value)
            elif action == "restart":
                kernels.kill()
                ok, value = kernels.start()
                self.answer(req_id, value=value) if ok else self.answer(req_id, error=value)
            elif action == "kill":
                self.answer(req_id, value=kernels.kill())
            else:
                self.answer(req_id, error=f"unknown kernel action {action!r}")
        except Exception as exc:
            diag(f"{self}: kernel {action!r} failed:\n{traceback.format_exc()}")
            self.answer(req_id, error=f"{type(exc).__name__}: {exc}")


def call_in_child(argv):
    """Runs a subcommand as `python3 sbx.py ...` (its own process) and reads its one JSON answer."""
    env = dict(os.environ, **{f"SBX_{k}": v for k, v in HOST_LIMITS.items() if k != "AGENT"})
    proc = subprocess.run(boundary.python_argv(SBX_SCRIPT, *argv), cwd=DATA_ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        detail = proc.stderr.decode("utf-8", "replace").strip()[-1000:]
        return {"error": f"The helper failed ({argv[0]}, exit {proc.returncode}): {detail}"}, 2
    return result, 0 if proc.returncode == 0 and "error" not in result else 2


def spawn(target, *args):
    threading.Thread(target=target, args=args, daemon=True).start()


# --- the kernel -----------------------------------------------------------------------------------
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


class Execution:
    """A queued or running call: Python code for the kernel, or a shell command (`shell`:
    (exec_id, command, timeout)) run beside it."""
    __slots__ = ("conn", "id", "code", "kernel", "shell", "before", "counters", "started")

    def __init__(self, conn, exec_id, code, shell=None):
        self.conn, self.id, self.code, self.kernel, self.shell = conn, exec_id, code, None, shell
        self.before, self.counters, self.started = None, None, None


class KernelManager:
    """The kernel and the one FIFO queue of executions across all connections."""

    def __init__(self, agent):
        self.agent = agent
        self.cond = threading.Condition()
        self.kernel = None      # the current KernelProcess (any state), None before the first
        self.queue = collections.deque()
        self.running = None     # the Execution the kernel runs
        self.last_snapshot = None   # /mnt/data after the last execution, and when it was taken
        self.last_snapshot_ns = 0

    def snapshot(self):
        with self.cond:
            return self._snapshot()

    def _snapshot(self):
        if self.kernel is None:
            return {"state": "none", "kernelId": None, "pid": None, "warmMs": None,
                    "seccomp": None, "cgroup": None, "exitCode": None, "stderrTail": ""}
        return self.kernel.snapshot()

    def kernel_pid(self):
        kernel = self.kernel
        return kernel.proc.pid if kernel is not None and kernel.state != "exited" else None

    def _ensure_started(self):
        """The running or starting kernel, or a new one (call with the lock held)."""
        if self.kernel is None or self.kernel.state == "exited":
            self.kernel = KernelProcess(self)
            diag(f"kernel {self.kernel.kernel_id} starting (pid {self.kernel.proc.pid})")
        return self.kernel

    def start(self):
        """(True, KERNEL) once the kernel is ready, or (False, why it could not start)."""
        with self.cond:
            kernel = self._ensure_started()
            while kernel.state == "starting":
                self.cond.wait()
            if kernel.state == "ready":
                return True, kernel.snapshot()
        tail = kernel.stderr_tail.strip()
        return False, (f"The Python kernel exited during start-up (exit code {kernel.exit_code})"
                       + (f": {tail[-1000:]}" if tail else "."))

    def kill(self):
        """SIGKILLs the kernel and waits for its exit; returns its final KERNEL."""
        with self.cond:
            kernel = self.kernel
            if kernel is None:
                return self._snapshot()
            if kernel.state != "exited":
                kernel.proc.kill()
            while kernel.state != "exited":
                self.cond.wait()
            return kernel.snapshot()

    def submit(self, conn, exec_id, code, shell=None):
        with self.cond:
            self.queue.append(Execution(conn, exec_id, code, shell))
        self.dispatch()

    def finished(self, job):
        """A shell command ended (or could not start): the next call may run."""
        with self.cond:
            if self.running is job:
                self.running = None
        self.dispatch()

    def finished_shell(self, conn, req_id):
        with self.cond:
            job = self.running
        if job is not None and job.shell is not None and job.conn is conn and job.id == req_id:
            self.finished(job)

    def dispatch(self):
        """Hands the next queued execution to the kernel when it is ready and idle (starting the
        kernel when it does not run). `started` goes out before the kernel can answer, so it comes
        first on the connection."""
        with self.cond:
            if self.running is not None or not self.queue:
                return
            if self.queue[0].shell is not None:
                job = self.running = self.queue.popleft()
            else:
                job = None
                kernel = self._ensure_started()
                if kernel.state != "ready":
                    return  # dispatched again when it is ready
                execution = self.queue.popleft()
                execution.kernel = kernel
                self.running = execution
        if job is not None:
            job.conn.launch_shell(job)
            return
        self.measure_before(execution)
        execution.conn.send({"type": "started", "id": execution.id,
                             "kernelId": kernel.kernel_id, "pid": kernel.proc.pid})
        kernel.write({"type": "execute", "id": execution.id, "code": execution.code})

    def interrupt(self, conn, exec_id):
        with self.cond:
            for execution in self.queue:
                if execution.conn is conn and execution.id == exec_id:
                    self.queue.remove(execution)
                    break
            else:
                execution = None
            running = self.running
            forward = (running is not None and running.conn is conn and running.id == exec_id)
        if execution is not None:
            conn.send(messages.build_done(exec_id, "interrupted", 0, notStarted=True))
        elif forward and running.shell is None:
            running.kernel.write({"type": "interrupt", "id": exec_id})

    def drop(self, conn):
        """A connection closed: its queued calls go, its running execution is interrupted and its
        running shell command cancelled (nobody waits for them; the queue must move on)."""
        with self.cond:
            self.queue = collections.deque(e for e in self.queue if e.conn is not conn)
            running = self.running if self.running is not None and self.running.conn is conn else None
        if running is not None and running.shell is None:
            running.kernel.write({"type": "interrupt", "id": running.id})
        for cancel in list(conn.shells.values()):
            cancel.set()

    # -- what the agent measures around an execution (never taken from the kernel) ------------------
    def measure_before(self, execution):
        """/mnt/data and the limit counters as the execution starts. The last execution's "after"
        snapshot is this one's "before" unless something else may have written to /mnt/data since
        (a helper or a shell command ran); a scan of many files costs tens of ms."""
        if self.last_snapshot is not None and not writers_since(self.last_snapshot_ns):
            execution.before = self.last_snapshot
        else:
            execution.before = snapshot_files()
        execution.counters = cgroup_counters()
        execution.started = time.monotonic()

    def measured_done(self, execution, claim):
        """The execution's `done`: the kernel's status and stream counts, the agent's measures."""
        duration_ms = round((time.monotonic() - execution.started) * 1000)
        self.last_snapshot_ns = time.time_ns()
        after = snapshot_files()
        self.last_snapshot = after
        return messages.build_done(
            execution.id, claim["status"], duration_ms, diff_files(execution.before, after),
            claim["streams"], usageBytes=snapshot_usage(after),
            limitHits=counters_delta(execution.counters, cgroup_counters()))

    def from_kernel(self, kernel, msg, line):
        """A line from the kernel (user code can write them): `ready` while it starts, then only
        what an execution may produce, each checked (messages.py); anything else is dropped."""
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "ready":
            try:
                messages.check_ready(msg)
            except messages.Invalid as exc:
                diag(f"kernel {kernel.kernel_id}: dropped a malformed ready ({exc})")
                return
            with self.cond:
                if kernel.state != "starting":
                    return  # said again later: by user code, not the kernel's start-up
                kernel.state = "ready"
                kernel.ready = msg
                self.cond.notify_all()
                state = kernel.snapshot()
            diag(f"kernel {kernel.kernel_id} ready (pid {msg['pid']}, {msg['warmMs']} ms)")
            self.agent.broadcast({"type": "kernel-state", **state})
            self.dispatch()
            return
        with self.cond:
            running = self.running
            if running is None or running.kernel is not kernel:
                return  # no execution runs: nothing the kernel says can be about one
        try:
            messages.check_from_kernel(msg, running.id)
        except messages.Invalid as exc:
            diag(f"kernel {kernel.kernel_id}: dropped {kind!r} ({exc}): {line[:200]!r}")
            return
        if kind != "done":
            running.conn.send_raw(line if line.endswith(b"\n") else line + b"\n")
            return
        done = self.measured_done(running, msg)  # while it still runs: nothing else starts
        with self.cond:
            if self.running is not running:
                return  # ended meanwhile (the kernel exited: `lost` was sent)
            self.running = None
        running.conn.send(done)
        self.dispatch()

    def exited(self, kernel, exit_code):
        with self.cond:
            was_starting = kernel.state == "starting"
            kernel.state = "exited"
            kernel.exit_code = exit_code
            lost = []
            if self.running is not None and self.running.kernel is kernel:
                lost.append(self.running)
                self.running = None
            if was_starting and self.kernel is kernel:
                # It never became ready: the executions waiting for it cannot run (no retry loop);
                # shell commands among them still can.
                lost.extend(e for e in self.queue if e.shell is None)
                self.queue = collections.deque(e for e in self.queue if e.shell is not None)
            self.cond.notify_all()
            state = kernel.snapshot()
        diag(f"kernel {kernel.kernel_id} exited (code {exit_code})")
        for execution in lost:
            execution.conn.send({"type": "lost", "id": execution.id, "exitCode": exit_code})
        self.agent.broadcast({"type": "kernel-state", **state})
        self.dispatch()  # executions still queued start a new kernel


# --- the agent ------------------------------------------------------------------------------------
class Agent:
    def __init__(self):
        self.kernels = KernelManager(self)
        self.lock = threading.Lock()
        self.connections = set()
        self.listener = None
        self.socket_ino = None

    def broadcast(self, obj):
        data = dumps(obj).encode("ascii")
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            conn.send_raw(data)

    def is_kernel(self, pid):
        """Is `pid` the kernel process or one of its threads (gVisor names the writing thread)?"""
        kernel_pid = self.kernels.kernel_pid()
        return kernel_pid is not None and (
            pid == kernel_pid or os.path.exists(f"/proc/{kernel_pid}/task/{pid}"))

    def written_by_kernel(self, ancillary):
        """The credentials the system attached to received bytes (SO_PASSCRED): the writer of
        each message, whoever holds the socket."""
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS \
                    and len(data) >= UCRED.size and self.is_kernel(UCRED.unpack_from(data)[0]):
                return True
        return False

    def closed(self, conn):
        with self.lock:
            self.connections.discard(conn)
        self.kernels.drop(conn)
        diag(f"{conn} closed")

    def listen(self):
        """Binds the socket under a temporary name and renames it into place, so a connecting
        attach.py never meets a half-made socket (nor a stale one of a dead agent)."""
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(SOCKET_PATH)
        except OSError:
            pass
        else:
            diag("another agent already listens; exiting")
            sys.exit(0)
        finally:
            probe.close()
        temp = f"{SOCKET_PATH}.{os.getpid()}"
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Every received message then carries its writer's credentials (accepted sockets inherit
        # the option): the kernel is recognised even where SO_PEERCRED is wrong (gVisor names the
        # listener) or when it writes on a socket somebody else connected.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        listener.bind(temp)
        os.chmod(temp, 0o600)
        listener.listen(64)
        os.rename(temp, SOCKET_PATH)
        self.socket_ino = os.stat(SOCKET_PATH).st_ino
        self.listener = listener

    def serve(self):
        diag(f"listening on {SOCKET_PATH}")
        while True:
            try:
                sock, _ = self.listener.accept()
            except InterruptedError:
                continue
            try:
                pid = UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                   UCRED.size))[0]
            except OSError:
                pid = None
            if pid is not None and self.is_kernel(pid):
                diag(f"refused a connection from the kernel (pid {pid})")
                sock.close()
                continue
            try:  # a host that stops reading must not stall the kernel for everyone
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                                struct.pack("ll", SEND_TIMEOUT_SECONDS, 0))
            except OSError:
                pass
            conn = Connection(self, sock, pid)
            with self.lock:
                self.connections.add(conn)
            diag(f"{conn} opened")
            spawn(conn.serve)

    def housekeeping(self):
        """While a host is attached the sandbox counts as in use; stray zombies are collected; an
        agent whose socket was replaced (another agent took over) leaves."""
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with self.lock:
                attached = bool(self.connections)
            if attached:
                touch_activity()
            reap_adopted()
            try:
                replaced = os.stat(SOCKET_PATH).st_ino != self.socket_ino
            except OSError:
                replaced = True
            if replaced:
                diag("the socket was removed or replaced; exiting")
                kernel = self.kernels.kernel
                if kernel is not None and kernel.state != "exited":
                    kernel.proc.kill()
                os._exit(0)


def main():
    ctypes.CDLL(None, use_errno=True).prctl(sbx.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        os.chdir(DATA_ROOT)
    except OSError as exc:
        diag(f"cannot enter {DATA_ROOT}: {exc}")
    agent = Agent()
    agent.listen()
    spawn(agent.housekeeping)
    agent.serve()


if __name__ == "__main__":
    main()
