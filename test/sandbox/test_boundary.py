"""The interpreter flags and the kernel filter's rules (boundary.py); the filter itself is
exercised in the sandbox by the hostile-kernel integration suite."""
import sys

import boundary


def test_every_interpreter_ignores_user_writable_start_up_files():
    argv = boundary.python_argv("/opt/sandbox/kernel.py", "x")
    assert argv[0] == sys.executable
    assert argv[1:4] == ["-E", "-s", "-B"]
    assert argv[4:] == ["/opt/sandbox/kernel.py", "x"]


def test_the_kernel_may_not_reach_other_processes():
    for name in ("execve", "fork", "ptrace", "process_vm_readv", "process_vm_writev",
                 "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "tkill", "io_uring_setup"):
        assert name in boundary.KERNEL_DENIED
    assert set(boundary.KERNEL_SIGNALS_OWN_ONLY) == {"kill", "tgkill", "rt_sigqueueinfo",
                                                     "rt_tgsigqueueinfo"}


class RecordingFilter:
    def __init__(self):
        self.rules = []

    def add_rule(self, action, name, *args):
        self.rules.append(name)


def test_a_syscall_this_system_lacks_is_skipped_and_other_errors_raise():
    numbers = {"ptrace": 101, "pidfd_getfd": -1}
    filt = RecordingFilter()
    assert boundary.add_rule(filt, None, "pidfd_getfd", resolve=numbers.get) is False
    assert boundary.add_rule(filt, None, "ptrace", resolve=numbers.get) is True
    assert filt.rules == ["ptrace"]

    class Broken:
        def add_rule(self, *args):
            raise RuntimeError("Library error (errno = -22)")
    try:
        boundary.add_rule(Broken(), None, "ptrace", resolve=numbers.get)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a refused rule must not be skipped silently")
