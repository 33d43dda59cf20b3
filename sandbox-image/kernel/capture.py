"""fd-level stream capture of one execution (the kernel's, a shell command's): forwarding caps,
coalescing, and saving long streams to /mnt/data/.outputs/ (docs/kernel-protocol.md)."""

import codecs
import os
import re
import time

from limits import DATA_ROOT, HEAD_CAP, OUTPUTS_DIR, SAVE_CAP, SAVE_THRESHOLD, TAIL_CAP

COALESCE_SECONDS = 0.05        # stream chunks are batched for this long
COALESCE_BYTES = 64 * 1024     # ... or until this much text is pending


def safe_filename_part(text):
    """Execution ids come from the host; keep them from naming a path outside .outputs/."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(text))[:100] or "_"


class StreamCapture:
    """Everything one execution wrote to one stream (stdout or stderr).

    The first HEAD_CAP bytes are forwarded live; after that only the last TAIL_CAP bytes are kept
    and forwarded by finish(), preceded by a stream_gap message when bytes were skipped. Once the
    stream passes its save threshold the whole stream (up to SAVE_CAP) is written to
    /mnt/data/.outputs/<id>.<name>.txt. Memory use is bounded whatever the amount written."""

    def __init__(self, exec_id, name):
        self.exec_id = exec_id
        self.name = name
        self.total = 0
        self.head_left = HEAD_CAP
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.tail = bytearray()
        self.after_head = 0
        self.prebuffer = bytearray()   # the stream until it passes the save threshold
        self.save_file = None
        self.save_path = None
        self.saved = 0
        self.save_failed = False

    def feed(self, data):
        """Accounts for `data` and returns the text to forward now (possibly "")."""
        self.total += len(data)
        self._save(data)
        text = ""
        if self.head_left > 0:
            cut = min(len(data), self.head_left)
            if cut < len(data):
                # Stop the head on a character boundary so the decoder holds no partial character.
                back = 0
                while back < 3 and cut - back > 0 and (data[cut - back] & 0xC0) == 0x80:
                    back += 1
                if (data[cut - back] & 0xC0) == 0x80:
                    back = 0
                cut -= back
                self.head_left = 0
            else:
                self.head_left -= cut
            text = self.decoder.decode(data[:cut])
            data = data[cut:]
        if data:
            self.after_head += len(data)
            self.tail += data
            if len(self.tail) > 2 * TAIL_CAP:
                del self.tail[:-TAIL_CAP]
        return text

    def _save(self, data):
        if self.save_failed:
            return
        if self.save_file is None:
            if self.total <= SAVE_THRESHOLD[self.name]:
                self.prebuffer += data
                return
            rel = f"{OUTPUTS_DIR}/{safe_filename_part(self.exec_id)}.{self.name}.txt"
            try:
                os.makedirs(os.path.join(DATA_ROOT, OUTPUTS_DIR), exist_ok=True)
                self.save_file = open(os.path.join(DATA_ROOT, rel), "wb")
            except OSError:
                self.save_failed = True
                return
            self.save_path = rel
            data = bytes(self.prebuffer) + data
            self.prebuffer = bytearray()
        room = SAVE_CAP - self.saved
        if room > 0:
            chunk = data[:room]
            try:
                self.save_file.write(chunk)
            except OSError:  # e.g. the volume is full: keep what was written
                self.save_failed = True
                return
            self.saved += len(chunk)

    def finish(self, emit):
        """Forwards the tail (after a stream_gap if bytes were skipped), closes the save file and
        returns the `streams` entry for `done`."""
        tail = bytes(self.tail[-TAIL_CAP:])
        if self.after_head > len(tail):
            # The tail may start inside a multi-byte character: skip its continuation bytes.
            skip = 0
            while skip < 3 and skip < len(tail) and (tail[skip] & 0xC0) == 0x80:
                skip += 1
            text = self.decoder.decode(b"", final=True)
            if text:
                emit(self.name, text)
            emit(None, {"type": "stream_gap", "id": self.exec_id, "name": self.name,
                        "omittedBytes": self.after_head - len(tail) + skip})
            text = tail[skip:].decode("utf-8", "replace")
        else:
            text = self.decoder.decode(tail, final=True)
        if text:
            emit(self.name, text)
        if self.save_file is not None:
            try:
                if self.total > self.saved:
                    self.save_file.write(
                        f"\n[output cut here: the first {self.saved} of {self.total} bytes were "
                        f"saved]\n".encode())
                self.save_file.close()
            except OSError:
                pass
        return {"bytes": self.total, "savedTo": self.save_path, "savedBytes": self.saved,
                "saveTruncated": self.total > self.saved and self.save_path is not None}


class Capture:
    """stdout + stderr capture of one execution, forwarding coalesced `stream` outputs in order.

    Not thread-safe by itself: the owner calls feed()/flush()/finish() from one thread at a time."""

    def __init__(self, channel, exec_id):
        self.channel = channel
        self.exec_id = exec_id
        self.streams = {"stdout": StreamCapture(exec_id, "stdout"),
                        "stderr": StreamCapture(exec_id, "stderr")}
        self.pending = []          # [name, text] segments not yet sent, in write order
        self.pending_size = 0
        self.pending_since = None

    def feed(self, name, data):
        text = self.streams[name].feed(data)
        if not text:
            return
        if self.pending and self.pending[-1][0] == name:
            self.pending[-1][1] += text
        else:
            self.pending.append([name, text])
        self.pending_size += len(text)
        if self.pending_since is None:
            self.pending_since = time.monotonic()

    def flush_deadline(self):
        """Monotonic time by which pending text should be sent, or None."""
        if self.pending_since is None:
            return None
        if self.pending_size >= COALESCE_BYTES:
            return self.pending_since
        return self.pending_since + COALESCE_SECONDS

    def maybe_flush(self):
        deadline = self.flush_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            self.flush()

    def flush(self):
        for name, text in self.pending:
            self._send_stream(name, text)
        self.pending = []
        self.pending_size = 0
        self.pending_since = None

    def _send_stream(self, name, text):
        self.channel.send({"type": "output", "id": self.exec_id,
                           "output": {"output_type": "stream", "name": name, "text": text}})

    def finish(self):
        """Sends what is pending plus each stream's tail; returns the `streams` field of `done`."""
        self.flush()

        def emit(name, payload):
            if name is None:
                self.channel.send(payload)
            else:
                self._send_stream(name, payload)

        return {name: stream.finish(emit) for name, stream in self.streams.items()}
