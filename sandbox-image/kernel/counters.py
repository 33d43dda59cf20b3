"""The container's limit counters: OOM kills and pids-limit hits, from the cgroup and the guard."""

from guard import guard_hits

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
