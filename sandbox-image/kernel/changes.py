"""What a call changed in /mnt/data, at the cost of what it changed: the agent's view of the folder,
kept current by inotify (ChangeTracker), with the bounded walk before and after (walk.py) where
inotify cannot tell."""

import ctypes
import errno
import os
import select
import stat
import struct
import threading
import time

from limits import DATA_ROOT, OUTPUTS_DIR, TRACK_CAP, WATCH_CAP
from walk import diff_files, folder_usage, iso_time, snapshot_files, snapshot_usage

# --- inotify: what changed, at the cost of what changed ------------------------------------------
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_Q_OVERFLOW, IN_IGNORED, IN_ISDIR = 0x4000, 0x8000, 0x40000000
IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK = 0x01000000, 0x02000000, 0x04000000
WATCH_MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
              | IN_DELETE | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)
BATCH_SECONDS = 0.05


class ChangeTracker:
    """The session agent's view of /mnt/data: every regular file's size and mtime, kept current by
    inotify (Linux and gVisor both report changes made inside the sandbox), so what an execution or
    shell command changed costs what it changed, not what the folder holds.

    It falls back to the bounded walk before and after (snapshot_files, the FILES_CAP first entries)
    when inotify cannot tell: no inotify, more than WATCH_CAP folders or TRACK_CAP files, or an
    event queue overflow (then the view is rebuilt by one walk at the next call). Writes from
    outside the sandbox (Docker's archive API: uploads) are told by the host (note())."""

    def __init__(self, root=DATA_ROOT, track_cap=TRACK_CAP, watch_cap=WATCH_CAP, log=None):
        self.root = root
        self.track_cap, self.watch_cap = track_cap, watch_cap
        self.log = log or (lambda message: None)
        self.lock = threading.RLock()
        self.ready = threading.Event()
        self.fd = None
        self.exact = False        # the view holds every file and inotify sees every change
        self.too_big = False      # past the caps: walks before and after, for good
        self.files = {}           # relative path -> (size, mtime_ns, mtime)
        self.total = 0
        self.wds = {}             # watch descriptor -> its folder, relative ("" or "a/b/")
        self.touched = set()      # paths changed since they were last looked at
        self.call = None          # while a call runs: path -> "created" | "modified"

    # -- set-up ---------------------------------------------------------------------------------------
    def start(self):
        """Builds the view on a thread of its own (begin() waits for it), then keeps reading events."""
        threading.Thread(target=self._run, name="sbx-changes", daemon=True).start()

    def _run(self):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self._add_watch = lambda path: libc.inotify_add_watch(self.fd, path, WATCH_MASK)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                raise OSError(ctypes.get_errno(), "inotify_init1")
            self.fd = fd
            with self.lock:
                self._rebuild()
        except Exception as exc:  # no inotify here: walks before and after
            self.log(f"changes: inotify unavailable ({exc!r}); walking /mnt/data around each call")
        finally:
            self.ready.set()
        if self.fd is None:
            return
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while True:
            poller.poll()
            # In batches: a code's burst of writes is read at once (the kernel merges repeated
            # events meanwhile), not one wake-up each, which took CPU from the code itself. The
            # queue (16,384 events) overflowing meanwhile only means one walk at the next call.
            time.sleep(BATCH_SECONDS)
            with self.lock:
                self._drain()

    def _rebuild(self):
        """One walk: watches on every folder (added before the folder is read, so nothing written
        meanwhile is missed), and the size of every file."""
        self.files, self.total, self.touched = {}, 0, set()
        for wd in list(self.wds):
            ctypes.CDLL(None).inotify_rm_watch(self.fd, wd)
        self.wds = {}
        self._drain()  # events of the watches just removed
        self.exact = self._watch_tree("", report=False)
        if not self.exact:
            self.too_big = True
            self.log(f"changes: more than {self.watch_cap} folders or {self.track_cap} files; "
                     "walking /mnt/data around each call instead")

    def _watch_tree(self, rel_dir, report):
        """Watches rel_dir and every folder below it and records their files (as touched when
        `report`: a folder that appeared during a call brings its files with it). False past the caps."""
        stack = [rel_dir]
        while stack:
            rel = stack.pop()
            if len(self.wds) >= self.watch_cap:
                return False
            path = os.path.join(self.root, rel) if rel else self.root
            wd = self._add_watch(os.fsencode(path))
            if wd < 0:
                err = ctypes.get_errno()
                if err in (errno.ENOENT, errno.ENOTDIR):
                    continue  # gone already
                self.log(f"changes: cannot watch {rel or '.'}: {os.strerror(err)}")
                return False
            self.wds[wd] = rel
            try:
                with os.scandir(path) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                child = rel + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if child != OUTPUTS_DIR:
                            stack.append(child + "/")
                    elif entry.is_file(follow_symlinks=False):
                        if report:
                            self.touched.add(child)
                        else:
                            self._record(child, entry.stat(follow_symlinks=False))
                except OSError:
                    continue
            if len(self.files) > self.track_cap:
                return False
        return True

    # -- events ---------------------------------------------------------------------------------------
    def _drain(self):
        """Reads every event queued so far (they are queued when the write returns)."""
        while self.fd is not None:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError as exc:
                self.log(f"changes: reading inotify failed ({exc!r})")
                self.exact = False
                return
            offset = 0
            while offset + EVENT.size <= len(data):
                wd, mask, _, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size:offset + EVENT.size + length].rstrip(b"\0")
                offset += EVENT.size + length
                self._event(wd, mask, os.fsdecode(name))

    def _event(self, wd, mask, name):
        if mask & IN_Q_OVERFLOW:
            if self.exact:
                self.log("changes: the inotify queue overflowed; /mnt/data is walked once")
            self.exact = False  # events were lost: rebuilt at the next call
            return
        if mask & IN_IGNORED:
            self.wds.pop(wd, None)
            return
        folder = self.wds.get(wd)
        if folder is None or not name:
            return
        rel = folder + name
        if rel == OUTPUTS_DIR:
            return
        if not mask & IN_ISDIR:
            self.touched.add(rel)
        elif mask & (IN_CREATE | IN_MOVED_TO):
            if not self._watch_tree(rel + "/", report=True):
                self.exact = False
                self.too_big = True
        elif mask & (IN_DELETE | IN_MOVED_FROM):
            prefix = rel + "/"
            for path in [p for p in self.files if p.startswith(prefix)]:
                self._forget(path)

    def _record(self, rel, st):
        old = self.files.get(rel)
        self.files[rel] = (st.st_size, st.st_mtime_ns, st.st_mtime)
        self.total += st.st_size - (old[0] if old else 0)
        return old

    def _forget(self, rel):
        old = self.files.pop(rel, None)
        if old:
            self.total -= old[0]

    def _look(self):
        """Brings the touched paths into the view; while a call runs, notes what it changed (a file
        created during the call stays "created", one created and removed is not reported)."""
        for rel in sorted(self.touched):
            try:
                st = os.lstat(os.path.join(self.root, rel))
            except OSError:
                st = None
            if st is None or not stat.S_ISREG(st.st_mode):
                self._forget(rel)
                if self.call is not None:
                    self.call.pop(rel, None)
                continue
            old = self._record(rel, st)
            if self.call is not None and (old is None or old[:2] != (st.st_size, st.st_mtime_ns)):
                self.call.setdefault(rel, "created" if old is None else "modified")
        self.touched.clear()

    def _report(self):
        """The `files` entries of the call that ends (regular files still there, by path)."""
        changes = []
        for rel, change in sorted(self.call.items()):
            found = self.files.get(rel)
            if found is not None:
                changes.append({"path": rel, "size": found[0], "mtime": iso_time(found[2]),
                                "change": change})
        self.call = None
        return changes

    # -- what the agent asks ----------------------------------------------------------------------------
    def begin(self):
        """Marks the start of a call. Returns the mark for end(): None while inotify tells, else
        the walk of /mnt/data as it was (the fallback)."""
        self.ready.wait()
        with self.lock:
            self.call = None
            if self.fd is not None and not self.exact and not self.too_big:
                self._rebuild()
            if self.exact:
                self._drain()
                self._look()  # changed between calls (by nobody's call): not reported
                if self.exact:
                    self.call = {}
                    return None
            return snapshot_files(self.root)

    def end(self, mark):
        """(files changed since begin(), bytes in /mnt/data or None when unknown)."""
        with self.lock:
            if mark is not None:
                after = snapshot_files(self.root)
                return diff_files(mark, after), snapshot_usage(after)
            if self.call is None:
                self.call = {}
            self._drain()
            self._look()
            if not self.exact:
                # Events were lost during the call (a queue overflow): what they would have said is
                # what differs between the view and a walk now. The view is rebuilt at the next call.
                after = snapshot_files(self.root, cap=self.track_cap + self.watch_cap)
                for rel, (size, mtime_ns, _) in after.items():
                    old = self.files.get(rel)
                    if old is None or old[:2] != (size, mtime_ns):
                        self.call.setdefault(rel, "created" if old is None else "modified")
                self.files = dict(after)
                self.total = sum(size for size, _, _ in after.values())
            return self._report(), self.total

    def note(self, rel):
        """A write from outside the sandbox (Docker's archive API) at rel: look at it now."""
        self.ready.wait()
        with self.lock:
            self._drain()
            self.touched.add(rel.strip("/"))
            self._look()

    def usage(self):
        """{"bytes", "files"} of /mnt/data from the view (saved outputs included), or None when the
        view is not exact (then the caller walks)."""
        self.ready.wait()
        with self.lock:
            if not self.exact:
                return None
            self._drain()
            self._look()
            outputs = folder_usage(os.path.join(self.root, OUTPUTS_DIR))
            return {"bytes": self.total + outputs["bytes"], "files": len(self.files) + outputs["files"]}
