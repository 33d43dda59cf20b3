"""The sandbox's numbers in one place: where /mnt/data is, and the cuts the host hands over.

The host passes its output cuts as SBX_<NAME> variables on every `docker exec` (the numbers are
written in src/core/policy/limits.ts, OUTPUT_CUTS); they are all taken out of the environment at
import, so code run in the sandbox inherits none of them (SBX_RUN_ID is the shell runner's marker).
The fallbacks are the same numbers, for a process started by hand.
"""

import os

DATA_ROOT = "/mnt/data"
OUTPUTS_DIR = ".outputs"

HOST_LIMITS = {name[4:]: os.environ.pop(name) for name in list(os.environ)
               if name.startswith("SBX_") and name != "SBX_RUN_ID"}


def host_limit(name, default):
    """The cut the host passed as SBX_<name>, or `default` (the same number) when it is absent or
    not a positive integer, e.g. when the kernel is started by hand."""
    raw = HOST_LIMITS.get(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


HEAD_CAP = host_limit("STREAM_HEAD_BYTES", 128 * 1024)   # bytes of a stream forwarded live
TAIL_CAP = host_limit("STREAM_TAIL_BYTES", 64 * 1024)    # forwarded at the end when the head was passed
SAVE_THRESHOLD = {"stdout": host_limit("SAVE_STDOUT_OVER_BYTES", 4000),  # longer streams are saved
                  "stderr": host_limit("SAVE_STDERR_OVER_BYTES", 2000)}
SAVE_CAP = host_limit("SAVED_STREAM_BYTES", 50 * 1024 * 1024)  # bytes kept in its .outputs file
FILES_CAP = host_limit("FILES_SNAPSHOT_ENTRIES", 20000)  # entries visited by a full files walk
LINE_CUT_CHARS = host_limit("READ_LINE_CHARS", 10000)    # read: characters of a line
SEARCH_TEXT_CHARS = host_limit("SEARCH_LINE_CHARS", 1000)  # search: characters of a matching line
KERNEL_LINE_BYTES = host_limit("KERNEL_LINE_BYTES", 64 * 1024 * 1024)  # longer kernel lines are dropped
TRACK_CAP = 200_000   # files the agent keeps in its view of /mnt/data (past it: walks around each call)
WATCH_CAP = 20_000    # folders it watches with inotify (past it: the same)
