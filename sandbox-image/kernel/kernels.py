"""The agent's kernel and its one FIFO queue of executions across all connections; what the agent
measures around each execution (files changed, usage, limit hits, duration)."""

import collections
import threading
import time

import messages
from counters import cgroup_counters, counters_delta
from diag import diag
from kernel_process import KernelProcess


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
        """/mnt/data (the agent's change tracker) and the limit counters as the execution starts."""
        execution.before = self.agent.changes.begin()
        execution.counters = cgroup_counters()
        execution.started = time.monotonic()

    def measured_done(self, execution, claim):
        """The execution's `done`: the kernel's status and stream counts, the agent's measures."""
        duration_ms = round((time.monotonic() - execution.started) * 1000)
        files, usage = self.agent.changes.end(execution.before)
        return messages.build_done(
            execution.id, claim["status"], duration_ms, files, claim["streams"], usageBytes=usage,
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
