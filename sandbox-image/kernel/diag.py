"""The agent's diagnostics: one line each, to its stderr (attach.py points it at /tmp/.sbx-agent.log)."""

import os
import sys
import time


def diag(message):
    try:
        sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} agent[{os.getpid()}]: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
