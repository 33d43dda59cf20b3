"""One host attached to the agent: its requests (helper calls, shell commands, Python, pings) and
the answers and events sent back on it (docs/kernel-protocol.md, "The session agent")."""

import json
import os
import socket
import struct
import subprocess
import threading
import traceback

import boundary
import runner
import sbx
from paths import Refusal
from activity import touch_activity
from diag import diag
from fdio import dumps
from limits import DATA_ROOT, HOST_LIMITS
from reaper import reap_run, shell_roots

RECV_CHUNK = 1 << 16
UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
CREDS_SPACE = socket.CMSG_SPACE(UCRED.size)
SBX_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sbx.py")
# Subcommands a `call` does not run in this process: `shell` has its own request, and pdfinfo
# parses untrusted PDFs with a C library (MuPDF), whose crash must not take the agent down.
CALL_IN_CHILD = {"pdfinfo"}
NO_THREAD = ("The sandbox could not take the request: its process limit is reached (every process "
             "and thread it may have is in use). End the processes that hold it (the call that "
             "started them is stopped at its timeout) and try again.")


class Connection:
    """One attached host. Sends are serialised by a write lock; a failed send closes the socket
    and later sends are dropped (a closed connection's shell commands run on silently)."""

    counter = 0

    def __init__(self, agent, sock, peer_pid):
        Connection.counter += 1
        self.number = Connection.counter
        self.agent = agent
        self.sock = sock
        self.peer_pid = peer_pid
        self.wlock = threading.Lock()
        self.open = True
        self.shells = {}  # id -> CancelSignal of its running shell commands

    def __repr__(self):
        return f"connection {self.number} (peer {self.peer_pid})"

    def send(self, obj):
        self.send_raw(dumps(obj).encode("ascii"))

    def send_raw(self, data):
        with self.wlock:
            if not self.open:
                return
            try:
                self.sock.sendall(data)
            except OSError as exc:
                diag(f"{self}: send failed ({exc}), closing it")
                self.shutdown()

    def shutdown(self):
        """Ends the connection; the reader thread sees the end and cleans up."""
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, req_id, value=None, error=None):
        if error is None:
            self.send({"type": "result", "id": req_id, "ok": True, "value": value})
        else:
            self.send({"type": "result", "id": req_id, "ok": False, "error": error})

    def serve(self):
        """The reader thread: hello, then one request per line until the host goes away."""
        try:
            self.send({"type": "hello", "agentPid": os.getpid(),
                       "kernel": self.agent.kernels.snapshot()})
            buffer = bytearray()
            while True:
                try:
                    data, ancillary, _, _ = self.sock.recvmsg(RECV_CHUNK, CREDS_SPACE)
                except OSError:
                    break
                if not data:
                    break
                if self.agent.written_by_kernel(ancillary):
                    diag(f"{self}: the kernel process wrote to it; closing it")
                    break
                scan = len(buffer)  # a long line arriving in pieces is not searched again
                buffer += data
                start = 0
                while (end := buffer.find(b"\n", scan)) >= 0:
                    line = bytes(buffer[start:end])
                    start = scan = end + 1
                    if line.strip():
                        try:
                            self.handle(line)
                        except Exception:  # one bad request must not end the connection
                            diag(f"{self}: request failed:\n{traceback.format_exc()}")
                del buffer[:start]
        except Exception:
            diag(f"{self}: reader failed:\n{traceback.format_exc()}")
        finally:
            self.open = False
            try:
                self.sock.close()
            except OSError:
                pass
            self.agent.closed(self)

    def handle(self, line):
        touch_activity()
        try:
            msg = json.loads(line)
        except ValueError:
            diag(f"{self}: ignoring a line that is not JSON: {line[:200]!r}")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("id"), (str, int)):
            diag(f"{self}: ignoring a message without an id: {line[:200]!r}")
            return
        req_id, kind = msg["id"], msg.get("type")
        if kind == "ping":  # answered on the reader thread: the host's check that we are alive
            self.answer(req_id, value={"agentPid": os.getpid()})
        elif kind == "call":
            self.spawn_or_refuse(req_id, self.run_call, req_id, msg.get("argv"))
        elif kind == "shell":
            self.submit_shell(req_id, msg)
        elif kind == "cancel":
            cancel = self.shells.get(req_id)
            if cancel is not None:
                cancel.set()
            else:  # still waiting in the queue
                self.agent.kernels.interrupt(self, req_id)
        elif kind == "kernel":
            self.spawn_or_refuse(req_id, self.run_kernel_action, req_id, msg.get("action"))
        elif kind == "execute":
            code = msg.get("code")
            self.agent.kernels.submit(self, req_id, code if isinstance(code, str) else "")
        elif kind == "interrupt":
            self.agent.kernels.interrupt(self, req_id)
        else:
            self.answer(req_id, error=f"unknown request type {kind!r}")

    # -- helper calls -------------------------------------------------------------------------------
    def run_call(self, req_id, argv):
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            self.answer(req_id, error="call expects argv, a non-empty list of strings")
            return
        touch_activity()
        changes = self.agent.changes
        if argv[0] == "changed":  # the host wrote there from outside (an upload)
            changes.note(argv[-1])
            self.answer(req_id, value={"ok": True})
            return
        if argv[0] == "usage" and (usage := changes.usage()) is not None:
            self.answer(req_id, value=usage)
            return
        if argv[0] in CALL_IN_CHILD:
            result, code = call_in_child(argv)
        else:
            try:
                result, code = sbx.answer(argv)
            except SystemExit:  # argparse's --help
                result, code = {"error": "sbx.py: help is not available through the agent"}, 2
        if code == 0:
            self.answer(req_id, value=result)
        else:
            self.answer(req_id, error=str(result.get("error")))

    def spawn_or_refuse(self, req_id, target, *args):
        """Runs a request on its own thread; when no thread can be started (a fork bomb holds every
        process the sandbox may have), the request is refused instead of left unanswered."""
        try:
            spawn(target, *args)
            return True
        except RuntimeError as exc:
            diag(f"{self}: no thread for request {req_id!r}: {exc}")
            self.answer(req_id, error=NO_THREAD)
            return False

    # -- shell commands -----------------------------------------------------------------------------
    def submit_shell(self, req_id, msg):
        """A shell command waits in the same queue as Python executions: code from any host never
        interleaves with another host's."""
        try:
            exec_id, command, timeout = runner.parse_shell_request(msg)
        except Refusal as exc:
            self.answer(req_id, error=str(exc))
            return
        if req_id in self.shells:
            self.answer(req_id, error=f"a shell command with id {req_id!r} is running")
            return
        self.agent.kernels.submit(self, req_id, None, shell=(exec_id, command, timeout))

    def launch_shell(self, job):
        """Called by the queue when the command's turn comes; the queue moves on when it ends."""
        exec_id, command, timeout = job.shell
        cancel = runner.CancelSignal()
        self.shells[job.id] = cancel
        if not self.open:
            cancel.set()  # its host went away while it waited
        if not self.spawn_or_refuse(job.id, self.run_shell, job.id, exec_id, command, timeout, cancel):
            self.shells.pop(job.id, None)
            cancel.close()
            self.agent.kernels.finished(job)

    def run_shell(self, req_id, exec_id, command, timeout, cancel):
        try:
            killed = runner.run_shell(exec_id, command, timeout, self, cancel, roots=shell_roots,
                                      changes=self.agent.changes, spare=self.agent.spare_shell)
            reap_run(killed)
            self.agent.spare_shell.refill()
        except Refusal as exc:
            self.answer(req_id, error=str(exc))
        except OSError as exc:
            self.answer(req_id, error=exc.strerror or str(exc))
        except Exception as exc:
            diag(f"{self}: shell {req_id!r} failed:\n{traceback.format_exc()}")
            self.answer(req_id, error=f"{type(exc).__name__}: {exc}")
        finally:
            self.shells.pop(req_id, None)
            cancel.close()
            self.agent.kernels.finished_shell(self, req_id)

    # -- the kernel ---------------------------------------------------------------------------------
    def run_kernel_action(self, req_id, action):
        kernels = self.agent.kernels
        try:
            if action == "status":
                self.answer(req_id, value=kernels.snapshot())
            elif action == "start":
                ok, value = kernels.start()
                self.answer(req_id, value=value) if ok else self.answer(req_id, error=value)
            elif action == "restart":
                kernels.kill()
                ok, value = kernels.start()
                self.answer(req_id, value=value) if ok else self.answer(req_id, error=value)
            elif action == "kill":
                self.answer(req_id, value=kernels.kill())
            else:
                self.answer(req_id, error=f"unknown kernel action {action!r}")
        except Exception as exc:
            diag(f"{self}: kernel {action!r} failed:\n{traceback.format_exc()}")
            self.answer(req_id, error=f"{type(exc).__name__}: {exc}")


def call_in_child(argv):
    """Runs a subcommand as `python3 sbx.py ...` (its own process) and reads its one JSON answer."""
    env = dict(os.environ, **{f"SBX_{k}": v for k, v in HOST_LIMITS.items() if k != "AGENT"})
    proc = subprocess.run(boundary.python_argv(SBX_SCRIPT, *argv), cwd=DATA_ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        detail = proc.stderr.decode("utf-8", "replace").strip()[-1000:]
        return {"error": f"The helper failed ({argv[0]}, exit {proc.returncode}): {detail}"}, 2
    return result, 0 if proc.returncode == 0 and "error" not in result else 2


def spawn(target, *args):
    threading.Thread(target=target, args=args, daemon=True).start()
