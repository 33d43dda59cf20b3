"""The kernel's fd 1/2 capture: a thread that reads the pipes and forwards their bytes as the
running execution's streams, and the sys.stdout/sys.stderr that keep their order."""

import io
import os
import select
import threading
import time

from capture import Capture
from fdio import bytes_available, drain_fd, read_nonblocking, set_nonblocking


class OutputPump(threading.Thread):
    """Reads the fd 1/2 pipes and forwards their bytes as the current execution's streams.

    It only reads while an execution is active; bytes written between executions (by a leftover
    thread) stay in the pipe and are reported by the next execution. sync() makes it forward every
    byte written before the call; sync(stop=True) additionally ends the execution's capture."""

    def __init__(self, channel, fds):
        super().__init__(name="sbx-output-pump", daemon=True)
        self.channel = channel
        self.fds = fds                      # {"stdout": read fd, "stderr": read fd}
        self.names = {fd: name for name, fd in fds.items()}
        self.wake_r, self.wake_w = os.pipe()
        set_nonblocking(self.wake_r)
        self.cond = threading.Condition()
        self.capture = None
        self.requested = 0                  # sync requests made / served, so a waiter
        self.served = 0                     # knows its own request was served
        self.stop_requested = False

    def begin(self, exec_id):
        with self.cond:
            self.capture = Capture(self.channel, exec_id)
            self.cond.notify_all()

    def sync(self, stop=False):
        """Returns the finished Capture when stop=True (None if no execution was active)."""
        with self.cond:
            capture = self.capture
            if capture is None:
                return None
            self.requested += 1
            ticket = self.requested
            if stop:
                self.stop_requested = True
            os.write(self.wake_w, b"x")
            while self.served < ticket:
                self.cond.wait()
            return capture

    def run(self):
        poller = select.poll()
        for fd in (*self.fds.values(), self.wake_r):
            poller.register(fd, select.POLLIN)
        while True:
            with self.cond:
                while self.capture is None:
                    self.cond.wait()
                capture = self.capture
            deadline = capture.flush_deadline()
            timeout = None if deadline is None else max(0, (deadline - time.monotonic()) * 1000)
            woken = False
            for fd, _ in poller.poll(timeout):
                if fd == self.wake_r:
                    while read_nonblocking(self.wake_r):
                        pass
                    woken = True
                else:
                    data = read_nonblocking(fd)
                    if data:
                        capture.feed(self.names[fd], data)
            if woken:
                self._serve(capture)
            else:
                capture.maybe_flush()

    def _serve(self, capture):
        with self.cond:
            ticket, stop = self.requested, self.stop_requested
        # Everything written before the request is in the pipes now: read exactly that much, so a
        # thread that keeps writing cannot keep us here.
        for name, fd in self.fds.items():
            drain_fd(fd, lambda data, name=name: capture.feed(name, data),
                     budget=bytes_available(fd))
        capture.flush()
        with self.cond:
            self.served = ticket
            if stop:
                self.capture = None
                self.stop_requested = False
            self.cond.notify_all()


class OrderedStream(io.TextIOWrapper):
    """sys.stdout / sys.stderr: tells the kernel which stream Python code writes to, so output
    switching between them reaches the host in the order it was written."""
    kernel = None
    stream_name = None

    def write(self, text):
        if self.kernel is not None and self.kernel.last_stream != self.stream_name:
            self.kernel.switch_stream(self.stream_name)
        return super().write(text)
