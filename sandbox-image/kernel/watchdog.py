#!/usr/bin/python3 -IS
"""The container's main process. It stops the container (by exiting) once nothing has used the
sandbox for IDLE_SECONDS: the kernel touches the activity file while its host is connected, and
every helper call touches it. So a container whose host process died stops by itself.

It never forks after its start: a shell's `sleep &` fails when the session's processes are at
their limit (a fork bomb), and a shell that cannot fork exits — which would stop the container.
"""

import os
import signal
import sys
import time

ACTIVITY = "/tmp/.sandbox-activity"
GUARD = "/opt/sandbox/guard.py"


def stop(*_):
    sys.exit(0)


def main(argv):
    idle = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 2100
    # Check often enough that a short limit (tests) is honoured, at most every 15 s.
    interval = min(15, max(1, idle // 4))
    with open(ACTIVITY, "a"):
        pass
    os.utime(ACTIVITY)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the guard is reaped if it ever ends
    # Where the runtime does not hold the limits per process (gVisor), the host names them in
    # SBX_GUARD and the guard holds memory and records process-limit hits from inside (guard.py).
    if os.environ.get("SBX_GUARD"):
        os.posix_spawn(sys.executable, [sys.executable, "-I", "-S", GUARD], os.environ)
    while True:
        time.sleep(interval)
        try:
            last = os.stat(ACTIVITY).st_mtime
        except OSError:
            last = 0
        if time.time() - last >= idle:
            print(f"watchdog: idle for {idle} s or more, stopping", file=sys.stderr, flush=True)
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
