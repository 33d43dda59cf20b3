#!/usr/bin/env python3
"""The sandbox's limits, held from inside where the runtime does not hold them per process: under
gVisor the host's cgroup limits the whole sandbox (gVisor's own kernel included), so reaching them
stops everything instead of one process. The host then sets SBX_GUARD ("memory=BYTES,pids=N", the
limits the user chose) and gives the container headroom above them; watchdog.py starts this guard.

- Memory: like Linux's OOM killer, the guard kills the largest process once the sandbox's memory
  use (gVisor's own accounting) reaches the limit.
- Processes: RLIMIT_NPROC holds them (the engine sets it; gVisor counts the uid's tasks, threads
  included, per sandbox and refuses a fork past it, as Linux's pids controller does). gVisor has no
  pids.events, its pids.current lags, and counting tasks in /proc takes seconds under a fork bomb,
  so the guard asks the limit itself: every PIDS_SECONDS it starts a thread that ends at once, and
  a refusal means the limit is reached.

Each hit is recorded in HITS_FILE, which cgroup_counters() adds to the kernel's counters, so the
result names the limit as under runc.
"""

import _thread
import os
import signal
import sys
import time

HITS_FILE = "/tmp/.sandbox-limit-hits"
MEMORY_USAGE = "/sys/fs/cgroup/memory/memory.usage_in_bytes"
FAST_SECONDS = 0.005   # poll interval once use is past half a limit
SLOW_SECONDS = 0.04    # ... past a quarter of it
IDLE_SECONDS = 0.1     # ... and below (an idle sandbox: each poll costs CPU under gVisor)
SETTLE_SECONDS = 0.5   # after a stop, for the sandbox's counters to drop
PIDS_SECONDS = 1.0     # how often the process limit is probed (a thread start costs ~4 ms under gVisor)
PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_limits(spec):
    """'memory=402653184,pids=256' -> {'memory': 402653184, 'pids': 256}; unknown or bad parts are ignored."""
    limits = {}
    for part in (spec or "").split(","):
        key, _, value = part.partition("=")
        if key.strip() in ("memory", "pids") and value.strip().isdigit() and int(value) > 0:
            limits[key.strip()] = int(value)
    return limits


def guard_hits():
    """How often the guard stopped something, by counter name (empty when it never did)."""
    counts = {}
    try:
        with open(HITS_FILE) as f:
            for line in f:
                name = line.strip()
                if name:
                    counts[name] = counts.get(name, 0) + 1
    except OSError:
        pass
    return counts


def record(name):
    with open(HITS_FILE, "a") as f:
        f.write(name + "\n")


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def processes():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def protected():
    """Never stopped by the guard: the init process, the watchdog, the guard itself."""
    return {1, os.getpid(), os.getppid()}


def rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_largest():
    """Past the memory limit: kill the process using the most memory, as Linux's OOM killer would."""
    keep = protected()
    sizes = [(rss(pid), pid) for pid in processes() if pid not in keep]
    if sizes:
        signal_pid(max(sizes)[1], signal.SIGKILL)


def at_process_limit():
    """Whether RLIMIT_NPROC refuses a new task now: a thread that would end at once cannot start."""
    try:
        _thread.start_new_thread(lambda: None, ())
    except RuntimeError:  # "can't start new thread": clone(2) failed with EAGAIN
        return True
    return False


class PidsWatch:
    """Records one hit each time the process limit is reached (again after it was not)."""

    def __init__(self):
        self.at_limit = False
        self.next_probe = 0.0

    def poll(self, now):
        if now < self.next_probe:
            return
        self.next_probe = now + PIDS_SECONDS
        at_limit = at_process_limit()
        if at_limit and not self.at_limit:
            record("pidsMaxHits")
        self.at_limit = at_limit


def poll_interval(used, memory):
    """The pause before the next look at memory: shorter the nearer use is to the limit."""
    if used * 2 >= memory:
        return FAST_SECONDS
    return SLOW_SECONDS if used * 4 >= memory else IDLE_SECONDS


def watch(limits):
    memory = limits.get("memory")
    pids = PidsWatch() if "pids" in limits else None
    while True:
        if pids:
            pids.poll(time.monotonic())
        used = read_int(MEMORY_USAGE) if memory else None
        if used is not None and used >= memory:
            record("oomKills")
            stop_largest()
            time.sleep(SETTLE_SECONDS)
        else:
            time.sleep(poll_interval(used or 0, memory) if memory else IDLE_SECONDS)


if __name__ == "__main__":
    found = parse_limits(os.environ.get("SBX_GUARD"))
    if not found:
        sys.exit(0)
    watch(found)
