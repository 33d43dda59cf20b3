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

import ctypes  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import reaper  # noqa: E402  (first of ours: every Popen after it is an OwnPopen)
import runner  # noqa: E402
from activity import HEARTBEAT_SECONDS, touch_activity  # noqa: E402
from changes import ChangeTracker  # noqa: E402
from connection import UCRED, Connection, spawn  # noqa: E402
from diag import diag  # noqa: E402
from fdio import dumps  # noqa: E402
from kernels import KernelManager  # noqa: E402
from prepared import SpareShell  # noqa: E402
from limits import DATA_ROOT  # noqa: E402

SOCKET_PATH = "/tmp/.sbx-agent.sock"
SEND_TIMEOUT_SECONDS = 60   # a host that reads nothing for this long is disconnected


class Agent:
    def __init__(self):
        self.kernels = KernelManager(self)
        self.changes = ChangeTracker(log=diag)  # what each call changed in /mnt/data
        self.spare_shell = SpareShell(log=diag)  # a bash started ahead of the next shell command
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
            reaper.reap_adopted()
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
    ctypes.CDLL(None, use_errno=True).prctl(runner.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        os.chdir(DATA_ROOT)
    except OSError as exc:
        diag(f"cannot enter {DATA_ROOT}: {exc}")
    agent = Agent()
    agent.listen()
    agent.changes.start()
    agent.spare_shell.refill()
    spawn(agent.housekeeping)
    agent.serve()


if __name__ == "__main__":
    main()
