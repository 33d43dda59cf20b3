"""Reaches the session agent: `docker exec -i <container> python3 /opt/sandbox/attach.py`.

Connects to the agent's socket, starting agent.py first (detached, under a lock, so two attachers
start one agent) when nobody listens, then copies bytes both ways, stdin -> agent and agent ->
stdout, until either side closes. No JSON parsing: the host speaks to the agent itself
(docs/kernel-protocol.md, "The session agent"). Runs each time a host attaches, so it imports
little (it runs under `python3 -E -s -S -B`) and starts in a few milliseconds.
"""

import boundary

boundary.make_undumpable()  # first: the kernel (same uid) must not open our stdio through /proc

import fcntl  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

SOCKET_PATH = "/tmp/.sbx-agent.sock"
LOCK_PATH = "/tmp/.sbx-agent.lock"
LOG_PATH = "/tmp/.sbx-agent.log"
AGENT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent.py")
CONNECT_SECONDS = 10
CHUNK = 1 << 16


def connect():
    """A socket connected to the agent, or None when nobody listens."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(SOCKET_PATH)
        return sock
    except OSError:
        sock.close()
        return None


def start_agent():
    """Starts agent.py fully detached (double fork, new session): it outlives this exec, keeps none
    of its pipes (stdin /dev/null, output appended to the log) and gets our environment (with the
    host's SBX_* cuts)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            null = os.open(os.devnull, os.O_RDONLY)
            log = os.open(LOG_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            argv = boundary.python_argv(AGENT_SCRIPT)
            os.execve(argv[0], argv, os.environ)
        finally:
            os._exit(127)
    os.waitpid(pid, 0)


def fail(message):
    sys.stdout.write('{"type":"error","message":%s}\n' % json_string(message))
    sys.stdout.flush()
    sys.exit(1)


def json_string(text):
    import json  # only on the failure path
    return json.dumps(text)


def reach_agent():
    sock = connect()
    if sock is not None:
        return sock
    lock = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Another attacher may be starting the agent right now: wait for its lock (it lets go
        # within CONNECT_SECONDS, whether its agent came up or not).
        give_up = time.monotonic() + 2 * CONNECT_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    fail("The sandbox agent could not be started: its start-up lock stays held.")
                time.sleep(0.02)
        sock = connect()  # started by whoever held the lock
        if sock is not None:
            return sock
        start_agent()
        deadline = time.monotonic() + CONNECT_SECONDS
        delay = 0.005
        while time.monotonic() < deadline:
            time.sleep(delay)
            sock = connect()
            if sock is not None:
                return sock
            delay = min(delay * 2, 0.1)
    finally:
        os.close(lock)  # released once the agent listens, so the attachers behind us connect
    tail = ""
    try:
        with open(LOG_PATH, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 1000))
            tail = f.read().decode("utf-8", "replace").strip()
    except OSError:
        pass
    fail(f"The sandbox agent did not start within {CONNECT_SECONDS} s"
         + (f"; its log ends with: {tail}" if tail else "."))


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def relay(sock):
    """stdin -> socket and socket -> stdout until either side closes."""
    sock_fd = sock.fileno()
    poller = select.poll()
    poller.register(0, select.POLLIN)
    poller.register(sock_fd, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            try:
                if fd == 0:
                    data = os.read(0, CHUNK)
                    if not data:
                        return
                    sock.sendall(data)
                else:
                    data = os.read(sock_fd, CHUNK)
                    if not data:
                        return
                    write_all(1, data)
            except OSError:  # a broken pipe or a reset: that side is gone
                return


def main():
    sock = reach_agent()
    relay(sock)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
