"""The file helper's command line: `python3 -E -s -B /opt/sandbox/sbx.py SUBCOMMAND ...`.

One-shot subcommands (filecmds.py) print one JSON object and exit 0, or print {"error": "..."} and
exit 2. The session agent answers the same subcommands in-process (answer()); shell commands run
through the agent (runner.py). Every path is relative to /mnt/data and must resolve (realpath)
inside it (paths.py).
"""

import argparse
import os
import sys

import filecmds
from activity import touch_activity
from counters import cgroup_counters
from fdio import dumps, write_all
from paths import Refusal, is_inside, rel, show


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Refusal(f"{self.prog}: {message}")


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser():
    parser = Parser(prog="sbx.py", description="Sandbox file and shell helper.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("list")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--max", type=positive, default=1000)
    p.set_defaults(func=filecmds.cmd_list)
    p = sub.add_parser("read")
    p.add_argument("path")
    p.add_argument("--offset", type=non_negative, default=0)
    p.add_argument("--lines", type=positive, default=filecmds.READ_DEFAULT_LINES)
    p.set_defaults(func=filecmds.cmd_read)
    p = sub.add_parser("search")
    p.add_argument("pattern")
    p.add_argument("--path")
    p.add_argument("--glob")
    p.add_argument("--max", type=positive, default=100)
    p.set_defaults(func=filecmds.cmd_search)
    for name, func in (("resolve", filecmds.cmd_resolve), ("rm", filecmds.cmd_rm), ("pdfinfo", filecmds.cmd_pdfinfo)):
        p = sub.add_parser(name)
        p.add_argument("path")
        p.set_defaults(func=func)
    p = sub.add_parser("copy")
    p.add_argument("src")
    p.add_argument("dst")
    p.set_defaults(func=filecmds.cmd_copy)
    sub.add_parser("usage").set_defaults(func=filecmds.cmd_usage)
    sub.add_parser("cgroup").set_defaults(func=lambda args: cgroup_counters())
    return parser


def answer(argv):
    """Runs one subcommand: (its result, 0), or ({"error": message}, 2) for a refusal or failure.
    What main() prints, and what the session agent (agent.py) answers to a `call`."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(args), 0
    except Refusal as exc:
        return {"error": str(exc)}, 2
    except OSError as exc:
        message = exc.strerror or str(exc)
        if exc.filename:
            name = os.fsdecode(exc.filename)
            message += f": {show(rel(name) if is_inside(name) else name)}"
        return {"error": message}, 2
    except Exception as exc:  # a bug or an unexpected state: still answer in JSON
        return {"error": f"{type(exc).__name__}: {exc}"}, 2


def main(argv):
    touch_activity()
    result, code = answer(argv)
    write_all(1, dumps(result).encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict"))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
