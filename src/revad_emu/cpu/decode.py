"""capstone → compact instruction records, decoded once per address.

capstone's operand *access* flags are unreliable for SSE stores and x87 (DESIGN §2), so the
records keep only what capstone gets right: operand kinds, registers, sizes, addressing.
Data-flow facts live in the hand-written tables under `isa/`.
"""

from __future__ import annotations

from dataclasses import dataclass

import capstone
from capstone import x86_const as CX

from revad_emu.cpu.locations import gpr_loc, xmm_loc

_GPR64 = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
_GPR32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
          *(f"r{i}d" for i in range(8, 16)))
_GPR16 = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di", *(f"r{i}w" for i in range(8, 16)))
_GPR8 = ("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", *(f"r{i}b" for i in range(8, 16)))


@dataclass(frozen=True)
class RegInfo:
    kind: str      # "gpr", "xmm", "ymm", "st", "other"
    index: int     # GPR number (our order), vector register number, or st(i)
    offset: int    # byte offset inside the architectural register (AH = 1)
    size: int      # bytes

    @property
    def loc(self) -> int:
        if self.kind == "gpr":
            return gpr_loc(self.index) + self.offset
        if self.kind in ("xmm", "ymm"):
            return xmm_loc(self.index)
        raise ValueError(self.kind)


def _build_regs() -> dict[int, RegInfo]:
    table: dict[int, RegInfo] = {}

    def add(name: str, info: RegInfo) -> None:
        rid = getattr(CX, f"X86_REG_{name.upper()}", None)
        if rid is not None:
            table[rid] = info

    for i in range(16):
        add(_GPR64[i], RegInfo("gpr", i, 0, 8))
        add(_GPR32[i], RegInfo("gpr", i, 0, 4))
        add(_GPR16[i], RegInfo("gpr", i, 0, 2))
        add(_GPR8[i], RegInfo("gpr", i, 0, 1))
        add(f"xmm{i}", RegInfo("xmm", i, 0, 16))
        add(f"ymm{i}", RegInfo("ymm", i, 0, 32))
    for i, name in enumerate(("ah", "ch", "dh", "bh")):
        add(name, RegInfo("gpr", i, 1, 1))
    for i in range(8):
        add(f"st{i}", RegInfo("st", i, 0, 10))
    return table


REGS = _build_regs()
GPR_OF_CS = {rid: info.index for rid, info in REGS.items() if info.kind == "gpr" and
             info.size == 8}


@dataclass(frozen=True)
class MemRef:
    seg: int        # 0 none, 1 fs, 2 gs
    base: int       # our GPR index, -1 none, -2 rip
    index: int      # our GPR index or -1
    scale: int
    disp: int
    size: int


@dataclass(frozen=True)
class Operand:
    kind: str                 # "reg", "mem", "imm"
    size: int
    reg: RegInfo | None = None
    mem: MemRef | None = None
    imm: int = 0
    access: int = 0           # capstone CS_AC_READ=1 | CS_AC_WRITE=2 (reliable for GPR code)


@dataclass(frozen=True)
class Insn:
    address: int
    size: int
    mnemonic: str
    op_str: str
    ops: tuple[Operand, ...]
    rep: bool
    bytes_: bytes
    regs_read: tuple[int, ...]   # capstone ids, for the generic (non-table) path
    regs_write: tuple[int, ...]

    @property
    def text(self) -> str:
        return f"{self.mnemonic} {self.op_str}".strip()


# Decoded instructions shared by every Decoder of the process, keyed by (bytes, address):
# an Insn is immutable and depends on nothing else, and later runs of the same program (and
# the libraries every program maps at the same addresses) meet the same instructions again —
# capstone with detail costs ≈ 45 µs per instruction, the look-up well under 1 µs (start-up,
# issue 15). Bounded: emptied when it reaches _SHARED_MAX entries.
_shared: dict[tuple[bytes, int], Insn | None] = {}
_SHARED_MAX = 1 << 18


class Decoder:
    """Decode with detail, once per instruction (bytes and address) in the process."""

    def __init__(self) -> None:
        self.cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self.cs.detail = True

    def decode(self, code: bytes, address: int) -> Insn | None:
        key = (bytes(code), address)
        insn = _shared.get(key, _shared)
        if insn is not _shared:
            return insn
        insn = None
        for ins in self.cs.disasm(code, address, 1):
            insn = self._convert(ins)
            break
        if len(_shared) >= _SHARED_MAX:
            _shared.clear()
        _shared[key] = insn
        return insn

    def _convert(self, ins) -> Insn:
        ops = []
        for op in ins.operands:
            if op.type == CX.X86_OP_REG:
                ops.append(Operand("reg", op.size, reg=REGS.get(
                    op.reg, RegInfo("other", op.reg, 0, op.size)), access=op.access))
            elif op.type == CX.X86_OP_MEM:
                m = op.mem
                seg = 1 if m.segment == CX.X86_REG_FS else 2 if m.segment == CX.X86_REG_GS else 0
                if m.base == CX.X86_REG_RIP:
                    base = -2
                elif m.base == 0:
                    base = -1
                else:
                    base = GPR_OF_CS.get(m.base, -3)
                index = GPR_OF_CS.get(m.index, -3) if m.index else -1
                ops.append(Operand("mem", op.size, mem=MemRef(seg, base, index, m.scale, m.disp,
                                                               op.size), access=op.access))
            else:
                ops.append(Operand("imm", op.size, imm=op.imm))
        try:
            rr, rw = ins.regs_access()
        except capstone.CsError:
            rr, rw = (), ()
        rep = ins.prefix[0] in (0xF3, 0xF2) and ins.mnemonic.startswith(("rep", "movs", "stos"))
        return Insn(ins.address, ins.size, ins.mnemonic, ins.op_str, tuple(ops), rep,
                    bytes(ins.bytes), tuple(rr), tuple(rw))


_LEGACY_PREFIXES = frozenset(b"\x66\xf2\xf3\x2e\x36\x3e\x26\x64\x65\xf0\x67")


def vex_kind(code: bytes) -> str | None:
    """'VEX'/'EVEX'/'XOP' if the instruction bytes use that encoding, else None."""
    i = 0
    n = len(code)
    while i < n and code[i] in _LEGACY_PREFIXES:
        i += 1
    if i < n and 0x40 <= code[i] <= 0x4F:
        i += 1
    if i >= n:
        return None
    b = code[i]
    if b in (0xC4, 0xC5):
        return "VEX"  # LES/LDS do not exist in 64-bit mode
    if b == 0x62:
        return "EVEX"
    if b == 0x8F and i + 1 < n and (code[i + 1] & 0x1F) >= 8:
        return "XOP"
    return None
