"""What the agent lets through from the kernel (messages.py), and the protocol document's table."""
import re

import pytest

import messages
from conftest import DOC

OK_OUTPUT = {"type": "output", "id": "e1",
             "output": {"output_type": "stream", "name": "stdout", "text": "hi"}}
OK_DONE = {"type": "done", "id": "e1", "status": "ok",
           "streams": {"stdout": {"bytes": 5000, "savedTo": ".outputs/e1.stdout.txt",
                                  "savedBytes": 5000, "saveTruncated": False}}}
OK_READY = {"type": "ready", "pid": 12, "python": "3.13.5", "warmMs": 800, "seccomp": True,
            "cgroup": {}}


def doc_table(name):
    text = open(DOC, encoding="utf-8").read()
    body = text[text.index(f"<!-- {name}:start -->"):text.index(f"<!-- {name}:end -->")]
    rows = {}
    for line in body.splitlines():
        m = re.match(r"^\| `([\w-]+)` \| (.*) \|$", line.strip())
        if m:
            required = re.findall(r"(?<!\[)`(\w+)`(?!\])", m.group(2))
            optional = re.findall(r"\[`(\w+)`\]", m.group(2))
            rows[m.group(1)] = (sorted(required), sorted(optional))
    return rows


def test_the_document_lists_what_the_kernel_may_send():
    rows = doc_table("kernel-messages")
    assert sorted(rows) == sorted(messages.KERNEL_MESSAGES)
    for kind, (required, optional) in messages.KERNEL_MESSAGES.items():
        assert rows[kind] == (sorted(set(required) - {"type"}), sorted(optional)), kind


@pytest.mark.parametrize("msg", [
    OK_OUTPUT,
    {**OK_OUTPUT, "displayId": "d1", "update": True},
    {"type": "output", "id": "e1", "output": {"output_type": "display_data",
                                              "data": {"text/plain": "x"}, "metadata": {}}},
    {"type": "output", "id": "e1", "output": {"output_type": "execute_result", "data": {},
                                              "metadata": {}, "execution_count": 3}},
    {"type": "output", "id": "e1", "output": {"output_type": "error", "ename": "E",
                                              "evalue": "v", "traceback": ["a"]}},
    {"type": "clear_output", "id": "e1", "wait": True},
    {"type": "stream_gap", "id": "e1", "name": "stderr", "omittedBytes": 3},
    OK_DONE,
    {**OK_DONE, "status": "interrupted", "streams": {}},
])
def test_passes_what_an_execution_produces(msg):
    assert messages.check_from_kernel(msg, "e1") is msg


@pytest.mark.parametrize("what,msg", [
    ("another execution's id", {**OK_OUTPUT, "id": "e2"}),
    ("a type the kernel may not send", {"type": "result", "id": "e1", "ok": True}),
    ("a hello", {"type": "hello", "id": "e1", "agentPid": 1}),
    ("a kernel-state", {"type": "kernel-state", "id": "e1", "state": "ready"}),
    ("ready during an execution", {**OK_READY, "id": "e1"}),
    ("a started", {"type": "started", "id": "e1", "pid": 1}),
    ("a lost", {"type": "lost", "id": "e1"}),
    ("not an object", ["output"]),
    ("an extra field", {**OK_OUTPUT, "files": []}),
    ("files in done", {**OK_DONE, "files": [{"path": "../../etc/FORGED.txt"}]}),
    ("usage in done", {**OK_DONE, "usageBytes": 1}),
    ("a done status the kernel cannot have", {**OK_DONE, "status": "timeout"}),
    ("a saved stream elsewhere", {**OK_DONE, "streams": {"stdout": {
        **OK_DONE["streams"]["stdout"], "savedTo": "../../etc/passwd"}}}),
    ("a saved stream of another execution", {**OK_DONE, "streams": {"stdout": {
        **OK_DONE["streams"]["stdout"], "savedTo": ".outputs/e2.stdout.txt"}}}),
    ("a negative byte count", {**OK_DONE, "streams": {"stdout": {
        **OK_DONE["streams"]["stdout"], "bytes": -1}}}),
    ("a boolean as a count", {"type": "stream_gap", "id": "e1", "name": "stdout",
                              "omittedBytes": True}),
    ("a stream named stdin", {"type": "output", "id": "e1",
                              "output": {"output_type": "stream", "name": "stdin", "text": ""}}),
    ("an unknown output type", {"type": "output", "id": "e1", "output": {"output_type": "x"}}),
    ("a traceback that is not a list", {"type": "output", "id": "e1", "output": {
        "output_type": "error", "ename": "E", "evalue": "v", "traceback": "t"}}),
    ("a huge display id", {**OK_OUTPUT, "displayId": "d" * 10_000}),
    ("clear_output without wait", {"type": "clear_output", "id": "e1"}),
])
def test_drops_anything_else(what, msg):
    with pytest.raises(messages.Invalid):
        messages.check_from_kernel(msg, "e1")


def test_ready_is_typed():
    assert messages.check_ready(OK_READY) is OK_READY
    for bad in ({**OK_READY, "pid": "12"}, {**OK_READY, "seccomp": "yes"},
                {**OK_READY, "extra": 1}, {"type": "ready"}):
        with pytest.raises(messages.Invalid):
            messages.check_ready(bad)


def test_the_saved_stream_path_is_the_kernels():
    assert messages.saved_stream_path("e1", "stdout") == ".outputs/e1.stdout.txt"
    assert messages.saved_stream_path("../x y", "stderr") == ".outputs/.._x_y.stderr.txt"


def test_done_is_built_in_one_place():
    done = messages.build_done("e1", "ok", 12, [{"path": "a"}], {"stdout": {}}, usageBytes=4)
    assert done == {"type": "done", "id": "e1", "status": "ok", "durationMs": 12,
                    "files": [{"path": "a"}], "streams": {"stdout": {}}, "usageBytes": 4}
    assert messages.build_done("e2", "interrupted", 0, notStarted=True)["notStarted"] is True
