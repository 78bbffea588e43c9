"""Address → `function+offset (file:line)` across the program and the libraries it maps."""

from __future__ import annotations

import bisect
import os

from revad_emu.loading.elf import ElfFile


class Symbolizer:
    """Modules (program, ld.so, libraries) by load range; symbols looked up at link addresses."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._mods: list[tuple[int, int, int, ElfFile]] = []  # (start, end, base, elf)

    def add(self, path: str, base: int, start: int, end: int, elf: ElfFile) -> None:
        for _s, _e, b, m in self._mods:
            if m.path == path and b == base:
                return
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._mods.insert(i, (start, end, base, elf))

    def modules(self) -> list[tuple[int, int, int, ElfFile]]:
        """(start, end, base, elf) of every loaded file."""
        return list(self._mods)

    def module(self, addr: int) -> tuple[int, ElfFile] | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            start, end, base, elf = self._mods[i]
            if addr < end:
                return base, elf
        return None

    def symbol(self, addr: int) -> tuple[str, int] | None:
        m = self.module(addr)
        if m is None:
            return None
        base, elf = m
        return elf.symbols.lookup(addr - base)

    def names_at(self, addr: int) -> list[str]:
        m = self.module(addr)
        if m is None:
            return []
        base, elf = m
        names = elf.symbols.names_at(addr - base)
        plt = elf.plt.get(addr - base)
        return names + [plt] if plt else names

    def line(self, addr: int) -> tuple[str, int] | None:
        m = self.module(addr)
        if m is None:
            return None
        base, elf = m
        return elf.lines.lookup(addr - base)

    def address_of(self, name: str) -> int | None:
        """Run-time address of a symbol, searching the program first, then the libraries."""
        for _s, _e, base, elf in self._mods:
            a = elf.symbols.by_name.get(name)
            if a is not None:
                return base + a
        return None

    def describe(self, addr: int, lines: bool = True) -> str:
        parts = []
        sym = self.symbol(addr)
        m = self.module(addr)
        plt = m[1].plt.get(addr - m[0]) if m is not None else None
        if plt:
            parts.append(f"{plt}@plt")
        elif sym is not None:
            parts.append(f"{sym[0]}+{sym[1]:#x}")
        else:
            m = self.module(addr)
            if m is not None:
                parts.append(os.path.basename(m[1].path) + f"+{addr - m[0]:#x}")
        if lines:
            ln = self.line(addr)
            if ln is not None:
                parts.append(f"{os.path.basename(ln[0])}:{ln[1]}")
        return f"{addr:#x}" + (f" ({', '.join(parts)})" if parts else "")
