"""Shared by kernel.py and sbx.py: the JSON-lines channel, fd-level stream capture with the
forwarding caps and `.outputs/` saving, and the before/after file listing of /mnt/data.

See docs/kernel-protocol.md for the message formats this module produces.
"""

import codecs
import datetime
import fcntl
import json
import os
import re
import termios
import threading
import time

from guard import guard_hits

DATA_ROOT = "/mnt/data"
OUTPUTS_DIR = ".outputs"


# The output cuts the host hands over on the `docker exec` as SBX_<NAME> variables (the numbers are
# written in src/core/policy/limits.ts, OUTPUT_CUTS), all taken out of the environment at import so
# that code run in the sandbox inherits none of them (SBX_RUN_ID is sbx.py's run marker).
HOST_LIMITS = {name[4:]: os.environ.pop(name) for name in list(os.environ)
               if name.startswith("SBX_") and name != "SBX_RUN_ID"}


def host_limit(name, default):
    """The cut the host passed as SBX_<name>, or `default` (the same number) when it is absent or
    not a positive integer, e.g. when the kernel is started by hand."""
    raw = HOST_LIMITS.get(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


HEAD_CAP = host_limit("STREAM_HEAD_BYTES", 128 * 1024)   # bytes of a stream forwarded live
TAIL_CAP = host_limit("STREAM_TAIL_BYTES", 64 * 1024)    # forwarded at the end when the head was passed
SAVE_THRESHOLD = {"stdout": host_limit("SAVE_STDOUT_OVER_BYTES", 4000),  # longer streams are saved
                  "stderr": host_limit("SAVE_STDERR_OVER_BYTES", 2000)}
SAVE_CAP = host_limit("SAVED_STREAM_BYTES", 50 * 1024 * 1024)  # bytes kept in its .outputs file
COALESCE_SECONDS = 0.05        # stream chunks are batched for this long
COALESCE_BYTES = 64 * 1024     # ... or until this much text is pending
READ_CHUNK = 64 * 1024
FILES_CAP = host_limit("FILES_SNAPSHOT_ENTRIES", 20000)  # entries visited by a files snapshot


ACTIVITY_FILE = "/tmp/.sandbox-activity"  # its mtime is what watchdog.py reads
HEARTBEAT_SECONDS = 5  # well under the smallest watchdog limit (10 s)
# Touched by every helper call (sbx.py), which precedes anything that may change /mnt/data outside
# the kernel (shell commands, deletes, copies, uploads): the kernel reuses its last file snapshot
# as the next "before" only while this file is older than that snapshot.
WRITERS_FILE = "/tmp/.sandbox-writers"


def touch(path):
    """Create the file or set its mtime to now; a marker must never fail its caller."""
    try:
        with open(path, "a"):
            pass
        os.utime(path)
    except OSError:
        pass


def mark_writer():
    touch(WRITERS_FILE)


def writers_since(time_ns):
    """Has a helper run since time_ns (so /mnt/data may have changed outside the kernel)?"""
    try:
        return os.stat(WRITERS_FILE).st_mtime_ns >= time_ns
    except FileNotFoundError:
        return False
    except OSError:
        return True


def touch_activity():
    """Tell the in-container watchdog that someone is using the sandbox."""
    touch(ACTIVITY_FILE)


def start_heartbeat():
    """While this process lives (a kernel whose host is connected), the sandbox counts as in use.
    The kernel exits when its host goes away, and the heartbeat with it."""
    def beat():
        while True:
            touch_activity()
            time.sleep(HEARTBEAT_SECONDS)
    threading.Thread(target=beat, name="sbx-heartbeat", daemon=True).start()


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


def safe_filename_part(text):
    """Execution ids come from the host; keep them from naming a path outside .outputs/."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(text))[:100] or "_"


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


class StreamCapture:
    """Everything one execution wrote to one stream (stdout or stderr).

    The first HEAD_CAP bytes are forwarded live; after that only the last TAIL_CAP bytes are kept
    and forwarded by finish(), preceded by a stream_gap message when bytes were skipped. Once the
    stream passes its save threshold the whole stream (up to SAVE_CAP) is written to
    /mnt/data/.outputs/<id>.<name>.txt. Memory use is bounded whatever the amount written."""

    def __init__(self, exec_id, name):
        self.exec_id = exec_id
        self.name = name
        self.total = 0
        self.head_left = HEAD_CAP
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.tail = bytearray()
        self.after_head = 0
        self.prebuffer = bytearray()   # the stream until it passes the save threshold
        self.save_file = None
        self.save_path = None
        self.saved = 0
        self.save_failed = False

    def feed(self, data):
        """Accounts for `data` and returns the text to forward now (possibly "")."""
        self.total += len(data)
        self._save(data)
        text = ""
        if self.head_left > 0:
            cut = min(len(data), self.head_left)
            if cut < len(data):
                # Stop the head on a character boundary so the decoder holds no partial character.
                back = 0
                while back < 3 and cut - back > 0 and (data[cut - back] & 0xC0) == 0x80:
                    back += 1
                if (data[cut - back] & 0xC0) == 0x80:
                    back = 0
                cut -= back
                self.head_left = 0
            else:
                self.head_left -= cut
            text = self.decoder.decode(data[:cut])
            data = data[cut:]
        if data:
            self.after_head += len(data)
            self.tail += data
            if len(self.tail) > 2 * TAIL_CAP:
                del self.tail[:-TAIL_CAP]
        return text

    def _save(self, data):
        if self.save_failed:
            return
        if self.save_file is None:
            if self.total <= SAVE_THRESHOLD[self.name]:
                self.prebuffer += data
                return
            rel = f"{OUTPUTS_DIR}/{safe_filename_part(self.exec_id)}.{self.name}.txt"
            try:
                os.makedirs(os.path.join(DATA_ROOT, OUTPUTS_DIR), exist_ok=True)
                self.save_file = open(os.path.join(DATA_ROOT, rel), "wb")
            except OSError:
                self.save_failed = True
                return
            self.save_path = rel
            data = bytes(self.prebuffer) + data
            self.prebuffer = bytearray()
        room = SAVE_CAP - self.saved
        if room > 0:
            chunk = data[:room]
            try:
                self.save_file.write(chunk)
            except OSError:  # e.g. the volume is full: keep what was written
                self.save_failed = True
                return
            self.saved += len(chunk)

    def finish(self, emit):
        """Forwards the tail (after a stream_gap if bytes were skipped), closes the save file and
        returns the `streams` entry for `done`."""
        tail = bytes(self.tail[-TAIL_CAP:])
        if self.after_head > len(tail):
            # The tail may start inside a multi-byte character: skip its continuation bytes.
            skip = 0
            while skip < 3 and skip < len(tail) and (tail[skip] & 0xC0) == 0x80:
                skip += 1
            text = self.decoder.decode(b"", final=True)
            if text:
                emit(self.name, text)
            emit(None, {"type": "stream_gap", "id": self.exec_id, "name": self.name,
                        "omittedBytes": self.after_head - len(tail) + skip})
            text = tail[skip:].decode("utf-8", "replace")
        else:
            text = self.decoder.decode(tail, final=True)
        if text:
            emit(self.name, text)
        if self.save_file is not None:
            try:
                if self.total > self.saved:
                    self.save_file.write(
                        f"\n[output cut here: the first {self.saved} of {self.total} bytes were "
                        f"saved]\n".encode())
                self.save_file.close()
            except OSError:
                pass
        return {"bytes": self.total, "savedTo": self.save_path, "savedBytes": self.saved,
                "saveTruncated": self.total > self.saved and self.save_path is not None}


class Capture:
    """stdout + stderr capture of one execution, forwarding coalesced `stream` outputs in order.

    Not thread-safe by itself: the owner calls feed()/flush()/finish() from one thread at a time."""

    def __init__(self, channel, exec_id):
        self.channel = channel
        self.exec_id = exec_id
        self.streams = {"stdout": StreamCapture(exec_id, "stdout"),
                        "stderr": StreamCapture(exec_id, "stderr")}
        self.pending = []          # [name, text] segments not yet sent, in write order
        self.pending_size = 0
        self.pending_since = None

    def feed(self, name, data):
        text = self.streams[name].feed(data)
        if not text:
            return
        if self.pending and self.pending[-1][0] == name:
            self.pending[-1][1] += text
        else:
            self.pending.append([name, text])
        self.pending_size += len(text)
        if self.pending_since is None:
            self.pending_since = time.monotonic()

    def flush_deadline(self):
        """Monotonic time by which pending text should be sent, or None."""
        if self.pending_since is None:
            return None
        if self.pending_size >= COALESCE_BYTES:
            return self.pending_since
        return self.pending_since + COALESCE_SECONDS

    def maybe_flush(self):
        deadline = self.flush_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            self.flush()

    def flush(self):
        for name, text in self.pending:
            self._send_stream(name, text)
        self.pending = []
        self.pending_size = 0
        self.pending_since = None

    def _send_stream(self, name, text):
        self.channel.send({"type": "output", "id": self.exec_id,
                           "output": {"output_type": "stream", "name": name, "text": text}})

    def finish(self):
        """Sends what is pending plus each stream's tail; returns the `streams` field of `done`."""
        self.flush()

        def emit(name, payload):
            if name is None:
                self.channel.send(payload)
            else:
                self._send_stream(name, payload)

        return {name: stream.finish(emit) for name, stream in self.streams.items()}


def iso_time(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


CGROUP_COUNTERS = (
    # (cgroup v1 file, cgroup v2 file, key in the file, name we report)
    ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events", "oom_kill", "oomKills"),
    ("/sys/fs/cgroup/pids/pids.events", "/sys/fs/cgroup/pids.events", "max", "pidsMaxHits"),
)


def cgroup_counters():
    """How often the container hit its memory limit (OOM kills) and its pids limit, so far: the
    kernel's counters, plus the guard's OOM kills where it holds the memory limit (gVisor, guard.py)."""
    counters = {}
    for v1, v2, key, name in CGROUP_COUNTERS:
        for path in (v1, v2):
            try:
                with open(path) as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) == 2 and parts[0] == key:
                            counters[name] = int(parts[1])
                break
            except (OSError, ValueError):
                continue
    for name, count in guard_hits().items():
        counters[name] = counters.get(name, 0) + count
    return counters


def counters_delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}


def snapshot_usage(snapshot, cap=FILES_CAP):
    """Bytes of the files a snapshot saw, or None when the walk was cut short (then unknown)."""
    if len(snapshot) >= cap:
        return None
    return sum(size for size, _, _ in snapshot.values())


def snapshot_files(root=DATA_ROOT, cap=FILES_CAP):
    """{relative path: (size, mtime_ns, mtime)} of regular files under root, skipping the top-level
    .outputs/ and not following symlinks. Folders are walked in sorted order, so that a walk cut
    at `cap` entries stops at the same place before and after an execution."""
    found = {}
    visited = 0
    stack = [("", root)]
    while stack and visited < cap:
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries[:cap - visited]:
            visited += 1
            rel = rel_dir + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if rel != OUTPUTS_DIR:
                        subdirs.append((rel + "/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found[rel] = (st.st_size, st.st_mtime_ns, st.st_mtime)
            except OSError:
                continue
        stack.extend(reversed(subdirs))  # popped in sorted order
    return found


def diff_files(before, after):
    """The `files` field of `done`: files created or modified between two snapshots."""
    changes = []
    for rel, (size, mtime_ns, mtime) in after.items():
        old = before.get(rel)
        if old is None:
            change = "created"
        elif old[:2] != (size, mtime_ns):
            change = "modified"
        else:
            continue
        changes.append({"path": os.fsdecode(rel), "size": size, "mtime": iso_time(mtime),
                        "change": change})
    changes.sort(key=lambda c: c["path"])
    return changes


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
