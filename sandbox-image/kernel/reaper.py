"""The agent's children versus adopted orphans.

The agent is a child subreaper (so orphans of shell commands are re-parented to it and can be
found and killed). It must then reap those orphans itself, but never a child that a Popen object
is waiting for (the kernel, a shell's bash, ripgrep): that one would lose its exit status. Every
Popen in this process is an OwnPopen, registered under SPAWN_LOCK together with its fork, so a
reaper holding the lock sees exactly which children are ours.
"""

import os
import subprocess
import threading
import time

import runner

SPAWN_LOCK = threading.Lock()
OWN = set()  # Popen objects not yet known to be reaped


class OwnPopen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        with SPAWN_LOCK:
            super().__init__(*args, **kwargs)
            OWN.add(self)


subprocess.Popen = OwnPopen  # type: ignore[misc]  # also for the ripgrep of `search` and the shell runner


def own_pids():
    """Pids of our own children still owed to their Popen (call with SPAWN_LOCK held)."""
    for popen in [p for p in OWN if p.returncode is not None]:
        OWN.discard(popen)
    return {p.pid for p in OWN}


def adopted_children(table):
    """Children of the agent it did not start itself: orphans re-parented to it."""
    me = os.getpid()
    with SPAWN_LOCK:
        own = own_pids()
    return [pid for pid, (ppid, _) in table.items() if ppid == me and pid not in own]


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def reap_adopted(only=None):
    """Reaps the adopted orphans that have exited (only those in `only`, when given). True when
    none of `only` is left as our child."""
    with SPAWN_LOCK:
        own = own_pids()
        left = False
        for pid, (ppid, _) in runner.proc_table().items():
            if ppid != os.getpid() or pid in own or (only is not None and pid not in only):
                continue
            if zombie(pid):
                try:
                    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
                    continue
                except ChildProcessError:
                    continue
            left = True
        return not left


def reap_run(killed):
    """After a shell command: collect its killed orphans (bounded by runner.REAP_SECONDS)."""
    deadline = time.monotonic() + runner.REAP_SECONDS
    while not reap_adopted(killed) and time.monotonic() < deadline:
        time.sleep(0.01)


def carries_run_marker(pid):
    """Does the process carry some shell command's SBX_RUN_ID? (Then the marker says whose it is.)"""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return any(e.startswith(b"SBX_RUN_ID=") for e in f.read().split(b"\0"))
    except OSError:
        return False


def shell_roots(table):
    """Besides a command's process group, marker carriers and bash's descendants: the orphans
    re-parented to the agent that carry no run marker. With one command at a time these are its
    own (setsid'd, environment cleared); with several, such an orphan cannot be told apart and
    goes with the first command that ends. Those carrying a marker belong to their command."""
    return [pid for pid in adopted_children(table) if not carries_run_marker(pid)]
