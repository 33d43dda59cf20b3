"""The wall between user code and the sandbox's own processes.

User code runs in the kernel, as the same uid as the agent and the relay: anything the kernel can
write (HOME, the user site directory, /tmp, /mnt/data) or signal is hostile. So:
- every interpreter the sandbox starts ignores PYTHON* variables and the user site directory and
  writes no bytecode (PYTHON_FLAGS), and none has a user-writable folder on its path;
- the agent and the relay are not dumpable: a process of the same uid cannot ptrace them, read
  their memory or open their descriptors through /proc;
- the kernel loads its seccomp filter first thing (before it reads any user-writable file): no new
  process, no tracing or reading other processes, no signal to any process but itself.
Imports nothing heavy: attach.py (started for every host that attaches) uses it.
"""

import ctypes
import errno
import os
import sys

# Not -I: it implies -P, which drops the script's own folder (/opt/sandbox, read-only) from which
# our modules import. -E: no PYTHONPATH/PYTHONSTARTUP/PYTHONHOME...; -s: no user site directory
# (its .pth files and usercustomize run at start-up); -B: no bytecode written anywhere.
PYTHON_FLAGS = ("-E", "-s", "-B")

PR_SET_DUMPABLE = 4
CLONE_THREAD = 0x00010000
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15
FIOSETOWN, SIOCSPGRP = 0x8901, 0x8902

# Denied to the kernel outright: new programs and processes, other processes' memory and
# descriptors, and io_uring (a frequent source of kernel escapes; engines' defaults differ on it).
KERNEL_DENIED = (
    "execve", "execveat", "fork", "vfork",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "tkill",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
)
# Allowed only towards the kernel's own process (first argument = its pid): raise(), an
# interrupt of its own main thread, os.kill(os.getpid(), ...).
KERNEL_SIGNALS_OWN_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def python_argv(script, *args):
    """The command line of one of our own Python programs."""
    return [sys.executable, *PYTHON_FLAGS, script, *args]


def make_undumpable():
    """No process of the same uid may trace this one, read its memory or take its descriptors
    (/proc/PID/mem, /proc/PID/fd become root's). True when the system took it. Must be repeated
    after an exec (which resets it)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def load_kernel_filter(pid=None):
    """Loads the kernel's seccomp filter on every thread of this process (allow by default, the
    rules below refuse). Raises when libseccomp is missing or refuses the filter."""
    import seccomp  # Debian's python3-seccomp

    pid = os.getpid() if pid is None else pid
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    filt.set_attr(seccomp.Attr.CTL_TSYNC, 1)  # also cover already running (BLAS) threads
    eperm = seccomp.ERRNO(errno.EPERM)
    for name in KERNEL_DENIED:
        add_rule(filt, eperm, name)
    add_rule(filt, eperm, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    # glibc falls back from clone3 to clone on ENOSYS (clone3's flags are behind a pointer).
    add_rule(filt, seccomp.ERRNO(errno.ENOSYS), "clone3")
    for name in KERNEL_SIGNALS_OWN_ONLY:
        add_rule(filt, eperm, name, seccomp.Arg(0, seccomp.NE, pid))
    # Signals by proxy: a descriptor's owner gets SIGIO (or any signal F_SETSIG names) when it is
    # ready, so owning another process's pid would signal it.
    for cmd in (F_SETOWN, F_SETSIG, F_SETOWN_EX):
        add_rule(filt, eperm, "fcntl", seccomp.Arg(1, seccomp.EQ, cmd))
    for req in (FIOSETOWN, SIOCSPGRP):
        add_rule(filt, eperm, "ioctl", seccomp.Arg(1, seccomp.EQ, req))
    filt.load()


def add_rule(filt, action, name, *args, resolve=None):
    """A rule for a system call, unless this system's libseccomp does not know the name (the call
    then does not exist here either): `resolve(name)` gives its number, negative when unknown.
    Any other refusal raises: a filter with a rule missing must not pass as loaded."""
    if resolve is None:
        import seccomp
        resolve = lambda n: seccomp.resolve_syscall(seccomp.Arch.NATIVE, n)  # noqa: E731
    if resolve(name) < 0:
        return False
    filt.add_rule(action, name, *args)
    return True
