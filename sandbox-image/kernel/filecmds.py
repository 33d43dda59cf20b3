"""The file tools' one-shot subcommands (list, read, search, resolve, rm, copy, pdfinfo, usage): each
takes parsed arguments and returns its JSON answer, or raises paths.Refusal."""

import base64
import json
import os
import shutil
import stat
import subprocess

from limits import DATA_ROOT, LINE_CUT_CHARS, SEARCH_TEXT_CHARS
from walk import folder_usage
from paths import Refusal, check_real, entry, kind, open_regular, rel, resolve, resolve_parent, show

READ_DEFAULT_LINES = 200
BINARY_SNIFF_BYTES = 8192
COUNT_LINES_MAX_BYTES = 64 * 1024 * 1024   # totalLines is counted for files up to this size
SEARCH_JSON_MAX = 1 << 20                  # longer ripgrep JSON lines are not parsed
PREVIEW_DPI = 100
PREVIEW_MAX_PIXELS = 2000                  # longest side of the PDF preview


def cmd_list(args):
    root = resolve(args.path)
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode):
        return {"entries": [entry(root, st)], "truncated": False}
    entries, truncated = [], False
    queue = [root]  # breadth-first, so a truncated listing keeps the upper levels
    while queue and not truncated:
        folder = queue.pop(0)
        try:
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for child in children:
            if len(entries) >= args.max:
                truncated = True
                break
            try:
                cst = child.stat(follow_symlinks=False)
            except OSError:
                continue
            entries.append(entry(child.path, cst))
            if stat.S_ISDIR(cst.st_mode):
                queue.append(child.path)
    return {"entries": entries, "truncated": truncated}


def read_line(f):
    """One line without its terminator, cut at LINE_CUT_CHARS characters (with a marker), never
    holding more than a bounded amount of it in memory. None at end of file."""
    data = f.readline(LINE_CUT_CHARS * 4 + 4)
    if not data:
        return None
    size = len(data)
    last = data
    if not data.endswith(b"\n"):
        while more := f.readline(1 << 16):  # the rest of an overlong line: counted, not kept
            size += len(more)
            last = more
            if more.endswith(b"\n"):
                break
    size -= len(last) - len(last.rstrip(b"\n").rstrip(b"\r"))  # the terminator is not content
    text = data.rstrip(b"\n").rstrip(b"\r").decode("utf-8", "replace")
    if len(text) > LINE_CUT_CHARS or last is not data:
        text = (text[:LINE_CUT_CHARS] + f" … [line cut at {LINE_CUT_CHARS} characters; the full "
                f"line has {size} bytes]")
    return text


def skip_line(f):
    while True:
        data = f.readline(1 << 16)
        if not data or data.endswith(b"\n"):
            return bool(data)


def count_lines(f, size):
    f.seek(0)
    count, last = 0, b"\n"
    while chunk := f.read(1 << 20):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (1 if size and last != b"\n" else 0)


def cmd_read(args):
    real = resolve(args.path)
    with open_regular(args.path, real) as f:
        if b"\0" in f.read(BINARY_SNIFF_BYTES):
            raise Refusal(f"{show(args.path)} looks like a binary file (it contains NUL bytes), so "
                          "it is not shown as text. Inspect it with Python instead (for example "
                          "open(path, 'rb').read(200)), or with pdfinfo if it is a PDF.")
        f.seek(0)
        skipped = 0
        while skipped < args.offset and skip_line(f):
            skipped += 1
        lines = []
        while len(lines) < args.lines:
            line = read_line(f)
            if line is None:
                break
            lines.append(line)
        eof = f.peek(1) == b""
        size = os.fstat(f.fileno()).st_size
        if eof:
            total = skipped + len(lines)
        elif size <= COUNT_LINES_MAX_BYTES:
            total = count_lines(f, size)
        else:
            total = None
    return {"path": rel(real), "offset": args.offset, "lines": lines, "eof": eof,
            "totalLines": total}


def rg_text(field):
    """ripgrep's JSON gives {"text": ...} or, for non-UTF-8 data, {"bytes": base64}."""
    if "text" in field:
        return field["text"]
    return os.fsdecode(base64.b64decode(field.get("bytes", "")))


def skip_rest(stream, raw):
    """True (after discarding the rest) when `raw` is only the start of an overlong JSON line."""
    if raw.endswith(b"\n"):
        return False
    while (more := stream.readline(SEARCH_JSON_MAX)) and not more.endswith(b"\n"):
        pass
    return True


def overlong_match(raw):
    """A match on a gigantic line: ripgrep's JSON for it is not kept in memory, only its path
    (which comes first) is recovered; the line number comes after the line and is lost."""
    prefix = '{"type":"match","data":{"path":'
    path, _ = json.JSONDecoder().raw_decode(raw.decode("utf-8", "replace"), len(prefix))
    return {"path": os.path.normpath(rg_text(path)), "line": None,
            "text": "[the matching line is too long to show; search with a more specific "
                    "pattern or inspect the file with Python]"}


def cmd_search(args):
    target = resolve(args.path) if args.path else DATA_ROOT
    cmd = ["rg", "--json", "--no-config", "--no-messages", "--regexp", args.pattern]
    if args.glob:
        cmd += ["--glob", args.glob]
    cmd += ["--", os.path.relpath(target, DATA_ROOT)]
    matches, truncated = [], False
    with subprocess.Popen(cmd, cwd=DATA_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        while raw := proc.stdout.readline(SEARCH_JSON_MAX):
            if not raw.startswith(b'{"type":"match"'):
                skip_rest(proc.stdout, raw)
                continue
            if len(matches) >= args.max:
                truncated = True
                proc.kill()
                break
            if skip_rest(proc.stdout, raw):
                matches.append(overlong_match(raw))
                continue
            data = json.loads(raw)["data"]
            text = rg_text(data["lines"]).rstrip("\n").rstrip("\r")
            if len(text) > SEARCH_TEXT_CHARS:
                text = text[:SEARCH_TEXT_CHARS] + " … [line cut]"
            matches.append({"path": os.path.normpath(rg_text(data["path"])),
                            "line": data["line_number"], "text": text})
        errors = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.returncode == 2 and not matches and not truncated:
        raise Refusal(f"Search failed: {errors or 'ripgrep exited with status 2'}")
    return {"matches": matches, "truncated": truncated}


def cmd_resolve(args):
    real = resolve(args.path, must_exist=False)
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        return {"real": os.fsdecode(real), "exists": False, "type": None}
    return {"real": os.fsdecode(real), "exists": True, "type": kind(st)}


def cmd_rm(args):
    target = resolve_parent(args.path)  # a symlink is removed itself, wherever it points
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        raise Refusal(f"Path {show(args.path)} does not exist in /mnt/data.") from None
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(target)
    else:
        os.unlink(target)
    return {"ok": True}


def cmd_copy(args):
    src = resolve(args.src)
    dst = resolve_parent(args.dst)
    if os.path.isdir(dst):  # copying into an existing folder, like cp
        dst = os.path.join(check_real(args.dst, os.path.realpath(dst)), os.path.basename(src))
    if os.path.lexists(dst):
        check_real(args.dst, os.path.realpath(dst))
    if os.path.isdir(src):
        if dst == src or dst.startswith(src + "/"):
            raise Refusal(f"Cannot copy the folder {show(args.src)} into itself.")
        if os.path.lexists(dst):
            raise Refusal(f"Destination {show(args.dst)} already exists.")
        shutil.copytree(src, dst, symlinks=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    return {"ok": True}


def cmd_pdfinfo(args):
    real = resolve(args.path)
    not_pdf = {"isPdf": False, "pages": 0, "previewPng": None}
    with open_regular(args.path, real) as f:
        if f.read(5) != b"%PDF-":
            return not_pdf
    import fitz  # only this subcommand needs PyMuPDF (slow to import)
    fitz.TOOLS.mupdf_display_errors(False)
    try:
        doc = fitz.open(real, filetype="pdf")
    except Exception:
        return not_pdf
    with doc:
        preview = None
        if doc.page_count > 0 and not doc.needs_pass:
            page = doc[0]
            zoom = PREVIEW_DPI / 72
            longest = max(page.rect.width, page.rect.height) * zoom
            if longest > PREVIEW_MAX_PIXELS:
                zoom *= PREVIEW_MAX_PIXELS / longest
            pix = page.get_pixmap(matrix=fitz.Matrix(zoom, zoom))
            preview = base64.b64encode(pix.tobytes("png")).decode("ascii")
        return {"isPdf": True, "pages": doc.page_count, "previewPng": preview}


def cmd_usage(args):
    return folder_usage(DATA_ROOT)
