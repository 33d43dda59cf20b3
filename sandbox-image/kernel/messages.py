"""What the kernel may tell the agent, checked where the agent receives it, and the `done` the agent
builds (docs/kernel-protocol.md).

The kernel runs user code, so everything it writes is a claim (user code can reach the kernel's
protocol descriptor). During an execution only `output`, `clear_output`, `stream_gap` and `done`
pass, each with exactly its fields, typed and bounded; `done` gives only the code's status and its
streams' counts. Files changed, disk usage, limit hits and timing come from the agent's own
measures, and `done` is built in one place: build_done().
"""

import re

# Each message the kernel may send: (required fields, optional fields). docs/kernel-protocol.md
# lists the same (test_messages.py checks).
KERNEL_MESSAGES = {
    "ready": (("type", "pid", "python", "warmMs", "seccomp", "cgroup"), ()),
    "output": (("type", "id", "output"), ("displayId", "update")),
    "clear_output": (("type", "id", "wait"), ()),
    "stream_gap": (("type", "id", "name", "omittedBytes"), ()),
    "done": (("type", "id", "status", "streams"), ()),
}
STREAM_NAMES = ("stdout", "stderr")
KERNEL_STATUSES = ("ok", "error", "interrupted")
MAX_ID_CHARS = 200


class Invalid(ValueError):
    """A kernel message the agent drops (and logs)."""


def _keys(obj, required, optional=()):
    if not isinstance(obj, dict):
        raise Invalid("not an object")
    keys = set(obj)
    missing = set(required) - keys
    extra = keys - set(required) - set(optional)
    if missing:
        raise Invalid(f"missing {sorted(missing)}")
    if extra:
        raise Invalid(f"unexpected {sorted(extra)[:5]}")


def _int(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Invalid(f"{what} must be a whole number >= 0")
    return value


def _str(value, what, max_chars=None):
    if not isinstance(value, str) or (max_chars is not None and len(value) > max_chars):
        raise Invalid(f"{what} must be a string" + (f" of at most {max_chars} characters"
                                                    if max_chars else ""))
    return value


def _bundle(data, what):
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise Invalid(f"{what} must be an object with string keys")


def check_output(output):
    """An nbformat v4 output as the kernel makes them."""
    kind = output.get("output_type") if isinstance(output, dict) else None
    if kind == "stream":
        _keys(output, ("output_type", "name", "text"))
        if output["name"] not in STREAM_NAMES:
            raise Invalid("a stream is stdout or stderr")
        _str(output["text"], "text")
    elif kind == "display_data":
        _keys(output, ("output_type", "data", "metadata"))
        _bundle(output["data"], "data")
        _bundle(output["metadata"], "metadata")
    elif kind == "execute_result":
        _keys(output, ("output_type", "data", "metadata", "execution_count"))
        _bundle(output["data"], "data")
        _bundle(output["metadata"], "metadata")
        if output["execution_count"] is not None:
            _int(output["execution_count"], "execution_count")
    elif kind == "error":
        _keys(output, ("output_type", "ename", "evalue", "traceback"))
        _str(output["ename"], "ename")
        _str(output["evalue"], "evalue")
        if not isinstance(output["traceback"], list) or \
                not all(isinstance(line, str) for line in output["traceback"]):
            raise Invalid("traceback must be a list of strings")
    else:
        raise Invalid(f"unknown output_type {kind!r}")


def saved_stream_path(exec_id, name):
    """Where the kernel saves a long stream of an execution (capture.StreamCapture)."""
    part = re.sub(r"[^A-Za-z0-9._-]", "_", str(exec_id))[:100] or "_"
    return f".outputs/{part}.{name}.txt"


def check_streams(streams, exec_id):
    """`done`'s streams: counts per stream, and the one path the kernel may have saved it to."""
    _keys(streams, (), STREAM_NAMES)
    for name, info in streams.items():
        _keys(info, ("bytes", "savedTo", "savedBytes", "saveTruncated"))
        _int(info["bytes"], "bytes")
        _int(info["savedBytes"], "savedBytes")
        if not isinstance(info["saveTruncated"], bool):
            raise Invalid("saveTruncated must be true or false")
        if info["savedTo"] is not None and info["savedTo"] != saved_stream_path(exec_id, name):
            raise Invalid(f"savedTo must be {saved_stream_path(exec_id, name)!r} or null")
    return streams


def check_from_kernel(msg, exec_id):
    """The message, when the kernel may send it about the running execution `exec_id`; raises
    Invalid otherwise."""
    kind = msg.get("type") if isinstance(msg, dict) else None
    if kind not in KERNEL_MESSAGES or kind == "ready":
        raise Invalid(f"type {kind!r} may not come from the kernel during an execution")
    if msg.get("id") != exec_id:
        raise Invalid("about no running execution")
    _keys(msg, *KERNEL_MESSAGES[kind])
    if kind == "output":
        check_output(msg["output"])
        if "displayId" in msg:
            _str(msg["displayId"], "displayId", MAX_ID_CHARS)
        if "update" in msg and not isinstance(msg["update"], bool):
            raise Invalid("update must be true or false")
    elif kind == "clear_output":
        if not isinstance(msg["wait"], bool):
            raise Invalid("wait must be true or false")
    elif kind == "stream_gap":
        if msg["name"] not in STREAM_NAMES:
            raise Invalid("a stream is stdout or stderr")
        _int(msg["omittedBytes"], "omittedBytes")
    else:  # done: the kernel's own fields are its status and its streams' counts
        if msg["status"] not in KERNEL_STATUSES:
            raise Invalid(f"status must be one of {KERNEL_STATUSES}")
        check_streams(msg["streams"], exec_id)
    return msg


def check_ready(msg):
    """The kernel's `ready` (sent before any user code ran): the facts it reports, typed."""
    if not isinstance(msg, dict) or msg.get("type") != "ready":
        raise Invalid("not a ready message")
    _keys(msg, *KERNEL_MESSAGES["ready"])
    _int(msg["pid"], "pid")
    _str(msg["python"], "python", 40)
    _int(msg["warmMs"], "warmMs")
    if not isinstance(msg["seccomp"], bool):
        raise Invalid("seccomp must be true or false")
    _bundle(msg["cgroup"], "cgroup")
    return msg


def build_done(exec_id, status, duration_ms, files=(), streams=None, **fields):
    """The one `done` the agent sends for an execution or a shell command (fields: usageBytes,
    limitHits, exitCode, notStarted, as measured by the agent)."""
    return {"type": "done", "id": exec_id, "status": status, "durationMs": duration_ms,
            "files": list(files), "streams": streams or {}, **fields}
