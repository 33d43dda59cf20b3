"""Shell commands: `bash -c COMMAND` in /mnt/data in a new session, streamed, timed, and ended with
every process it started (its group, its descendants, any process carrying its run marker)."""

import os
import select
import signal
import subprocess
import threading
import time

from capture import Capture, safe_filename_part
from counters import cgroup_counters, counters_delta
from walk import diff_files, snapshot_files, snapshot_usage
from fdio import drain_fd, read_nonblocking, set_nonblocking, set_pipe_size
from limits import DATA_ROOT
from messages import build_done
from paths import Refusal

PR_SET_CHILD_SUBREAPER = 36
KILL_ROUNDS = 50
REAP_SECONDS = 2.0
DRAIN_SECONDS = 2.0


def proc_table():
    """{pid: (ppid, pgid)} of the processes visible in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(name)] = (int(fields[1]), int(fields[2]))
    return table


def carries_marker(pid, marker):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in f.read().split(b"\0")
    except OSError:
        return False


def run_processes(pgid, marker, roots=None):
    """Every process of a run: its process group, anything carrying the run marker, and the
    descendants of those and of `roots(table)` (by default this process, when it is the run's child
    subreaper: orphans and setsid'd daemons of the run are re-parented to it)."""
    me = os.getpid()
    table = proc_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = {pid for pid, (_, group) in table.items() if group == pgid}
    found |= set(roots(table)) if roots else {me}
    found |= {pid for pid in table if pid not in found and carries_marker(pid, marker)}
    stack = list(found)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    found.discard(me)
    return found


def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_run(pgid, marker, roots=None):
    """Freezes every process of the run (repeatedly, until no new one appears, so nothing can fork
    away between the scan and the kill), then SIGKILLs them all. Returns the pids it killed."""
    try:
        os.killpg(pgid, signal.SIGSTOP)
    except (ProcessLookupError, PermissionError):
        pass
    frozen = set()
    for _ in range(KILL_ROUNDS):
        fresh = run_processes(pgid, marker, roots) - frozen
        if not fresh:
            break
        for pid in fresh:
            signal_pid(pid, signal.SIGSTOP)
        frozen |= fresh
    for pid in frozen:
        signal_pid(pid, signal.SIGKILL)
    return frozen


class CancelSignal:
    """Cancels a running shell command from another thread: a flag, plus a pipe that wakes the
    command's poll loop at once."""

    def __init__(self):
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.read_fd, self.write_fd = os.pipe()
        set_nonblocking(self.read_fd)
        self.closed = False

    def set(self):
        with self.lock:
            if not self.event.is_set() and not self.closed:
                os.write(self.write_fd, b"x")
            self.event.set()

    def is_set(self):
        return self.event.is_set()

    def close(self):
        with self.lock:
            if not self.closed:
                self.closed = True
                os.close(self.read_fd)
                os.close(self.write_fd)


def parse_shell_request(request):
    """(id, command, timeout) of a shell request, or a Refusal saying what it should look like."""
    try:
        exec_id = str(request["id"])
        command = request["command"]
        timeout = request.get("timeoutSeconds")
        if not isinstance(command, str) or not (timeout is None or timeout >= 0):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refusal('a shell request looks like {"type":"shell","id":"s1","command":"ls",'
                      '"timeoutSeconds":60}') from None
    return exec_id, command, timeout


def run_shell(exec_id, command, timeout, channel, cancel, roots=None, changes=None, spare=None):
    """Runs `bash -c command` in /mnt/data in a new session, streaming started/output/stream_gap/
    done to `channel` (anything with send(obj)), until it ends, times out or `cancel` is set; then
    kills every process of the run. The session agent (agent.py) runs shell commands with it.

    `roots(table)` names the processes whose descendants belong to the run besides bash's own (see
    run_processes). `changes` (the agent's ChangeTracker) tells what the command changed; without
    it /mnt/data is walked before and after. `spare` (prepared.SpareShell): a bash started ahead
    runs it when one is ready. Returns the set of pids killed at the end (the caller reaps them)."""
    prepared = spare.take(command) if spare is not None else None
    marker_value = (prepared.marker_value if prepared is not None
                    else f"{safe_filename_part(exec_id)}-{os.urandom(8).hex()}")
    marker = f"SBX_RUN_ID={marker_value}".encode()
    env = dict(os.environ, SBX_RUN_ID=marker_value)
    os.makedirs(env.get("HOME", "/tmp/home"), exist_ok=True)

    mark = changes.begin() if changes is not None else snapshot_files()
    counters = cgroup_counters()
    fds, write_ends = {}, []
    pidfd = None
    try:
        if prepared is not None:
            fds, proc = prepared.fds, prepared.proc
            started = time.monotonic()
            prepared.run(command)
        else:
            for name in ("stdout", "stderr"):
                r, w = os.pipe()
                fds[r] = name
                write_ends.append(w)
                set_pipe_size(w)
                set_nonblocking(r)
            started = time.monotonic()
            proc = subprocess.Popen(["bash", "-c", command], cwd=DATA_ROOT, env=env,
                                    stdin=subprocess.DEVNULL, stdout=write_ends[0],
                                    stderr=write_ends[1], start_new_session=True)
            for w in write_ends:
                os.close(w)
            write_ends = []
        status = None
        try:
            channel.send({"type": "started", "id": exec_id, "pid": proc.pid, "pgid": proc.pid})
            capture = Capture(channel, exec_id)
            poller = select.poll()
            for fd in (*fds, cancel.read_fd):
                poller.register(fd, select.POLLIN)
            try:
                pidfd = os.pidfd_open(proc.pid)
                poller.register(pidfd, select.POLLIN)  # readable when bash exits
                tick = None
            except OSError:  # no pidfd (old kernel or seccomp profile): check for the exit every 50 ms
                tick = 0.05
            deadline = started + timeout if timeout else None
            while proc.poll() is None:
                if cancel.is_set():
                    status = "interrupted"
                    break
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    status = "timeout"
                    break
                waits = [d for d in (capture.flush_deadline(), deadline, tick and now + tick)
                         if d is not None]
                wait_ms = max(0, (min(waits) - now) * 1000) if waits else None
                for fd, _ in poller.poll(wait_ms):
                    if fd in fds:
                        data = read_nonblocking(fd)
                        if data:
                            capture.feed(fds[fd], data)
                        elif data == b"":
                            poller.unregister(fd)
                capture.maybe_flush()
        finally:
            killed = kill_run(proc.pid, marker, roots)  # also when sending failed half-way
            returncode = proc.wait()
        # Everything that could write is dead now: read the pipes to their end (bounded, in case a
        # process escaped, e.g. one that changed its uid is beyond our reach anyway).
        drain_until = time.monotonic() + DRAIN_SECONDS
        for fd, name in fds.items():
            set_nonblocking(fd)
            while not drain_fd(fd, lambda data, name=name: capture.feed(name, data)):
                if time.monotonic() > drain_until:
                    break
                select.select([fd], [], [], max(0.0, drain_until - time.monotonic()))
        streams = capture.finish()
        exit_code = returncode if returncode >= 0 else 128 - returncode
        if status is None:
            status = "ok" if exit_code == 0 else "error"
        if changes is not None:
            files, usage = changes.end(mark)
        else:
            after = snapshot_files()
            files, usage = diff_files(mark, after), snapshot_usage(after)
        channel.send(build_done(exec_id, status, round((time.monotonic() - started) * 1000),
                                files, streams, exitCode=exit_code, usageBytes=usage,
                                limitHits=counters_delta(counters, cgroup_counters())))
        return killed
    finally:
        for fd in (*fds, *write_ends, *([pidfd] if pidfd is not None else [])):
            try:
                os.close(fd)
            except OSError:
                pass
