"""The kernel's IPython shell: what ipykernel's ZMQInteractiveShell adds to a bare InteractiveShell,
without ZMQ, a frontend or a way to start processes.

- `%matplotlib inline` (the default, as in Jupyter), `%matplotlib` with a GUI name falls back to
  inline with a note, `%config InlineBackend.*` through matplotlib_inline (Debian's package);
- display() / the last expression / rich reprs become nbformat outputs through the kernel;
- figures still open at the end of a cell are shown once (a figure already displayed is not shown
  again), then closed;
- `?`/`??` help is printed instead of paged;
- `!cmd`, `%%bash`, `%sx`, `%pip` … and input() end in an error that says what to do instead
  (the shell tool: shell commands are timed and audited there, outside the kernel's seccomp filter);
- `import ipywidgets` says widgets need a notebook frontend.
"""

import base64
import builtins
import getpass
import importlib.abc
import importlib.util
import re
import sys
import os
import weakref

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.formatters import DisplayFormatter
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, magics_class, line_cell_magic, line_magic
from traitlets import Type
from traitlets.config import Config

import matplotlib
from matplotlib.figure import Figure

# Where the sandbox's own modules live (this file's folder, /opt/sandbox in the image).
SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

SHELL_TOOL_HINT = ("The Python kernel cannot start processes (the sandbox blocks it). Run shell "
                   "commands with the runShellCommand tool (CLI: `code-interpreter shell`); they run "
                   "in /mnt/data too, with their own timeout.")
NO_INSTALL_HINT = ("Packages cannot be installed while the sandbox runs: it has no network and its "
                   "system is read-only. Use what the image provides (pandas, numpy, matplotlib, "
                   "seaborn, scipy, scikit-learn, statsmodels, plotly …) or ask for the package to be "
                   "added to the sandbox image.")
INPUT_HINT = ("{what} waits for someone to type an answer, and the sandbox has no keyboard: nothing "
              "would ever answer. Set the value in the code instead (for example `answer = \"yes\"`), "
              "or read it from a file in /mnt/data.")
WIDGETS_HINT = ("{name} needs a live notebook frontend (the Jupyter widget protocol), which the "
                "sandbox doesn't have, so interactive widgets can't be shown here. Show results as "
                "static output instead: print or display() tables, matplotlib or plotly charts.")
WIDGET_MODULES = ("ipywidgets", "ipyleaflet", "ipympl", "ipyvolume", "bqplot")
# Values for `%matplotlib X` that name a GUI or frontend-dependent backend: no display here.
INLINE_EQUIVALENTS = (None, "inline", "auto")


def safe_str(value):
    try:
        return str(value)
    except Exception:  # a user exception whose __str__ fails
        return f"<unprintable {type(value).__name__}>"


def jsonable_bundle(data):
    """Mime bundles may carry bytes (PNG/JPEG formatters): nbformat wants them base64-encoded."""
    return {mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in (data or {}).items()}


class SandboxDisplayHook(DisplayHook):
    """The last expression of a cell becomes an `execute_result`."""

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self.shell.kernel.emit_output({
            "output_type": "execute_result", "execution_count": self.prompt_count,
            "data": jsonable_bundle(format_dict), "metadata": md_dict or {}})

    def finish_displayhook(self):
        pass  # the default writes a separator to stdout


class SandboxDisplayPublisher(DisplayPublisher):
    """display() becomes `display_data`; a display handle's update() replaces it; clear_output()
    clears the cell's outputs (the host applies both to the execution's record)."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        self.shell.kernel.emit_output({"output_type": "display_data",
                                       "data": jsonable_bundle(data), "metadata": metadata or {}},
                                      display_id=(transient or {}).get("display_id"), update=update)

    def clear_output(self, wait=False):
        self.shell.kernel.emit_clear(wait)


class FigureTrackingFormatter(DisplayFormatter):
    """Remembers which figures were displayed in the current cell, so the end-of-cell flush shows
    each figure once (Jupyter shows `fig` as the last expression twice)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shown = weakref.WeakSet()

    def format(self, obj, include=None, exclude=None):
        if isinstance(obj, Figure):
            self.shown.add(obj)
        return super().format(obj, include=include, exclude=exclude)


def _refusal(name):
    """A line/cell magic that refuses, saying which tool runs shell commands."""
    def magic(self, line="", cell=None):
        command = (line + ("\n" + cell if cell else "")).strip()
        shown = f" ({command[:200]})" if command else ""
        raise UsageError(f"%{name}{shown}: {SHELL_TOOL_HINT}")
    magic.__name__ = name
    magic.__doc__ = f"Refused in the sandbox's Python kernel: {SHELL_TOOL_HINT}"
    return line_cell_magic(magic)


@magics_class
class SandboxMagics(Magics):
    """Magics whose IPython versions start processes or install packages: a clear refusal."""

    bash = _refusal("bash")
    sh = _refusal("sh")
    script = _refusal("script")
    perl = _refusal("perl")
    ruby = _refusal("ruby")
    python2 = _refusal("python2")
    python3 = _refusal("python3")
    pypy = _refusal("pypy")
    sx = _refusal("sx")
    system = _refusal("system")
    killbgscripts = _refusal("killbgscripts")

    @line_magic
    def pip(self, line=""):
        raise UsageError(f"%pip {line}".strip() + ": " + NO_INSTALL_HINT)

    @line_magic
    def conda(self, line=""):
        raise UsageError(f"%conda {line}".strip() + ": " + NO_INSTALL_HINT)


class WidgetFinder(importlib.abc.MetaPathFinder):
    """`import ipywidgets` (not in the image) explains why, instead of a bare ModuleNotFoundError."""

    def __init__(self, missing):
        self.missing = frozenset(missing)

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.missing:
            __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
            raise ModuleNotFoundError(WIDGETS_HINT.format(name=top), name=fullname)
        return None


def print_page(shell, data, start=0, screen_lines=0, pager_cmd=None):
    """IPython's show_in_pager hook (bound to the shell): the text goes to stdout."""
    text = data.get("text/plain", "") if isinstance(data, dict) else safe_str(data)
    lines = ANSI_ESCAPE.sub("", text).splitlines()
    print("\n".join(lines[max(0, start):]))


def no_input(prompt=""):
    __tracebackhide__ = True  # noqa: F841
    raise StdinNotImplementedError(INPUT_HINT.format(what="input()"))


def no_getpass(prompt="Password: ", stream=None):
    __tracebackhide__ = True  # noqa: F841
    raise StdinNotImplementedError(INPUT_HINT.format(what="getpass()"))


class SandboxShell(InteractiveShell):
    displayhook_class = Type(SandboxDisplayHook)
    display_pub_class = Type(SandboxDisplayPublisher)
    kernel = None

    def init_display_formatter(self):
        self.display_formatter = FigureTrackingFormatter(parent=self)
        self.configurables.append(self.display_formatter)

    def init_hooks(self):
        super().init_hooks()
        # Help (`obj?`) is printed: a pager would need a terminal (and start `less`).
        self.set_hook("show_in_pager", print_page, 99)

    # -- matplotlib: what ipykernel's shell supports, with no GUI event loop ----------------------
    def enable_gui(self, gui=None):
        if gui not in INLINE_EQUIVALENTS:
            raise UsageError(f"The {gui} GUI event loop needs a display, which the sandbox doesn't have.")

    def enable_matplotlib(self, gui=None):
        if gui not in INLINE_EQUIVALENTS and gui != "agg":
            print(f"%matplotlib {gui}: the sandbox has no display or interactive frontend, so "
                  "figures are shown inline (as with %matplotlib inline).", file=sys.stderr)
            gui = "inline"
        result = super().enable_matplotlib(gui)
        # Our flush (the kernel calls it after each cell) replaces matplotlib_inline's, which
        # configure_inline_support registers each time: ours also shows figures drawn without
        # pyplot's drawing calls, skips empty ones, and shows each figure once.
        from matplotlib_inline import backend_inline
        while backend_inline.flush_figures in self.events.callbacks["post_execute"]:
            self.events.unregister("post_execute", backend_inline.flush_figures)
        return result

    def figures_to_show(self):
        """Figures open at the end of a cell that were not displayed during it."""
        from matplotlib._pylab_helpers import Gcf
        shown = self.display_formatter.shown
        for manager in Gcf.get_all_fig_managers():
            fig = manager.canvas.figure
            if fig not in shown and (fig.axes or fig.lines or fig.texts or fig.images or fig.patches):
                yield fig

    def flush_figures(self):
        """Show the cell's open figures (each once), then close them all, as Jupyter's inline
        backend does with InlineBackend.close_figures (the default)."""
        import matplotlib.pyplot as plt
        from IPython.display import display
        try:
            from matplotlib_inline.backend_inline import _fetch_figure_metadata
        except ImportError:
            def _fetch_figure_metadata(fig):
                return None
        try:
            for fig in list(self.figures_to_show()):
                display(fig, metadata=_fetch_figure_metadata(fig))
        finally:
            plt.close("all")
            self.display_formatter.shown.clear()

    # -- no processes: shell escapes and aliases ------------------------------------------------
    # UsageError: IPython shows its message alone (no traceback through this file), as ipykernel does.
    def system(self, cmd):
        raise UsageError(f"!{cmd}: {SHELL_TOOL_HINT}")

    system_piped = system_raw = system

    def getoutput(self, cmd, split=True, depth=0):
        raise UsageError(f"!{cmd}: {SHELL_TOOL_HINT}")

    def ask_exit(self):
        """exit()/quit() in a cell: the session's kernel lives on."""
        print("exit() has no effect here: the kernel keeps running. Restart the session to get "
              "a fresh kernel.", file=sys.stderr)

    def _get_exc_info(self, exc_tuple=None):
        """The exception a traceback is shown for, without the sandbox's own frames at its end (the
        SIGINT handler that raises KeyboardInterrupt marks itself with __tracebackhide__)."""
        etype, value, tb = super()._get_exc_info(exc_tuple)
        kept, t = None, tb
        while t is not None:
            frame = t.tb_frame
            if frame.f_code.co_filename.startswith(SANDBOX_DIR) and frame.f_locals.get("__tracebackhide__"):
                if kept is not None:
                    kept.tb_next = None
                break
            kept, t = t, t.tb_next
        return etype, value, tb

    def _showtraceback(self, etype, evalue, stb):
        self.kernel.emit_output({
            "output_type": "error", "ename": getattr(etype, "__name__", safe_str(etype)),
            "evalue": safe_str(evalue), "traceback": [ANSI_ESCAPE.sub("", s) for s in stb]})


def make_shell():
    """The shell, in inline-matplotlib mode, with the sandbox's refusals installed."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no sqlite file, no history thread
    shell = SandboxShell.instance(config=config, colors="NoColor")
    shell.InteractiveTB.set_colors("NoColor")
    shell.register_magics(SandboxMagics)
    builtins.input = no_input
    getpass.getpass = no_getpass
    missing = {m for m in WIDGET_MODULES if importlib.util.find_spec(m) is None}
    if missing:
        sys.meta_path.insert(0, WidgetFinder(missing))

    # %matplotlib inline, as a Jupyter kernel starts (MPLBACKEND makes a bare `%matplotlib` pick it).
    matplotlib.use(INLINE_BACKEND)
    shell.enable_matplotlib("inline")
    return shell
