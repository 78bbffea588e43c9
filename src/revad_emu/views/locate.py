"""Where a tape node came from: instruction address → `function+offset`, `file:line`,
disassembly.

A `Locator` holds the list of files the run mapped (program, ld.so, libc, libm...) with their
load bases, so it also works after the run and for a tape loaded from disk: the module list
is saved in the tape's metadata (`meta["modules"]`) and the files are read again from their
paths. Code bytes come from the files themselves (not from emulator memory), so no machine
has to be kept alive. A call or jump to a known address is shown with the target's name —
`call sin@plt`, `call sin` — because that is what a reader looks for.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache

import capstone

from revad_emu.loading.elf import ElfError, ElfFile, _sections, read_elf
from revad_emu.loading.symbols import Symbolizer


@dataclass(frozen=True)
class Place:
    """Everything known about one instruction address (empty strings when unknown)."""

    addr: int
    function: str  # "main+0x1a", "sin@plt", "libc.so.6+0x1234"
    line: str      # "example.c:19"
    path: str      # full source path of `line`
    lineno: int
    disasm: str    # "mulsd xmm0, xmm1", "call sin@plt"

    @property
    def function_name(self) -> str:
        """The function without its offset (`main`), for grouping."""
        return self.function.split("+", 1)[0] if self.function else ""


class Locator:
    """Address → `Place`, over the modules of one run."""

    def __init__(self, symbols: Symbolizer) -> None:
        self.symbols = symbols
        self.cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self._irel: dict[str, dict[int, int]] = {}  # per file path: IRELATIVE slots

    @classmethod
    def from_machine(cls, machine) -> Locator:
        return cls(machine.symbols)

    @classmethod
    def from_meta(cls, meta: dict) -> Locator:
        """Rebuild from `meta["modules"]` (rows [path, base, start, end]); files that no
        longer exist or changed are left out, so their addresses show as bare hex."""
        sym = Symbolizer()
        for row in meta.get("modules", []):
            try:
                path, base, start, end = row[0], int(row[1]), int(row[2]), int(row[3])
                elf = read_elf(path)
            except (ElfError, OSError, ValueError, IndexError, TypeError):
                continue
            sym.add(path, base, start, end, elf)
        return cls(sym)

    def modules_meta(self) -> list[list]:
        """The module list in the JSON form `from_meta` reads."""
        return [[elf.path, base, start, end] for start, end, base, elf in self.symbols.modules()]

    def code(self, addr: int, size: int = 15) -> bytes:
        """Bytes of the file mapped at `addr` (b"" when no file covers it)."""
        m = self.symbols.module(addr)
        if m is None:
            return b""
        base, elf = m
        return _file_bytes(elf, addr - base, size)

    def function(self, addr: int) -> str:
        m = self.symbols.module(addr)
        if m is None:
            return ""
        base, elf = m
        plt = elf.plt.get(addr - base)
        if plt:
            return f"{plt}@plt"
        sym = elf.symbols.lookup(addr - base)
        if sym is not None:
            return f"{sym[0]}+{sym[1]:#x}"
        return f"{os.path.basename(elf.path)}+{addr - base:#x}"

    def target_name(self, addr: int) -> str:
        """Name of a call/jump target: `sin@plt` (a PLT stub, or the IFUNC stub of a static
        program), `sin` (a function entry, under its plainest alias), `f+0x10`."""
        m = self.symbols.module(addr)
        if m is not None:
            base, elf = m
            stub = _stub_target(elf, addr - base, self._irel)
            if stub:
                return f"{stub}@plt"
            names = elf.symbols.names_at(addr - base)
            if names and not elf.plt.get(addr - base):
                return _plainest(names)
        return self.function(addr)

    def disasm(self, addr: int) -> str:
        code = self.code(addr)
        for _a, _s, mnem, ops in self.cs.disasm_lite(code, addr, 1):
            if (mnem.startswith(("call", "jmp")) or mnem[0] == "j") and ops.startswith("0x"):
                try:
                    name = self.target_name(int(ops, 16))
                except ValueError:
                    name = ""
                if name:
                    ops = name
            return f"{mnem} {ops}".strip()
        return ""

    @lru_cache(maxsize=65536)  # noqa: B019 - one locator per recording; addresses repeat
    def place(self, addr: int) -> Place:
        if addr == 0:
            return Place(0, "", "", "", 0, "")
        ln = self.symbols.line(addr)
        path, lineno = ln if ln is not None else ("", 0)
        return Place(addr, self.function(addr),
                     f"{os.path.basename(path)}:{lineno}" if path else "", path, lineno,
                     self.disasm(addr))


def _plainest(names: list[str]) -> str:
    """`exp` rather than `expf64` or `__exp`: fewest leading underscores, then shortest."""
    return min(names, key=lambda n: (len(n) - len(n.lstrip("_")), len(n), n))


_JMP_SLOT = (b"\xff\x25", b"\xf3\x0f\x1e\xfa\xf2\xff\x25", b"\xf3\x0f\x1e\xfa\xff\x25",
             b"\xf2\xff\x25")


def _stub_target(elf: ElfFile, vaddr: int, cache: dict[str, dict[int, int]]) -> str:
    """The function an IFUNC stub of a static program jumps to (`jmp [rip+slot]`, the slot
    filled by an R_X86_64_IRELATIVE relocation whose addend is the resolver, named after
    the function)."""
    slots = cache.get(elf.path)
    if slots is None:
        slots = cache[elf.path] = _irelative(elf)
    if not slots:
        return ""
    code = _file_bytes(elf, vaddr, 16)
    for prefix in _JMP_SLOT:
        if code.startswith(prefix) and len(code) >= len(prefix) + 4:
            disp = int.from_bytes(code[len(prefix):len(prefix) + 4], "little", signed=True)
            resolver = slots.get(vaddr + len(prefix) + 4 + disp)
            if resolver is not None:
                names = elf.symbols.names_at(resolver)
                return _plainest(names) if names else ""
    return ""


def _irelative(elf: ElfFile) -> dict[int, int]:
    """GOT slot → resolver address for every R_X86_64_IRELATIVE relocation of the file."""
    got: dict[int, int] = {}
    try:
        for name, sec in _sections(elf.data):
            stype, off, size = sec[1], sec[4], sec[5]
            if stype != 4 or not name.startswith(".rela"):
                continue
            for r_off, r_info, addend in struct.iter_unpack(
                    "<QQq", elf.data[off:off + size - size % 24]):
                if r_info & 0xFFFFFFFF == 37:
                    got[r_off] = addend
    except (struct.error, ValueError):
        got = {}
    return got


def _file_bytes(elf: ElfFile, vaddr: int, size: int) -> bytes:
    for seg in elf.segments:
        if seg.vaddr <= vaddr < seg.vaddr + seg.filesz:
            off = seg.offset + vaddr - seg.vaddr
            end = min(off + size, seg.offset + seg.filesz)
            return bytes(elf.data[off:end])
    return b""


def locator_for(obj) -> Locator | None:
    """The locator of a Recording (kept from its run) or one rebuilt from a tape's meta."""
    loc = getattr(obj, "locator", None)
    if loc is not None:
        return loc
    tape = getattr(obj, "tape", obj)
    meta = getattr(tape, "meta", None) or {}
    if not meta.get("modules"):
        return None
    loc = Locator.from_meta(meta)
    try:
        obj.locator = loc
    except AttributeError:
        pass
    return loc
