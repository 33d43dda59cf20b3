"""A bash started before its command is known: under gVisor a process start costs ~60-80 ms, which a
shell command would otherwise pay on its critical path. The spare waits, in its own session with
its own pipes and run marker, for the command on a pipe of its own; the agent keeps one ready."""

import os
import signal
import subprocess
import threading

from fdio import set_nonblocking, set_pipe_size, write_all
from limits import DATA_ROOT

# Reads the command up to a NUL (bash's builtin read: no process) and runs it as `bash -c` would.
SCRIPT = 'IFS= read -r -d "" __sbx_command <&{fd}; exec {fd}<&-; eval "$__sbx_command"'


class PreparedShell:
    def __init__(self):
        self.marker_value = f"prep-{os.urandom(8).hex()}"
        self.fds = {}  # read end -> stream name
        write_ends = []
        cmd_r, self.cmd_w = os.pipe()
        try:
            for name in ("stdout", "stderr"):
                r, w = os.pipe()
                self.fds[r] = name
                write_ends.append(w)
                set_pipe_size(w)
                set_nonblocking(r)
            self.proc = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-c", SCRIPT.format(fd=cmd_r)], cwd=DATA_ROOT,
                env=dict(os.environ, SBX_RUN_ID=self.marker_value), stdin=subprocess.DEVNULL,
                stdout=write_ends[0], stderr=write_ends[1], pass_fds=(cmd_r,),
                start_new_session=True)
        except BaseException:
            self.close_fds()
            raise
        finally:
            for fd in (cmd_r, *write_ends):
                os.close(fd)

    def alive(self):
        return self.proc.poll() is None

    def run(self, command):
        """Hands it the command (it starts at once: the process is already there)."""
        write_all(self.cmd_w, command.encode("utf-8", "surrogateescape") + b"\0")
        os.close(self.cmd_w)
        self.cmd_w = None

    def close_fds(self):
        for fd in (*self.fds, self.cmd_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.fds, self.cmd_w = {}, None

    def discard(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        self.close_fds()


class SpareShell:
    """One PreparedShell kept ready for the next shell command, made again on a thread after each
    use. A spare that died meanwhile (a command may kill it) or a command it cannot take (a NUL
    byte) means a fresh bash, as before."""

    def __init__(self, log=None):
        self.lock = threading.Lock()
        self.spare = None
        self.log = log or (lambda message: None)

    def take(self, command):
        with self.lock:
            spare, self.spare = self.spare, None
        if spare is not None and (not spare.alive() or "\0" in command):
            spare.discard()
            spare = None
        return spare

    def refill(self):
        """Starts the next spare in the background (nothing when no thread can be started)."""
        try:
            threading.Thread(target=self._make, name="sbx-spare-shell", daemon=True).start()
        except RuntimeError:
            pass  # the process limit is reached: the next command starts its own bash

    def _make(self):
        try:
            shell = PreparedShell()
        except (OSError, subprocess.SubprocessError) as exc:
            self.log(f"no spare shell: {exc!r}")
            return
        with self.lock:
            if self.spare is None:
                self.spare, shell = shell, None
        if shell is not None:
            shell.discard()
