"""Path policy of the file tools: every path is relative to /mnt/data and stays inside it, symbolic
links included (resolved with realpath and checked)."""

import os
import stat

from walk import iso_time
from limits import DATA_ROOT

EXAMPLE_HINT = "use a path relative to /mnt/data, such as 'data.csv'"


class Refusal(Exception):
    """A request the helper will not or cannot carry out; the message is shown to the model."""


def show(path):
    return repr(path)


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
