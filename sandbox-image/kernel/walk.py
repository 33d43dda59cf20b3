"""The bounded walk of /mnt/data (its first FILES_CAP entries, in sorted order) and the difference
of two walks: what a call changed, where the agent's inotify view cannot tell (changes.py)."""

import datetime
import os

from limits import DATA_ROOT, FILES_CAP, OUTPUTS_DIR


def iso_time(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


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


def folder_usage(root):
    """{"bytes", "files"}: the regular files under root, every one (symbolic links not followed)."""
    total = files = 0
    stack = [root]
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
