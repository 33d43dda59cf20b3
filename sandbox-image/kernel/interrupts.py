"""How the kernel takes an interrupt (timeout, Stop, Ctrl-C): a KeyboardInterrupt in the user's
code, never in the middle of a protocol message, and never when nothing runs."""

import contextlib
import signal
import threading


class Interrupts:
    """Mixed into the Kernel: needs main_ident, lock, interruptible, critical, deferred_interrupt,
    running_id, received_id and early_interrupt."""

    def on_sigint(self, signum, frame):
        __tracebackhide__ = True  # IPython leaves this frame out of the user's traceback
        if not self.interruptible:
            return  # nothing runs (or it just finished): an interrupt must not hurt the kernel
        if self.critical:
            self.deferred_interrupt = True  # raised once the protocol message is fully written
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def uninterruptible(self):
        """Defers a KeyboardInterrupt on the main thread until the block is over, so a protocol
        message is never cut in half."""
        __tracebackhide__ = True  # a deferred interrupt is raised here: not the user's frame
        on_main = threading.get_ident() == self.main_ident
        if on_main:
            self.critical += 1
        try:
            yield
        finally:
            if on_main:
                self.critical -= 1
                if not self.critical and self.deferred_interrupt:
                    self.deferred_interrupt = False
                    if self.interruptible:
                        raise KeyboardInterrupt

    def interrupt(self, exec_id):
        with self.lock:
            if self.interruptible and (exec_id is None or exec_id == self.running_id):
                signal.pthread_kill(self.main_ident, signal.SIGINT)
            elif exec_id is not None and exec_id == self.received_id:
                # Sent the moment the host heard the execution started, before its code runs: the
                # code must then not run at all (nothing would interrupt it later).
                self.early_interrupt = exec_id
