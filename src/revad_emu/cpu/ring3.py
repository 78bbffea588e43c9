"""What a user-mode (ring 3) x86-64 process may not do, which Unicorn (ring 0) lets through.

Unicorn runs the guest at privilege level 0 and, being based on an old QEMU, does not check
the alignment of SSE memory operands. A native process dies with SIGSEGV on each of the
following; the machine detects them before they run (DESIGN §2):

- privileged instructions (`PRIVILEGED`): `cli`, `in`/`out`, `wrmsr`, `lgdt`, `sysenter`,
  `hlt`, moves to control or debug registers... (#GP in ring 3);
- a legacy-SSE instruction with a 16-byte memory operand that is not 16-byte aligned
  (`movapd`, `addpd xmm, m128`, `pcmpeqb xmm, m128`, ...; the explicitly unaligned forms are
  exempt), and `fxsave`/`xsave`-family or `cmpxchg16b` operands below their alignment.

`int $0x80` is not a fault: it is the 32-bit system call gate (linux/i386.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capstone import x86_const as CX
from unicorn import x86_const as UX

PRIVILEGED = frozenset(
    "cli sti hlt in insb insw insd out outsb outsw outsd wrmsr rdmsr lgdt lidt lldt ltr "
    "sysenter sysexit sysret sysretq swapgs invd wbinvd invlpg invlpga invpcid clts lmsw "
    "xsetbv rdpmc vmcall vmlaunch vmresume vmxoff vmxon vmptrld vmptrst vmread vmwrite "
    "vmclear invept invvpid vmrun vmload vmsave vmmcall stgi clgi skinit wrfsbase wrgsbase "
    "rdfsbase rdgsbase".split()
)
# wr/rdfsbase: #UD unless the kernel enabled FSGSBASE; Linux >= 5.9 does, so they run
# natively there - but Unicorn does not implement them either way: refused with SIGILL below.
_UD_IN_USER = frozenset("wrfsbase wrgsbase rdfsbase rdgsbase".split())
_CTRL_REG = re.compile(r"\b[cd]r\d+\b")
_SUSPECT = PRIVILEGED | _UD_IN_USER | {"mov"}


def user_mode_fault(mnem: str, ops: str) -> tuple[int, str] | None:
    """(signal, reason) if the instruction faults in a user process, else None."""
    if mnem not in _SUSPECT:
        return None
    if mnem in _UD_IN_USER:
        return 4, "instruction not enabled for user processes"
    if mnem in PRIVILEGED or (
        mnem == "mov" and ("cr" in ops or "dr" in ops) and _CTRL_REG.search(ops)
    ):
        return 11, "privileged instruction"
    return None


# -- alignment ----------------------------------------------------------------------------

# Legacy-SSE instructions whose 128-bit memory operand must be 16-byte aligned (their xmm
# forms; capstone's operand sizes are not trusted: it calls comisd's m64 an xmmword).
_ALIGNED_SSE = frozenset(
    """movaps movapd movdqa movntps movntpd movntdq movntdqa movshdup movsldup
    addps addpd subps subpd mulps mulpd divps divpd minps minpd maxps maxpd sqrtps sqrtpd
    rcpps rsqrtps andps andpd andnps andnpd orps orpd xorps xorpd shufps shufpd unpcklps
    unpcklpd unpckhps unpckhpd haddps haddpd hsubps hsubpd addsubps addsubpd dpps dppd
    blendps blendpd blendvps blendvpd roundps roundpd cvtdq2ps cvtps2dq cvttps2dq cvtpd2dq
    cvttpd2dq cvtpd2ps paddb paddw paddd paddq psubb psubw psubd psubq paddsb paddsw paddusb
    paddusw psubsb psubsw psubusb psubusw pmullw pmulhw pmulhuw pmuludq pmuldq pmulld
    pmaddwd pmaddubsw pavgb pavgw pminub pminsw pmaxub pmaxsw pminsb pminsd pminuw pminud
    pmaxsb pmaxsd pmaxuw pmaxud psadbw pand pandn por pxor pcmpeqb pcmpeqw pcmpeqd pcmpeqq
    pcmpgtb pcmpgtw pcmpgtd pcmpgtq packsswb packssdw packuswb packusdw punpcklbw punpcklwd
    punpckldq punpcklqdq punpckhbw punpckhwd punpckhdq punpckhqdq pshufd pshufhw pshuflw
    pshufb psllw pslld psllq psrlw psrld psrlq psraw psrad palignr pabsb pabsw pabsd psignb
    psignw psignd phaddw phaddd phaddsw phsubw phsubd phsubsw pmulhrsw ptest pblendw
    pblendvb mpsadbw phminposuw pclmulqdq aesenc aesenclast aesdec aesdeclast aesimc
    aeskeygenassist""".split()
)
_CMP_PACKED = re.compile(r"cmp(eq|lt|le|unord|neq|nlt|nle|ord)?p[sd]")
_ALIGN_OF = {
    **dict.fromkeys(("fxsave", "fxsave64", "fxrstor", "fxrstor64", "cmpxchg16b"), 16),
    **dict.fromkeys(("xsave", "xsave64", "xsavec", "xsavec64", "xsaveopt", "xsaveopt64",
                     "xsaves", "xsaves64", "xrstor", "xrstor64", "xrstors", "xrstors64"), 64),
}  # fmt: skip

_UC_GPR = {getattr(CX, f"X86_REG_{n.upper()}"): getattr(UX, f"UC_X86_REG_{n.upper()}")
           for n in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                     *(f"r{i}" for i in range(8, 16)))}  # fmt: skip
_UC_SEG_BASE = {CX.X86_REG_FS: UX.UC_X86_REG_FS_BASE, CX.X86_REG_GS: UX.UC_X86_REG_GS_BASE}


@dataclass(frozen=True)
class AlignedOperand:
    """The memory operand of an instruction that needs `align`-byte alignment: its address
    is base + index*scale + disp (+ the FS/GS base), read from Unicorn register ids."""

    align: int
    base: int | None  # Unicorn register id; None: no base register
    index: int | None
    scale: int
    disp: int
    segment: int | None  # Unicorn FS_BASE/GS_BASE id

    def c_args(self) -> tuple[int, int, int, int, int, int]:
        """(base, index, scale, disp, segment, align) for _hot.Aligner.add (-1: none)."""

        def rid(r: int | None) -> int:
            return -1 if r is None else r

        return (rid(self.base), rid(self.index), self.scale, self.disp, rid(self.segment),
                self.align)  # fmt: skip

    def address(self, reg) -> int:
        a = self.disp
        if self.base is not None:
            a += reg(self.base)
        if self.index is not None:
            a += reg(self.index) * self.scale
        if self.segment is not None:
            a += reg(self.segment)
        return a & 0xFFFF_FFFF_FFFF_FFFF


_VEX_ALIGNED = frozenset(
    "vmovaps vmovapd vmovdqa vmovdqa32 vmovdqa64 vmovntps vmovntpd vmovntdq vmovntdqa".split()
)


# Mnemonics worth a closer look (with "mmword ptr" operands): the per-instruction filter.
WATCHED = _SUSPECT | frozenset(_ALIGN_OF)


def may_need_alignment(mnem: str, ops: str) -> bool:
    """Cheap filter on capstone's text before decoding the instruction in detail."""
    return "mmword ptr" in ops or mnem in _ALIGN_OF


def aligned_operand(insn, vex: bool = False) -> AlignedOperand | int | None:
    """For a capstone instruction (detail on): the operand that must be aligned, as a
    run-time formula; for a RIP-relative operand the `align` remainder of its address (0:
    aligned); None when the instruction has no alignment requirement. Legacy SSE needs a
    16-byte memory operand aligned unless the instruction is an explicitly unaligned one;
    VEX/EVEX code only for the explicitly aligned moves (`vex`: the instruction is VEX/EVEX
    encoded)."""
    mem = [op for op in insn.operands if op.type == CX.X86_OP_MEM]
    if not mem:
        return None
    align = _ALIGN_OF.get(insn.mnemonic)
    if align is None:
        if vex:
            if insn.mnemonic not in _VEX_ALIGNED:
                return None
            align = mem[0].size
        elif insn.mnemonic not in _ALIGNED_SSE and not _CMP_PACKED.fullmatch(insn.mnemonic):
            return None
        elif not any(op.type == CX.X86_OP_REG and insn.reg_name(op.reg).startswith("xmm")
                     for op in insn.operands):  # fmt: skip
            return None  # not an SSE instruction
        else:
            align = 16
    m = mem[0].mem
    if m.base == CX.X86_REG_RIP:
        return (insn.address + insn.size + m.disp) % align
    if (m.base and m.base not in _UC_GPR) or (m.index and m.index not in _UC_GPR):
        return None  # 32-bit address registers and the like: not checked
    return AlignedOperand(align, _UC_GPR.get(m.base), _UC_GPR.get(m.index), m.scale, m.disp,
                          _UC_SEG_BASE.get(m.segment))  # fmt: skip


# -- checking at the start of the block ------------------------------------------------------

_FAMILY: dict[int, int] = {}  # capstone GPR id (any width) -> its 64-bit register's id
for _i, _r64 in enumerate(("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi")):
    _low = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di")[_i]
    for _n in (_r64, "e" + _low, _low, _low[0] + "l" if _i < 4 else _low + "l",
               _low[0] + "h" if _i < 4 else ""):  # fmt: skip
        if _n and hasattr(CX, f"X86_REG_{_n.upper()}"):
            _FAMILY[getattr(CX, f"X86_REG_{_n.upper()}")] = getattr(CX, f"X86_REG_{_r64.upper()}")
for _i in range(8, 16):
    for _n in (f"r{_i}", f"r{_i}d", f"r{_i}w", f"r{_i}b"):
        _FAMILY[getattr(CX, f"X86_REG_{_n.upper()}")] = getattr(CX, f"X86_REG_R{_i}")


def entry_formula(before: list, site, align: int):
    """The site's operand address in terms of the registers at the start of its block,
    following the block's instructions `before` it (capstone, detail on) through copies,
    constant additions and alignment masks. Returns ("block", base, index, disp) with
    Unicorn register ids (None: none), "aligned" or "misaligned" when the masks decide it
    for good, or None when the block computes the address otherwise (check at the site)."""
    m = next(op.mem for op in site.operands if op.type == CX.X86_OP_MEM)
    # register -> ("e", r0, d): entry value of r0 (None: 0) plus d; ("a", k, d): congruent
    # to d modulo 2**k
    state: dict[int, tuple | None] = {}

    def get(r: int) -> tuple | None:
        return state.get(r, ("e", r, 0))

    for insn in before:
        try:
            written = {_FAMILY.get(w) for w in insn.regs_access()[1]} - {None}
        except Exception:  # noqa: BLE001 - capstone cannot tell: assume the worst
            return None
        for r in written:
            state[r] = _transfer(insn, r, get)
    base = get(m.base) if m.base else ("e", None, 0)
    index = get(m.index) if m.index else ("e", None, 0)
    if base is None or index is None:
        return None
    if base[0] == "a" and not m.index:
        if (1 << base[1]) % align:
            return None
        return "aligned" if (base[2] + m.disp) % align == 0 else "misaligned"
    if base[0] != "e" or index[0] != "e":
        return None
    disp = m.disp + base[2] + index[2] * m.scale
    return ("block", _UC_GPR.get(base[1]), _UC_GPR.get(index[1]), disp)


def _shift(v: tuple | None, d: int) -> tuple | None:
    return None if v is None else (v[0], v[1], v[2] + d)


def _transfer(insn, reg: int, get):
    """The state of the 64-bit register `reg` after `insn` writes it."""
    ops, mn = insn.operands, insn.mnemonic
    if mn in ("push", "pop") and reg == CX.X86_REG_RSP:
        ok = ops and ops[0].size == 8
        return _shift(get(reg), -8 if mn == "push" else 8) if ok else None
    if not ops or ops[0].type != CX.X86_OP_REG or ops[0].reg != reg:
        return None  # a partial or implicit write
    src = ops[1] if len(ops) == 2 else None
    if mn in ("add", "sub") and src is not None and src.type == CX.X86_OP_IMM:
        return _shift(get(reg), src.imm if mn == "add" else -src.imm)
    if mn in ("inc", "dec") and len(ops) == 1:
        return _shift(get(reg), 1 if mn == "inc" else -1)
    if mn == "mov" and src is not None and src.type == CX.X86_OP_REG and src.reg in _UC_GPR:
        return get(src.reg)
    if mn in ("mov", "movabs") and src is not None and src.type == CX.X86_OP_IMM:
        return ("e", None, src.imm)  # a constant
    if mn == "lea" and src is not None and src.mem.base in _UC_GPR and not src.mem.index:
        return _shift(get(src.mem.base), src.mem.disp)
    if mn == "and" and src is not None and src.type == CX.X86_OP_IMM and src.imm & 0xF == 0:
        imm = src.imm & 0xFFFF_FFFF_FFFF_FFFF
        return ("a", (imm & -imm).bit_length() - 1, 0) if imm else ("a", 64, 0)
    return None
