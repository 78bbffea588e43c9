"""Shadow state: which tape node each byte of memory and of each register currently holds.

Locations are `cpu.locations`' flat byte addresses (guest memory, registers above 2**60), so a
data move of any width between any two places is one `copy`. Storage is a dict of 8-byte
slots; a slot is a tuple of 8 byte entries, each None (passive) or `node << 4 | k` meaning
"byte k of node's value". Aligned 8-byte moves (the common case) copy one tuple; unaligned
and partial moves (glibc memcpy's overlapping 16-byte moves) fall back to byte granularity,
so a double carried in two halves by two instructions keeps its node (DESIGN §3).
"""

from __future__ import annotations

from revad_emu.cpu.locations import REG_BASE

_NONE8 = (None,) * 8
REG_KEYS = range(REG_BASE >> 3, (REG_BASE >> 3) + 0x420)  # slots of every register's shadow


class Shadow:
    """Byte-granular map location → node, stored as 8-byte slots."""

    __slots__ = ("slots",)

    def __init__(self) -> None:
        self.slots: dict[int, tuple] = {}

    # -- whole values ------------------------------------------------------------------
    def node_at(self, loc: int, width: int) -> int:
        """Node whose complete value (bytes 0..width-1) sits at loc..loc+width-1.

        0 when the bytes are all passive; -1 when some are active but do not form one whole
        value of that width (a partial or spliced value: the caller warns).
        """
        s = self.slots
        if width == 8 and not loc & 7:
            t = s.get(loc >> 3)
            if t is None:
                return 0
            e0 = t[0]
            if e0 is not None and not e0 & 15 and t[7] == e0 + 7:
                return e0 >> 4
            return -1 if any(e is not None for e in t) else 0
        if width == 4 and not loc & 3:
            t = s.get(loc >> 3)
            if t is None:
                return 0
            o = loc & 7
            e0 = t[o]
            if e0 is not None and not e0 & 15 and t[o + 3] == e0 + 3:
                return e0 >> 4
            return -1 if any(e is not None for e in t[o:o + 4]) else 0
        ents = self.get(loc, width)
        if ents is None:
            return 0
        e0 = ents[0]
        if e0 is not None and not e0 & 15 and all(ents[k] == e0 + k for k in range(width)):
            return e0 >> 4
        return -1

    def set_node(self, loc: int, width: int, node: int) -> None:
        """Place node's value (width bytes) at loc; node 0 clears."""
        if node == 0:
            self.clear(loc, width)
            return
        b = node << 4
        if width == 8 and not loc & 7:
            self.slots[loc >> 3] = (b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
            return
        self.put(loc, tuple(range(b, b + width)))

    # -- bytes -------------------------------------------------------------------------
    def get(self, loc: int, n: int) -> list | None:
        """Byte entries of loc..loc+n-1, or None when all are passive."""
        s = self.slots
        first, last = loc >> 3, (loc + n - 1) >> 3
        if first == last:
            t = s.get(first)
            if t is None:
                return None
            o = loc & 7
            out = list(t[o:o + n])
        else:
            out = []
            any_slot = False
            for k in range(first, last + 1):
                t = s.get(k)
                if t is None:
                    out.extend(_NONE8)
                else:
                    any_slot = True
                    out.extend(t)
            if not any_slot:
                return None
            o = loc & 7
            out = out[o:o + n]
        for e in out:
            if e is not None:
                return out
        return None

    def put(self, loc: int, ents) -> None:
        """Write byte entries starting at loc."""
        s = self.slots
        n = len(ents)
        i = 0
        while i < n:
            a = loc + i
            k, o = a >> 3, a & 7
            m = min(8 - o, n - i)
            if o == 0 and m == 8:
                chunk = tuple(ents[i:i + 8])
            else:
                old = s.get(k, _NONE8)
                chunk = old[:o] + tuple(ents[i:i + m]) + old[o + m:]
            if chunk == _NONE8:
                s.pop(k, None)
            else:
                s[k] = chunk
            i += m

    def clear(self, loc: int, n: int) -> None:
        s = self.slots
        if not s:
            return
        if n == 8 and not loc & 7:
            s.pop(loc >> 3, None)
            return
        first, last = loc >> 3, (loc + n - 1) >> 3
        for k in range(first, last + 1):
            t = s.get(k)
            if t is None:
                continue
            lo = max(loc, k << 3) - (k << 3)
            hi = min(loc + n, (k + 1) << 3) - (k << 3)
            if lo == 0 and hi == 8:
                del s[k]
                continue
            chunk = t[:lo] + (None,) * (hi - lo) + t[hi:]
            if chunk == _NONE8:
                del s[k]
            else:
                s[k] = chunk

    def copy(self, src: int, dst: int, n: int) -> None:
        """Shadow of a plain data move of n bytes from src to dst."""
        s = self.slots
        if n == 8 and not (src | dst) & 7:
            t = s.get(src >> 3)
            if t is None:
                s.pop(dst >> 3, None)
            else:
                s[dst >> 3] = t
            return
        if n == 16 and not (src | dst) & 7:
            k, d = src >> 3, dst >> 3
            t0, t1 = s.get(k), s.get(k + 1)
            if t0 is None:
                s.pop(d, None)
            else:
                s[d] = t0
            if t1 is None:
                s.pop(d + 1, None)
            else:
                s[d + 1] = t1
            return
        if n > 64:
            self._copy_big(src, dst, n)
            return
        ents = self.get(src, n)
        if ents is None:
            self.clear(dst, n)
        else:
            self.put(dst, ents)

    def _copy_big(self, src: int, dst: int, n: int) -> None:
        """A large move (mremap of a heap block): work and memory bounded by the active
        slots in the source, never by the bytes moved (snapshot first: memmove order)."""
        s = self.slots
        lo, hi = src >> 3, (src + n + 7) >> 3
        keys = sorted(k for k in s if lo <= k < hi) if hi - lo > len(s) else \
            [k for k in range(lo, hi) if k in s]
        moved = [(k, s[k]) for k in keys]
        self.clear_range(dst, dst + n)
        for k, t in moved:
            a, b = max(src, k << 3), min(src + n, (k + 1) << 3)
            self.put(dst + (a - src), t[a - (k << 3):b - (k << 3)])

    def any_active(self, loc: int, n: int) -> bool:
        s = self.slots
        if not s:
            return False
        first, last = loc >> 3, (loc + n - 1) >> 3
        if first == last:
            t = s.get(first)
            if t is None:
                return False
            o = loc & 7
            return any(e is not None for e in t[o:o + n])
        return self.get(loc, n) is not None

    def clear_slots(self, keys) -> None:
        """Forget whole 8-byte slots by index (registers a call clobbers)."""
        s = self.slots
        if len(s) < len(keys):
            for k in [k for k in s if k in keys]:
                del s[k]
        else:
            for k in keys:
                s.pop(k, None)

    def clear_range(self, lo: int, hi: int) -> None:
        """Forget everything in [lo, hi) (munmap, read() into a buffer, rep stos)."""
        s = self.slots
        if not s:
            return
        if (hi - lo) >> 3 < len(s):
            self.clear(lo, hi - lo)
            return
        for k in [k for k in s if lo >> 3 <= k < (hi + 7) >> 3]:
            self.clear(max(lo, k << 3), min(hi, (k + 1) << 3) - max(lo, k << 3))

    # -- per-thread register shadows ---------------------------------------------------
    def save_regs(self) -> dict:
        """The register part of the shadow (each guest thread has its own registers)."""
        s = self.slots
        return {k: s[k] for k in REG_KEYS if k in s}

    def load_regs(self, regs: dict) -> None:
        """Replace the register part of the shadow by `regs` (from save_regs)."""
        s = self.slots
        for k in REG_KEYS:
            s.pop(k, None)
        s.update(regs)
