"""The kernel's start-up chores: its age (warmMs counts interpreter start-up) and the folders it
needs ($HOME, $MPLCONFIGDIR with matplotlib's font cache seeded, /mnt/data as the working directory)."""

import os
import shutil
import time

from limits import DATA_ROOT

HOME = os.environ.setdefault("HOME", "/tmp/home")
MPLCONFIGDIR = os.environ.setdefault("MPLCONFIGDIR", "/tmp/mpl")
MPL_SEED = "/opt/sandbox/mplconfig"


def process_age_ms():
    """Milliseconds since this process was started (so warmMs includes interpreter start-up)."""
    with open("/proc/self/stat", "rb") as f:
        stat = f.read()
    start_ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
    now = time.clock_gettime(time.CLOCK_BOOTTIME)
    return round((now - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000)


def prepare_dirs(diag):
    os.makedirs(HOME, exist_ok=True)
    os.makedirs(MPLCONFIGDIR, exist_ok=True)
    # Seed matplotlib's font cache (built at image build time) so it is not rebuilt at start-up.
    if os.path.isdir(MPL_SEED):
        for name in os.listdir(MPL_SEED):
            src, dst = os.path.join(MPL_SEED, name), os.path.join(MPLCONFIGDIR, name)
            if os.path.exists(dst):
                continue
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
    try:
        os.chdir(DATA_ROOT)
    except OSError as exc:
        diag(f"cannot enter {DATA_ROOT}: {exc}")
