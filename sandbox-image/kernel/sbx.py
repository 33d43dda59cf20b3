"""File and shell helper of the sandbox: `python3 /opt/sandbox/sbx.py SUBCOMMAND ...`.

One-shot subcommands print one JSON object and exit 0, or print {"error": "..."} and exit 2.
Shell commands run through the session agent (agent.py), with run_shell below. Every path is
relative to /mnt/data and must resolve (realpath) inside it.
"""

import argparse
import base64
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

from messages import build_done
from capture import (DATA_ROOT, host_limit, mark_writer, touch_activity, Capture, diff_files, drain_fd, dumps, iso_time,
                     read_nonblocking, safe_filename_part, set_nonblocking, set_pipe_size,
                     snapshot_files, cgroup_counters, counters_delta, snapshot_usage)

READ_DEFAULT_LINES = 200
LINE_CUT_CHARS = host_limit("READ_LINE_CHARS", 10000)
BINARY_SNIFF_BYTES = 8192
COUNT_LINES_MAX_BYTES = 64 * 1024 * 1024   # totalLines is counted for files up to this size
SEARCH_TEXT_CHARS = host_limit("SEARCH_LINE_CHARS", 1000)
SEARCH_JSON_MAX = 1 << 20                  # longer ripgrep JSON lines are not parsed
PREVIEW_DPI = 100
PREVIEW_MAX_PIXELS = 2000                  # longest side of the PDF preview
EXAMPLE_HINT = "use a path relative to /mnt/data, such as 'data.csv'"


class Refusal(Exception):
    """A request the helper will not or cannot carry out; the message is shown to the model."""


def show(path):
    return repr(path)


# --- paths ----------------------------------------------------------------------------------------
def is_inside(real):
    return real == DATA_ROOT or real.startswith(DATA_ROOT + "/")


def lexical_path(path):
    """Checks the form of a user path and returns its absolute, normalised (unresolved) form."""
    if path.startswith("/"):
        if is_inside(os.path.normpath(path)):
            rel = os.path.relpath(os.path.normpath(path), DATA_ROOT)
            raise Refusal(f"Path {show(path)} is absolute: paths are relative to /mnt/data, so "
                          f"use {show(rel)}.")
        raise Refusal(f"Path {show(path)} is outside /mnt/data: {EXAMPLE_HINT}.")
    if ".." in path.split("/"):
        raise Refusal(f"Path {show(path)} is outside /mnt/data: {EXAMPLE_HINT}.")
    return os.path.normpath(os.path.join(DATA_ROOT, path))


def check_real(path, real):
    if not is_inside(real):
        raise Refusal(f"Path {show(path)} leads outside /mnt/data (a symbolic link points to "
                      f"{show(real)}), so it cannot be used: {EXAMPLE_HINT}.")
    return real


def resolve(path, must_exist=True):
    """The realpath of a user path, refused unless it stays inside /mnt/data."""
    real = check_real(path, os.path.realpath(lexical_path(path)))
    if must_exist and not os.path.lexists(real):
        raise Refusal(f"Path {show(path)} does not exist in /mnt/data (paths are relative to "
                      "/mnt/data; list the folder to see what is there).")
    return real


def resolve_parent(path):
    """For operations on a name itself (rm, copy destination): the real parent + the last name."""
    lexical = lexical_path(path)
    if lexical == DATA_ROOT:
        raise Refusal(f"Path {show(path)} is /mnt/data itself: name a file or folder inside it.")
    parent = check_real(path, os.path.realpath(os.path.dirname(lexical)))
    return os.path.join(parent, os.path.basename(lexical))


def rel(real):
    return os.fsdecode(os.path.relpath(real, DATA_ROOT))


def kind(st):
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISREG(st.st_mode):
        return "file"
    return "other"


def entry(real, st):
    return {"path": rel(real), "type": kind(st), "size": st.st_size,
            "mtime": iso_time(st.st_mtime)}


def open_regular(path, real):
    """Opens a regular file for reading (O_NONBLOCK so a FIFO cannot hang us before the check)."""
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = "a folder: list it instead" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise Refusal(f"Path {show(path)} is {what}.")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


# --- one-shot subcommands -------------------------------------------------------------------------
def cmd_list(args):
    root = resolve(args.path)
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode):
        return {"entries": [entry(root, st)], "truncated": False}
    entries, truncated = [], False
    queue = [root]  # breadth-first, so a truncated listing keeps the upper levels
    while queue and not truncated:
        folder = queue.pop(0)
        try:
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for child in children:
            if len(entries) >= args.max:
                truncated = True
                break
            try:
                cst = child.stat(follow_symlinks=False)
            except OSError:
                continue
            entries.append(entry(child.path, cst))
            if stat.S_ISDIR(cst.st_mode):
                queue.append(child.path)
    return {"entries": entries, "truncated": truncated}


def read_line(f):
    """One line without its terminator, cut at LINE_CUT_CHARS characters (with a marker), never
    holding more than a bounded amount of it in memory. None at end of file."""
    data = f.readline(LINE_CUT_CHARS * 4 + 4)
    if not data:
        return None
    size = len(data)
    last = data
    if not data.endswith(b"\n"):
        while more := f.readline(1 << 16):  # the rest of an overlong line: counted, not kept
            size += len(more)
            last = more
            if more.endswith(b"\n"):
                break
    size -= len(last) - len(last.rstrip(b"\n").rstrip(b"\r"))  # the terminator is not content
    text = data.rstrip(b"\n").rstrip(b"\r").decode("utf-8", "replace")
    if len(text) > LINE_CUT_CHARS or last is not data:
        text = (text[:LINE_CUT_CHARS] + f" … [line cut at {LINE_CUT_CHARS} characters; the full "
                f"line has {size} bytes]")
    return text


def skip_line(f):
    while True:
        data = f.readline(1 << 16)
        if not data or data.endswith(b"\n"):
            return bool(data)


def count_lines(f, size):
    f.seek(0)
    count, last = 0, b"\n"
    while chunk := f.read(1 << 20):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (1 if size and last != b"\n" else 0)


def cmd_read(args):
    real = resolve(args.path)
    with open_regular(args.path, real) as f:
        if b"\0" in f.read(BINARY_SNIFF_BYTES):
            raise Refusal(f"{show(args.path)} looks like a binary file (it contains NUL bytes), so "
                          "it is not shown as text. Inspect it with Python instead (for example "
                          "open(path, 'rb').read(200)), or with pdfinfo if it is a PDF.")
        f.seek(0)
        skipped = 0
        while skipped < args.offset and skip_line(f):
            skipped += 1
        lines = []
        while len(lines) < args.lines:
            line = read_line(f)
            if line is None:
                break
            lines.append(line)
        eof = f.peek(1) == b""
        size = os.fstat(f.fileno()).st_size
        if eof:
            total = skipped + len(lines)
        elif size <= COUNT_LINES_MAX_BYTES:
            total = count_lines(f, size)
        else:
            total = None
    return {"path": rel(real), "offset": args.offset, "lines": lines, "eof": eof,
            "totalLines": total}


def rg_text(field):
    """ripgrep's JSON gives {"text": ...} or, for non-UTF-8 data, {"bytes": base64}."""
    if "text" in field:
        return field["text"]
    return os.fsdecode(base64.b64decode(field.get("bytes", "")))


def skip_rest(stream, raw):
    """True (after discarding the rest) when `raw` is only the start of an overlong JSON line."""
    if raw.endswith(b"\n"):
        return False
    while (more := stream.readline(SEARCH_JSON_MAX)) and not more.endswith(b"\n"):
        pass
    return True


def overlong_match(raw):
    """A match on a gigantic line: ripgrep's JSON for it is not kept in memory, only its path
    (which comes first) is recovered; the line number comes after the line and is lost."""
    prefix = '{"type":"match","data":{"path":'
    path, _ = json.JSONDecoder().raw_decode(raw.decode("utf-8", "replace"), len(prefix))
    return {"path": os.path.normpath(rg_text(path)), "line": None,
            "text": "[the matching line is too long to show; search with a more specific "
                    "pattern or inspect the file with Python]"}


def cmd_search(args):
    target = resolve(args.path) if args.path else DATA_ROOT
    cmd = ["rg", "--json", "--no-config", "--no-messages", "--regexp", args.pattern]
    if args.glob:
        cmd += ["--glob", args.glob]
    cmd += ["--", os.path.relpath(target, DATA_ROOT)]
    matches, truncated = [], False
    with subprocess.Popen(cmd, cwd=DATA_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        while raw := proc.stdout.readline(SEARCH_JSON_MAX):
            if not raw.startswith(b'{"type":"match"'):
                skip_rest(proc.stdout, raw)
                continue
            if len(matches) >= args.max:
                truncated = True
                proc.kill()
                break
            if skip_rest(proc.stdout, raw):
                matches.append(overlong_match(raw))
                continue
            data = json.loads(raw)["data"]
            text = rg_text(data["lines"]).rstrip("\n").rstrip("\r")
            if len(text) > SEARCH_TEXT_CHARS:
                text = text[:SEARCH_TEXT_CHARS] + " … [line cut]"
            matches.append({"path": os.path.normpath(rg_text(data["path"])),
                            "line": data["line_number"], "text": text})
        errors = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.returncode == 2 and not matches and not truncated:
        raise Refusal(f"Search failed: {errors or 'ripgrep exited with status 2'}")
    return {"matches": matches, "truncated": truncated}


def cmd_resolve(args):
    real = resolve(args.path, must_exist=False)
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        return {"real": os.fsdecode(real), "exists": False, "type": None}
    return {"real": os.fsdecode(real), "exists": True, "type": kind(st)}


def cmd_rm(args):
    target = resolve_parent(args.path)  # a symlink is removed itself, wherever it points
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        raise Refusal(f"Path {show(args.path)} does not exist in /mnt/data.") from None
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(target)
    else:
        os.unlink(target)
    return {"ok": True}


def cmd_copy(args):
    src = resolve(args.src)
    dst = resolve_parent(args.dst)
    if os.path.isdir(dst):  # copying into an existing folder, like cp
        dst = os.path.join(check_real(args.dst, os.path.realpath(dst)), os.path.basename(src))
    if os.path.lexists(dst):
        check_real(args.dst, os.path.realpath(dst))
    if os.path.isdir(src):
        if dst == src or dst.startswith(src + "/"):
            raise Refusal(f"Cannot copy the folder {show(args.src)} into itself.")
        if os.path.lexists(dst):
            raise Refusal(f"Destination {show(args.dst)} already exists.")
        shutil.copytree(src, dst, symlinks=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    return {"ok": True}


def cmd_pdfinfo(args):
    real = resolve(args.path)
    not_pdf = {"isPdf": False, "pages": 0, "previewPng": None}
    with open_regular(args.path, real) as f:
        if f.read(5) != b"%PDF-":
            return not_pdf
    import fitz  # only this subcommand needs PyMuPDF (slow to import)
    fitz.TOOLS.mupdf_display_errors(False)
    try:
        doc = fitz.open(real, filetype="pdf")
    except Exception:
        return not_pdf
    with doc:
        preview = None
        if doc.page_count > 0 and not doc.needs_pass:
            page = doc[0]
            zoom = PREVIEW_DPI / 72
            longest = max(page.rect.width, page.rect.height) * zoom
            if longest > PREVIEW_MAX_PIXELS:
                zoom *= PREVIEW_MAX_PIXELS / longest
            pix = page.get_pixmap(matrix=fitz.Matrix(zoom, zoom))
            preview = base64.b64encode(pix.tobytes("png")).decode("ascii")
        return {"isPdf": True, "pages": doc.page_count, "previewPng": preview}


def cmd_usage(args):
    total = files = 0
    stack = [DATA_ROOT]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for child in it:
                    if child.is_dir(follow_symlinks=False):
                        stack.append(child.path)
                    elif child.is_file(follow_symlinks=False):
                        total += child.stat(follow_symlinks=False).st_size
                        files += 1
        except OSError:
            continue
    return {"bytes": total, "files": files}


# --- shell ----------------------------------------------------------------------------------------
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


def run_shell(exec_id, command, timeout, channel, cancel, roots=None):
    """Runs `bash -c command` in /mnt/data in a new session, streaming started/output/stream_gap/
    done to `channel` (anything with send(obj)), until it ends, times out or `cancel` is set; then
    kills every process of the run. The session agent (agent.py) runs shell commands with it.

    `roots(table)` names the processes whose descendants belong to the run besides bash's own (see
    run_processes). Returns the set of pids killed at the end (the caller reaps them)."""
    marker_value = f"{safe_filename_part(exec_id)}-{os.urandom(8).hex()}"
    marker = f"SBX_RUN_ID={marker_value}".encode()
    env = dict(os.environ, SBX_RUN_ID=marker_value)
    os.makedirs(env.get("HOME", "/tmp/home"), exist_ok=True)

    before = snapshot_files()
    counters = cgroup_counters()
    fds, write_ends = {}, []
    pidfd = None
    try:
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
        after = snapshot_files()
        channel.send(build_done(exec_id, status, round((time.monotonic() - started) * 1000),
                                diff_files(before, after), streams, exitCode=exit_code,
                                usageBytes=snapshot_usage(after),
                                limitHits=counters_delta(counters, cgroup_counters())))
        return killed
    finally:
        for fd in (*fds, *write_ends, *([pidfd] if pidfd is not None else [])):
            try:
                os.close(fd)
            except OSError:
                pass


# --- command line ---------------------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Refusal(f"{self.prog}: {message}")


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser():
    parser = Parser(prog="sbx.py", description="Sandbox file and shell helper.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("list")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--max", type=positive, default=1000)
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("read")
    p.add_argument("path")
    p.add_argument("--offset", type=non_negative, default=0)
    p.add_argument("--lines", type=positive, default=READ_DEFAULT_LINES)
    p.set_defaults(func=cmd_read)
    p = sub.add_parser("search")
    p.add_argument("pattern")
    p.add_argument("--path")
    p.add_argument("--glob")
    p.add_argument("--max", type=positive, default=100)
    p.set_defaults(func=cmd_search)
    for name, func in (("resolve", cmd_resolve), ("rm", cmd_rm), ("pdfinfo", cmd_pdfinfo)):
        p = sub.add_parser(name)
        p.add_argument("path")
        p.set_defaults(func=func)
    p = sub.add_parser("copy")
    p.add_argument("src")
    p.add_argument("dst")
    p.set_defaults(func=cmd_copy)
    sub.add_parser("usage").set_defaults(func=cmd_usage)
    sub.add_parser("cgroup").set_defaults(func=lambda args: cgroup_counters())
    return parser


def answer(argv):
    """Runs one subcommand: (its result, 0), or ({"error": message}, 2) for a refusal or failure.
    What main() prints, and what the session agent (agent.py) answers to a `call`."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(args), 0
    except Refusal as exc:
        return {"error": str(exc)}, 2
    except OSError as exc:
        message = exc.strerror or str(exc)
        if exc.filename:
            name = os.fsdecode(exc.filename)
            message += f": {show(rel(name) if is_inside(name) else name)}"
        return {"error": message}, 2
    except Exception as exc:  # a bug or an unexpected state: still answer in JSON
        return {"error": f"{type(exc).__name__}: {exc}"}, 2


def main(argv):
    touch_activity()
    mark_writer()
    result, code = answer(argv)
    write_all(1, dumps(result).encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict"))
    return code


def write_all(fd, data):
    """Write every byte, looping over short writes: under gVisor one write to the exec's pipe takes
    at most 64 KiB, and Python's own buffered flush at exit does not always write the rest."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:65536]):]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
