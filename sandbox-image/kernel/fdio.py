"""Bytes over file descriptors: the JSON-lines channel, non-blocking pipe reads, whole writes."""

import fcntl
import json
import os
import termios
import threading

READ_CHUNK = 64 * 1024


def dumps(obj):
    """One protocol line. ensure_ascii keeps surrogate-escaped file names (non-UTF-8 bytes) and
    U+2028/U+2029 from breaking the line-based UTF-8 channel."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str) + "\n"


class Channel:
    """Writes protocol messages, one JSON object per line, to a file descriptor (thread-safe)."""

    def __init__(self, fd):
        self.fd = fd
        self.lock = threading.Lock()

    def send(self, obj):
        data = dumps(obj).encode("ascii")
        with self.lock:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self.fd, view)
                except InterruptedError:
                    continue
                except BrokenPipeError:
                    os._exit(0)  # the host went away; nobody is left to talk to
                view = view[n:]


def set_pipe_size(fd, size=1024 * 1024):
    """Bigger pipes mean fewer wake-ups for large outputs (best effort; 1 MiB is the default
    unprivileged maximum)."""
    try:
        fcntl.fcntl(fd, 1031, size)  # F_SETPIPE_SZ
    except OSError:
        pass


def set_nonblocking(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def bytes_available(fd):
    """How many bytes are buffered in a pipe right now (FIONREAD)."""
    buf = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    return int.from_bytes(buf, "little")


def read_nonblocking(fd, limit=READ_CHUNK):
    """One read from a non-blocking fd: bytes, b"" at EOF, or None when nothing is buffered."""
    try:
        return os.read(fd, limit)
    except (BlockingIOError, InterruptedError):
        return None


def drain_fd(fd, on_data, budget=None):
    """Reads a non-blocking fd until EAGAIN (or until `budget` bytes were read, when given), passing
    each chunk to on_data. Returns True at EOF."""
    read = 0
    while budget is None or read < budget:
        data = read_nonblocking(fd)
        if data is None:
            return False
        if not data:
            return True
        read += len(data)
        on_data(data)
    return False


def write_all(fd, data):
    """Write every byte, looping over short writes: under gVisor one write to the exec's pipe takes
    at most 64 KiB, and Python's own buffered flush at exit does not always write the rest."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:65536]):]
