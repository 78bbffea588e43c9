"""Where a parsed number came from and where a printed one went: names for the report.

The text the program reads (stdin, files) and writes (stdout, stderr, files) is kept per
stream as it passes through the kernel. A parsed number is looked up in the argv strings and
in the streams read so far; a printed one in the streams written, after the run. Each stream
keeps a cursor, so the k-th occurrence of the same text is attributed to the k-th number.
The result only names values; it never changes a derivative.
"""

from __future__ import annotations

import os
import re

_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdDqQ][-+]?\d+)?|[-+]?(?:inf|nan)\w*",
                     re.IGNORECASE)
_SKIP_PREFIXES = ("/etc/", "/proc/", "/sys/", "/usr/lib", "/lib", "/usr/share/")
MAX_STREAM = 64 << 20  # text kept per stream (for names only)
WINDOW = 1 << 16       # how far past the cursor a number's text is looked for


def _as_float(tok: bytes) -> float | None:
    t = tok.decode(errors="replace").lower().replace("d", "e").replace("q", "e")
    try:
        return float(t)
    except ValueError:
        return None


class Stream:
    """The text of one stream, a cursor past the last number attributed to it, and the line
    count up to the cursor (kept incrementally: names cost O(text), not O(text × values))."""

    def __init__(self, label: str):
        self.label = label
        self.data = bytearray()
        self.cursor = 0
        self.last = 0  # order of the latest read/write (most recent wins ties)
        self._counted = 0  # lines are counted up to here
        self._lines = 1

    def append(self, data: bytes) -> None:
        room = MAX_STREAM - len(self.data)
        if room > 0:
            self.data += data[:room]

    def find(self, text: bytes) -> tuple[int, bytes]:
        """Position and text of `text` shortly after the cursor, or of the first number
        token there equal to it in value (libgfortran rewrites 1.5d0 as 1.5e0 before
        converting, and edits what snprintf made before writing it); (-1, b"") if absent."""
        end = self.cursor + WINDOW
        i = self.data.find(text, self.cursor, end)
        if i >= 0:
            return i, text
        want = _as_float(text)
        if want is None:
            return -1, b""
        for m in _NUMBER.finditer(self.data, self.cursor, end):
            v = _as_float(m.group())
            if v is not None and (v == want or (v != v and want != want)):
                return m.start(), m.group()
        return -1, b""

    def take(self, pos: int, n: int) -> int:
        """Advance past a match at pos (at or after the cursor); its 1-based line number."""
        if pos >= self._counted:
            self._lines += self.data.count(b"\n", self._counted, pos)
            self._counted = pos
        line = self._lines
        self.cursor = max(self.cursor, pos + n)
        return line


def stream_label(path: str) -> str:
    if path in ("/dev/stdin", "/dev/stdout", "/dev/stderr"):
        return path[5:]
    return os.path.basename(path) or path


class TextLog:
    """Streams read and written by one machine, and the program's argv strings."""

    def __init__(self, argv_ranges: list[tuple[int, int]], argv: list[bytes]):
        self.argv_ranges = argv_ranges
        self.argv = argv
        self.reads: dict[str, Stream] = {}
        self.writes: dict[str, Stream] = {}
        self._clock = 0

    def _stream(self, table: dict[str, Stream], path: str) -> Stream:
        label = stream_label(path)
        s = table.get(label)
        if s is None:
            s = table[label] = Stream(label)
        self._clock += 1
        s.last = self._clock
        return s

    def read(self, path: str, data: bytes) -> None:
        if not data or path.startswith(_SKIP_PREFIXES) or data[:4] == b"\x7fELF":
            return
        self._stream(self.reads, path).append(data)

    def wrote(self, path: str, data: bytes) -> None:
        if data:
            self._stream(self.writes, path).append(data)

    def origin(self, nptr: int, text: bytes) -> str:
        """'argv[1]', 'stdin line 3', 'data.txt line 2', or "string" for a number in memory
        that came from none of them (a string literal, a computed string)."""
        for k, (lo, hi) in enumerate(self.argv_ranges):
            if lo <= nptr < hi:
                return f"argv[{k}]"
        best = None
        for s in self.reads.values():
            pos, found = s.find(text)
            if pos >= 0 and (best is None or s.last > best[0].last):
                best = (s, pos, found)
        if best is not None:
            s, pos, found = best
            return f"{s.label} line {s.take(pos, len(found))}"
        for k, a in enumerate(self.argv):
            if k and text in a:
                return f"argv[{k}]"
        return "string"

    def destination(self, label: str | None, text: bytes) -> tuple[str, bytes]:
        """('stdout line 2', the text as written there) for printed text; ('string', text)
        if it never left the program."""
        order = [label] if label in self.writes else []
        order += [k for k in ("stdout", "stderr") if k in self.writes and k != label]
        order += [k for k in self.writes if k not in order]
        for k in order:
            s = self.writes[k]
            pos, found = s.find(text) if text else (-1, b"")
            if pos >= 0:
                return f"{s.label} line {s.take(pos, len(found))}", found
        return label or "string", text


def number_text(raw: bytes) -> bytes:
    """The number at the start of `raw` after blanks, as strtod would read it (b'' if none)."""
    s = raw.lstrip(b" \t\n\r\f\v")
    m = re.match(rb"[-+]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?\d+)?"
                 rb"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan(?:\([\w]*\))?)",
                 s, re.IGNORECASE)
    return m.group() if m else b""
