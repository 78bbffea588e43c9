"""ELF files: validation with clear errors, loadable segments, symbols and DWARF lines.

This module only reads files; mapping them into guest memory is the machine's job.
"""

from __future__ import annotations

import bisect
import os
import stat
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from revad_emu.errors import ElfError, MissingFile

PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS = 1, 3, 6, 7
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
USER_SPACE_END = 1 << 47  # x86-64 Linux user space: addresses below 0x8000_0000_0000

_MACHINES = {
    0: "no machine", 2: "SPARC", 3: "i386 (32-bit x86)", 8: "MIPS", 20: "PowerPC",
    21: "PowerPC64", 22: "s390", 40: "ARM (32-bit)", 43: "SPARC v9", 50: "IA-64",
    183: "aarch64 (ARM 64-bit)", 243: "RISC-V", 258: "LoongArch",
}


@dataclass(frozen=True)
class Segment:
    vaddr: int
    memsz: int
    filesz: int
    offset: int
    flags: int  # PF_X=1, PF_W=2, PF_R=4

    @property
    def prot(self) -> int:
        """Unicorn/Linux protection bits (R=1, W=2, X=4) from ELF p_flags."""
        f = self.flags
        return (1 if f & 4 else 0) | (2 if f & 2 else 0) | (4 if f & 1 else 0)


@dataclass
class ElfFile:
    """A validated x86-64 ELF executable or shared object."""

    path: str
    data: bytes = field(repr=False)
    etype: int
    entry: int
    phoff: int
    phentsize: int
    phnum: int
    segments: list[Segment]
    interp: str | None
    tls: Segment | None

    @property
    def is_pie(self) -> bool:
        return self.etype == ET_DYN

    @property
    def min_vaddr(self) -> int:
        return min(s.vaddr for s in self.segments) & ~0xFFF

    @property
    def max_vaddr(self) -> int:
        return max(s.vaddr + s.memsz for s in self.segments)

    def phdr_vaddr(self) -> int:
        """Virtual address of the program headers (for AT_PHDR)."""
        for s in self.segments:
            if s.offset <= self.phoff < s.offset + s.filesz:
                return s.vaddr + (self.phoff - s.offset)
        return self.min_vaddr + self.phoff

    @cached_property
    def symbols(self) -> SymbolTable:
        return SymbolTable.from_elf(self.path, self.data)

    @cached_property
    def plt(self) -> dict[int, str]:
        """PLT stub address (link-time) → the function it calls, from the PLT's GOT slots.

        Calls from a dynamically linked program into libm land in unexported CPU-specific
        variants (IFUNC targets without symbols); the stub the call went through still
        names the function.
        """
        return plt_names(self.data)

    @cached_property
    def pointer_slots(self) -> dict[int, str]:
        """Link-time address of each GOT or data slot the dynamic linker fills with the address
        of a named symbol (GLOB_DAT, JUMP_SLOT, R_X86_64_64). A pointer to an IFUNC such as
        libm's `sin` holds the variant chosen at load time, which has no symbol of its own:
        the slot it came from still names it."""
        return got_symbols(self.data, (1, 6, 7))

    @cached_property
    def lines(self) -> LineTable:
        return LineTable(self.path)

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.data).hexdigest()


def _read_regular(p: Path) -> bytes:
    """The bytes of a regular file; a device or pipe (/dev/zero would never end) is refused
    as execve refuses it, and a file that does not start like an ELF is not read further."""
    try:
        with open(p, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ElfError(f"{p}: not a regular file (a device, pipe or socket), not a "
                               "program")  # fmt: skip
            head = f.read(4)
            return head + f.read() if head == b"\x7fELF" else head
    except OSError as e:
        raise ElfError(f"{p}: cannot read: {e.strerror}") from None


def read_elf(path: str | os.PathLike) -> ElfFile:
    """Read and validate `path`; raise ElfError with a one-line reason when it cannot run."""
    p = Path(path)
    if not p.exists():
        raise MissingFile(f"{path}: no such file")
    if p.is_dir():
        raise ElfError(f"{path}: is a directory, not a program")
    data = _read_regular(p)
    name = str(path)
    if len(data) < 4 or data[:4] != b"\x7fELF":
        raise ElfError(f"{name}: not an ELF file")
    if len(data) < 64:
        raise ElfError(f"{name}: truncated ELF header ({len(data)} bytes, need 64)")
    ei_class, ei_data = data[4], data[5]
    if ei_class == 1:
        raise ElfError(f"{name}: 32-bit ELF (ELFCLASS32) is not supported; revad_emu runs "
                       "x86-64 programs")
    if ei_class != 2:
        raise ElfError(f"{name}: corrupt ELF header (EI_CLASS={ei_class})")
    if ei_data != 1:
        raise ElfError(f"{name}: big-endian ELF is not supported; revad_emu runs x86-64 programs")
    (etype, machine, _version, entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum,
     _shentsize, _shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if machine != EM_X86_64:
        what = _MACHINES.get(machine, f"e_machine={machine}")
        raise ElfError(f"{name}: ELF for {what}, not x86-64; revad_emu runs x86-64 programs")
    if etype not in (ET_EXEC, ET_DYN):
        kind = {1: "a relocatable object file (.o)", 4: "a core dump"}.get(etype, f"type {etype}")
        raise ElfError(f"{name}: ELF is {kind}, not an executable")
    if phentsize != 56 or phnum == 0 or phnum > 4096:
        raise ElfError(f"{name}: corrupt ELF header (program header size {phentsize}, "
                       f"count {phnum})")
    if phoff + phnum * phentsize > len(data):
        raise ElfError(f"{name}: truncated or corrupt ELF: program headers at offset {phoff:#x} "
                       f"lie beyond the end of the file ({len(data)} bytes)")
    segments: list[Segment] = []
    interp = None
    tls = None
    for i in range(phnum):
        (ptype, pflags, off, vaddr, _paddr, filesz, memsz, _align) = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        seg = Segment(vaddr, memsz, filesz, off, pflags)
        if ptype == PT_LOAD:
            if off + filesz > len(data):
                raise ElfError(f"{name}: truncated ELF: segment at offset {off:#x} needs "
                               f"{filesz} bytes, file has {len(data)}")
            if filesz > memsz:
                raise ElfError(f"{name}: corrupt ELF: segment file size exceeds memory size")
            if vaddr + memsz > USER_SPACE_END:
                raise ElfError(f"{name}: corrupt ELF: segment at {vaddr:#x} of {memsz:#x} "
                               "bytes lies beyond the 47-bit user address space")
            segments.append(seg)
        elif ptype == PT_INTERP:
            if off + filesz > len(data):
                raise ElfError(f"{name}: truncated ELF: interpreter path lies past the end")
            interp = data[off:off + filesz].split(b"\0", 1)[0].decode(errors="replace")
        elif ptype == PT_TLS:
            tls = seg
    if not segments:
        raise ElfError(f"{name}: ELF has no loadable segments")
    if etype == ET_EXEC and entry == 0:
        raise ElfError(f"{name}: corrupt ELF: entry point is 0")
    return ElfFile(name, data, etype, entry, phoff, phentsize, phnum, segments, interp, tls)


class SymbolTable:
    """Function and object symbols of one file, at link-time addresses, sorted for lookup."""

    def __init__(self, entries: list[tuple[int, int, str]]):
        entries = sorted(set(entries))
        self.addrs = [a for a, _, _ in entries]
        self.sizes = [s for _, s, _ in entries]
        self.names = [n for _, _, n in entries]
        self.by_name: dict[str, int] = {}
        for a, _, n in entries:
            self.by_name.setdefault(n, a)

    @classmethod
    def from_elf(cls, path: str, data: bytes | None = None) -> SymbolTable:
        """Parse .symtab and .dynsym directly (pyelftools takes ~1 s on libc.so)."""
        if data is None:
            data = Path(path).read_bytes()
        out: list[tuple[int, int, str]] = []
        try:
            shoff, = struct.unpack_from("<Q", data, 0x28)
            shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
            if shoff == 0 or shentsize != 64 or shoff + shnum * 64 > len(data):
                return cls([])
            secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * k) for k in range(shnum)]
            for _name, stype, _fl, _addr, off, size, link, _info, _al, entsize in secs:
                if stype not in (2, 11) or entsize != 24 or link >= shnum:
                    continue
                stroff = secs[link][4]
                for st_name, st_info, _other, shndx, value, ssize in struct.iter_unpack(
                        "<IBBHQQ", data[off:off + size - size % 24]):
                    if (st_info & 0xF) not in (1, 2, 10) or shndx in (0, 0xFFF1) or not st_name:
                        continue
                    a = stroff + st_name
                    name = data[a:data.index(b"\0", a)].decode(errors="replace")
                    out.append((value, ssize, name))
        except (struct.error, ValueError):
            return cls(out)
        return cls(out)

    def lookup(self, addr: int) -> tuple[str, int] | None:
        """(name, offset) of the symbol containing `addr` (or nearest below, within 64 KiB)."""
        i = bisect.bisect_right(self.addrs, addr) - 1
        while i >= 0:
            a, s = self.addrs[i], self.sizes[i]
            if addr < a + max(s, 1) or (s == 0 and addr - a < 0x10000):
                return self.names[i], addr - a
            if s and addr >= a + s:
                # try a preceding larger symbol that may contain it (aliases sorted by addr)
                if i > 0 and self.addrs[i - 1] == a:
                    i -= 1
                    continue
                return None
            i -= 1
        return None

    def names_at(self, addr: int) -> list[str]:
        """Every name (aliases included) of the symbols that start exactly at `addr`."""
        lo = bisect.bisect_left(self.addrs, addr)
        hi = bisect.bisect_right(self.addrs, addr)
        return self.names[lo:hi]

    def __len__(self) -> int:
        return len(self.addrs)


def _sections(data: bytes) -> list[tuple[str, tuple]]:
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shentsize != 64 or shoff + shnum * 64 > len(data) or shstrndx >= shnum:
        return []
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * k) for k in range(shnum)]
    stroff = secs[shstrndx][4]
    out = []
    for sec in secs:
        a = stroff + sec[0]
        out.append((data[a:data.index(b"\0", a)].decode(errors="replace"), sec))
    return out


def got_symbols(data: bytes, types: tuple[int, ...] = (6, 7)) -> dict[int, str]:
    """Link-time address of each relocated pointer slot → the symbol it will hold, for the
    relocation types given (default GLOB_DAT, JUMP_SLOT: the GOT; 1 = R_X86_64_64 adds
    pointers in data, such as tables of function pointers)."""
    try:
        secs = _sections(data)
    except (struct.error, ValueError):
        return {}
    got: dict[int, str] = {}
    for name, (_n, stype, _f, _a, off, size, link, _i, _al, _es) in secs:
        if stype != 4 or name not in (".rela.plt", ".rela.dyn") or link >= len(secs):
            continue
        symoff = secs[link][1][4]
        stroff = secs[secs[link][1][6]][1][4]
        for r_off, r_info, _add in struct.iter_unpack("<QQq", data[off:off + size - size % 24]):
            if (r_info & 0xFFFFFFFF) not in types or not r_info >> 32:
                continue
            st_name, = struct.unpack_from("<I", data, symoff + 24 * (r_info >> 32))
            a = stroff + st_name
            got[r_off] = data[a:data.index(b"\0", a)].decode(errors="replace")
    return got


def plt_names(data: bytes) -> dict[int, str]:
    try:
        secs = _sections(data)
    except (struct.error, ValueError):
        return {}
    got = got_symbols(data)
    out: dict[int, str] = {}
    for name, (_n, _t, _f, addr, off, size, *_rest) in secs:
        if name not in (".plt", ".plt.sec", ".plt.got"):
            continue
        code = data[off:off + size]
        for k in range(0, size - 5, 8):
            for prefix in (b"\xff\x25", b"\xf3\x0f\x1e\xfa\xf2\xff\x25",
                           b"\xf3\x0f\x1e\xfa\xff\x25", b"\xf2\xff\x25"):
                if code.startswith(prefix, k):
                    d = k + len(prefix)
                    disp, = struct.unpack_from("<i", code, d)
                    target = addr + d + 4 + disp
                    if target in got:
                        out[addr + k] = got[target]
                    break
    return out


class LineTable:
    """DWARF address → (file, line), built the first time it is asked (it is slow to parse)."""

    def __init__(self, path: str):
        self.path = path
        self._addrs: list[int] | None = None
        self._rows: list[tuple[str, int]] = []

    def _build(self) -> None:
        self._addrs = []
        rows: list[tuple[int, str, int]] = []
        try:
            from elftools.elf.elffile import ELFFile

            with open(self.path, "rb") as f:
                ef = ELFFile(f)
                if not ef.has_dwarf_info():
                    return
                dw = ef.get_dwarf_info()
                for cu in dw.iter_CUs():
                    lp = dw.line_program_for_CU(cu)
                    if lp is None:
                        continue
                    files = lp["file_entry"]
                    dirs = lp["include_directory"]
                    v5 = lp.header.version >= 5
                    for entry in lp.get_entries():
                        st = entry.state
                        if st is None:
                            continue
                        if st.end_sequence:  # code past here belongs to no line of this CU
                            rows.append((st.address, "", 0))
                            continue
                        try:
                            fe = files[st.file if v5 else st.file - 1]
                            fname = fe.name.decode(errors="replace")
                            di = fe.dir_index if v5 else fe.dir_index - 1
                            if not fname.startswith("/") and 0 <= di < len(dirs):
                                fname = os.path.join(dirs[di].decode(errors="replace"), fname)
                        except (IndexError, AttributeError):
                            fname = "?"
                        rows.append((st.address, fname, st.line))
        except Exception:  # noqa: BLE001 - broken debug info must not stop a run
            rows = []
        rows.sort()
        self._addrs = [r[0] for r in rows]
        self._rows = [(r[1], r[2]) for r in rows]

    def lookup(self, addr: int) -> tuple[str, int] | None:
        if self._addrs is None:
            self._build()
        assert self._addrs is not None
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0 or addr - self._addrs[i] > 0x1000 or not self._rows[i][0]:
            return None
        return self._rows[i]
