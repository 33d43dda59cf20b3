#!/usr/bin/env python3
"""The sandbox's memory limit, held from inside where the runtime does not hold it per process:
under gVisor the host's cgroup limits the whole sandbox (gVisor's own kernel included), so reaching
it stops everything instead of one process. The host then sets SBX_GUARD ("memory=BYTES", the limit
the user chose) and gives the container headroom above it; watchdog.sh starts this guard, which,
like Linux's OOM killer, kills the largest process once the sandbox's memory use (gVisor's own
accounting) reaches the limit. Each kill is recorded in HITS_FILE, which cgroup_counters() adds to
the kernel's counters, so the result names the memory limit as under runc.
"""

import os
import signal
import sys
import time

HITS_FILE = "/tmp/.sandbox-limit-hits"
MEMORY_USAGE = "/sys/fs/cgroup/memory/memory.usage_in_bytes"
FAST_SECONDS = 0.005   # poll interval once use is past half a limit
SLOW_SECONDS = 0.04    # ... and below it
SETTLE_SECONDS = 0.5   # after a stop, for the sandbox's counters to drop
PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_limits(spec):
    """'memory=402653184' -> {'memory': 402653184}; unknown or bad parts are ignored."""
    limits = {}
    for part in (spec or "").split(","):
        key, _, value = part.partition("=")
        if key.strip() == "memory" and value.strip().isdigit() and int(value) > 0:
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


def watch(memory):
    while True:
        used = read_int(MEMORY_USAGE)
        if used is not None and used >= memory:
            record("oomKills")
            stop_largest()
            time.sleep(SETTLE_SECONDS)
        else:
            time.sleep(FAST_SECONDS if (used or 0) * 2 >= memory else SLOW_SECONDS)


if __name__ == "__main__":
    found = parse_limits(os.environ.get("SBX_GUARD"))
    if "memory" not in found:
        sys.exit(0)
    watch(found["memory"])
