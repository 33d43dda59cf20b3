"""The spare shell (prepared.py): a bash started ahead runs a command as `bash -c` would."""
import os
import select
import time

import prepared


def run(shell, command):
    shell.run(command)
    out = {"stdout": b"", "stderr": b""}
    deadline = time.monotonic() + 10
    while shell.proc.poll() is None and time.monotonic() < deadline:
        select.select(list(shell.fds), [], [], 0.05)
        for fd, name in shell.fds.items():
            try:
                out[name] += os.read(fd, 65536)
            except BlockingIOError:
                pass
    for fd, name in shell.fds.items():
        try:
            out[name] += os.read(fd, 65536)
        except BlockingIOError:
            pass
    code = shell.proc.wait()
    shell.close_fds()
    return code, out["stdout"].decode(), out["stderr"].decode()


def test_runs_the_command_with_its_exit_status_output_and_marker(monkeypatch, tmp_path):
    monkeypatch.setattr(prepared, "DATA_ROOT", str(tmp_path))
    shell = prepared.PreparedShell()
    assert shell.alive()
    code, out, err = run(shell, 'echo "hi $SBX_RUN_ID" $(pwd); echo oops >&2; f() { return 3; }; f; exit $?')
    assert code == 3
    assert out.startswith(f"hi {shell.marker_value} {tmp_path}")
    assert err == "oops\n"


def test_quoting_newlines_and_syntax_errors_behave_as_bash_c(monkeypatch, tmp_path):
    monkeypatch.setattr(prepared, "DATA_ROOT", str(tmp_path))
    code, out, _ = run(prepared.PreparedShell(), "printf '%s|' 'a b' \"c\\\"d\"\necho\ncat <<EOF\nx $((1+2))\nEOF")
    assert (code, out) == (0, 'a b|c"d|\nx 3\n')
    code, _, err = run(prepared.PreparedShell(), "if then")
    assert code == 2 and "syntax error" in err


def test_a_dead_spare_or_a_command_with_a_nul_gets_a_fresh_bash(monkeypatch, tmp_path):
    monkeypatch.setattr(prepared, "DATA_ROOT", str(tmp_path))
    spare = prepared.SpareShell()
    spare._make()
    assert spare.take("echo \0 x") is None and spare.spare is None
    spare._make()
    spare.spare.discard()
    assert spare.take("echo x") is None
    spare._make()
    taken = spare.take("echo x")
    assert taken is not None and spare.spare is None
    taken.discard()
