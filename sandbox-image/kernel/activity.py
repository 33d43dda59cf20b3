"""Telling the container's watchdog (watchdog.py) that someone uses the sandbox."""

import os
import threading
import time

ACTIVITY_FILE = "/tmp/.sandbox-activity"  # its mtime is what watchdog.py reads
HEARTBEAT_SECONDS = 5  # well under the smallest watchdog limit (10 s)


def touch(path):
    """Create the file or set its mtime to now; a marker must never fail its caller."""
    try:
        with open(path, "a"):
            pass
        os.utime(path)
    except OSError:
        pass


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
