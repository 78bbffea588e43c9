"""Which CPU the program is shown: Unicorn's own (SSE4.2-level, no AVX) or x86-64-v3.

glibc picks its string, memory and libm variants (IFUNCs) from CPUID once at start-up. With
Unicorn's default answers it picks the SSE2 ones, which Unicorn runs. A program built for
x86-64-v3 runs natively with glibc's AVX2 string routines and FMA libm variants, and its
results can differ in the last bit from the SSE2 ones (libm). So when the program needs
x86-64-v3 — its ELF note says so (gcc -mneeded), or its own code (main's call tree) contains
VEX instructions — the machine answers CPUID as an AVX2/FMA CPU would (AVX, AVX2, FMA, F16C
on top of Unicorn's BMI1/BMI2/LZCNT/MOVBE/POPCNT/XSAVE/OSXSAVE; never AVX-512) and XGETBV
with the SSE and AVX state enabled; VEX code then runs in `avx.VexUnit`. `REVAD_CPU=baseline`
or `REVAD_CPU=v3` overrides the choice.
"""

from __future__ import annotations

import os
import struct
from functools import cache

import capstone

from revad_emu.loading.elf import ElfFile

# CPUID bits added for x86-64-v3 (Unicorn's model already reports the rest of the level).
LEAF1_ECX = (1 << 12) | (1 << 28) | (1 << 29)   # FMA, AVX, F16C
LEAF7_EBX = 1 << 5                               # AVX2
LEAF1_ECX_NEEDED = (1 << 22) | (1 << 23) | (1 << 26) | (1 << 27)  # MOVBE POPCNT XSAVE OSXSAVE
LEAF7_EBX_NEEDED = (1 << 3) | (1 << 8)           # BMI1, BMI2
XCR0_V3 = 0x7                                    # x87, SSE, AVX (YMM) state

GNU_PROPERTY_X86_ISA_1_NEEDED = 0xC0008002
ISA_V3 = 1 << 2
ISA_V4 = 1 << 3


def isa_needed(elf: ElfFile) -> int:
    """GNU_PROPERTY_X86_ISA_1_NEEDED bits of the file (0 when absent)."""
    data = elf.data
    try:
        phoff, = struct.unpack_from("<Q", data, 0x20)
        for k in range(elf.phnum):
            ptype, _fl, off, _va, _pa, filesz, _msz, _al = struct.unpack_from(
                "<IIQQQQQQ", data, phoff + k * elf.phentsize)
            if ptype != 4:  # PT_NOTE
                continue
            p, end = off, off + filesz
            while p + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", data, p)
                name = data[p + 12:p + 12 + namesz]
                desc = p + 12 + ((namesz + 3) & ~3)
                if ntype == 5 and name.rstrip(b"\0") == b"GNU":  # NT_GNU_PROPERTY_TYPE_0
                    q = desc
                    while q + 8 <= desc + descsz:
                        prtype, prsz = struct.unpack_from("<II", data, q)
                        if prtype == GNU_PROPERTY_X86_ISA_1_NEEDED and prsz >= 4:
                            return struct.unpack_from("<I", data, q + 8)[0]
                        q += 8 + ((prsz + 7) & ~7)
                p = desc + ((descsz + 7) & ~7) if descsz else desc
    except struct.error:
        return 0
    return 0


_LIBRARY_PREFIXES = ("_", "std::", "printf", "puts", "malloc", "free", "memcpy", "memset",
                     "strlen", "fprintf", "scanf", "exit", "abort")


def uses_vex(elf: ElfFile, limit: int = 50_000) -> bool:
    """Does the program's own code use VEX? Disassembles main and the functions it calls
    directly (transitively), leaving out library-looking names (leading underscore other
    than C++'s _Z user functions, std::); at most `limit` instructions."""
    from revad_emu.cpu.decode import vex_kind

    syms = elf.symbols
    start = syms.by_name.get("main")
    if start is None:
        return False
    sizes = dict(zip(syms.addrs, syms.sizes, strict=False))
    names = dict(zip(syms.addrs, syms.names, strict=False))
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    todo, seen, budget = [start], {start}, limit
    while todo and budget > 0:
        fn = todo.pop()
        code = _bytes_at(elf, fn, sizes.get(fn) or 4096)
        for a, sz, mnem, ops in cs.disasm_lite(code, fn):
            budget -= 1
            if vex_kind(code[a - fn:a - fn + sz]) == "VEX":
                return True
            if mnem in ("call", "jmp") and ops.startswith("0x"):
                t = int(ops, 16)
                name = names.get(t, "")
                if t in sizes and t not in seen and (
                        name.startswith("_Z") and not name.startswith(("_ZNSt", "_ZSt"))
                        or not name.startswith(_LIBRARY_PREFIXES)):
                    seen.add(t)
                    todo.append(t)
            if mnem == "ret" and fn not in sizes:
                break
    return False


def _bytes_at(elf: ElfFile, vaddr: int, n: int) -> bytes:
    for s in elf.segments:
        if s.vaddr <= vaddr < s.vaddr + s.filesz:
            off = s.offset + vaddr - s.vaddr
            return elf.data[off:off + min(n, s.vaddr + s.filesz - vaddr)]
    return b""


def wants_v3(elf: ElfFile) -> bool:
    """The x86-64-v3 CPU for this program? (REVAD_CPU=baseline|v3 overrides.)"""
    forced = os.environ.get("REVAD_CPU", "").lower()
    if forced in ("baseline", "sse2", "v2"):
        return False
    if forced in ("v3", "avx2"):
        return True
    return bool(isa_needed(elf) & (ISA_V3 | ISA_V4)) or uses_vex(elf)


@cache
def unicorn_cpuid(leaf: int, sub: int) -> tuple[int, int, int, int]:
    """Unicorn's own CPUID answer (its model is fixed), from a scratch engine."""
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
    from unicorn import x86_const as X

    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(0x1000, 0x1000)
    uc.mem_write(0x1000, b"\x0f\xa2")
    uc.reg_write(X.UC_X86_REG_RAX, leaf)
    uc.reg_write(X.UC_X86_REG_RCX, sub)
    uc.emu_start(0x1000, 0x1002)
    return tuple(uc.reg_read(r) & 0xFFFF_FFFF for r in (
        X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX))


def cpuid_v3(leaf: int, sub: int) -> tuple[int, int, int, int]:
    """CPUID of an x86-64-v3 CPU: Unicorn's answer plus AVX/AVX2/FMA/F16C (no AVX-512)."""
    a, b, c, d = unicorn_cpuid(leaf, sub if leaf in (4, 7, 0xB, 0xD, 0xF, 0x10, 0x14) else 0)
    if leaf == 1:
        c |= LEAF1_ECX
    elif leaf == 7 and sub == 0:
        b |= LEAF7_EBX
        b &= ~((1 << 16) | (1 << 17) | (1 << 21) | (1 << 26) | (1 << 27) | (1 << 28) |
               (1 << 30) | (1 << 31))  # no AVX-512 of any kind
        c &= ~((1 << 1) | (1 << 6) | (1 << 11) | (1 << 12) | (1 << 14))
    return a, b, c, d


__all__ = ["cpuid_v3", "isa_needed", "uses_vex", "wants_v3", "unicorn_cpuid", "XCR0_V3"]
