"""Everything without a table entry: integer ALU, control flow, system instructions.

No derivative flows through these. What they write loses its shadow; if they read an active
value and write a result, that is integer arithmetic on a float's bits (a "bit trick"): the
derivative is dropped. The written bits carry a taint naming the instruction; if they ever
reach floating-point arithmetic or an output, the recorder warns (never silently).
"""

from __future__ import annotations

from capstone import CS_AC_READ, CS_AC_WRITE

from revad_emu.ad.isa.moves import const_loc
from revad_emu.cpu.decode import REGS, Insn
from revad_emu.cpu.locations import gpr_loc, xmm_loc

_ZERO_IDIOMS = {"xor", "sub", "pxor", "xorps", "xorpd", "psubq", "psubd", "pcmpgtq"}
_NO_DATA = ("j", "cmp", "test", "bt", "nop", "endbr", "ret", "ptest", "ucomi", "comi", "prefetch",
            "lfence", "sfence", "mfence", "pause", "cld", "std", "clc", "stc", "cmc", "hlt")


def _reg_span(info, write: bool) -> tuple[int, int] | None:
    if info.kind == "gpr":
        if write and info.size == 4:
            return gpr_loc(info.index), 8  # 32-bit writes zero the upper half
        return gpr_loc(info.index) + info.offset, info.size
    if info.kind in ("xmm", "ymm"):
        return xmm_loc(info.index), info.size
    return None


def generic_handler(rec, insn: Insn):
    mn = insn.mnemonic
    ops = insn.ops
    if mn.startswith(_NO_DATA) and not mn.startswith(("cmpxchg", "btc", "btr", "bts")):
        return False
    if mn in _ZERO_IDIOMS and len(ops) == 2 and ops[0].kind == ops[1].kind == "reg" \
            and ops[0].reg == ops[1].reg:
        span = _reg_span(ops[0].reg, True)
        if span is None:
            return False
        return clearer(rec, const_loc(span[0]), span[1])
    reads: set[tuple[int, int]] = set()
    writes: set[tuple[int, int]] = set()
    mem_r, mem_w = [], []
    untracked_write = mn.startswith("f") or any(
        o.kind == "reg" and o.reg.kind in ("st", "other") and o.access & CS_AC_WRITE
        for o in ops)
    for rid in insn.regs_read:
        info = REGS.get(rid)
        if info is not None and (span := _reg_span(info, False)):
            reads.add(span)
    for rid in insn.regs_write:
        info = REGS.get(rid)
        if info is not None and (span := _reg_span(info, True)):
            writes.add(span)
        elif info is not None and info.kind == "st":
            untracked_write = True
    for o in ops:
        if o.kind == "mem":
            fn = rec.ea(o.mem, insn)
            if mn == "lea" or mn.startswith(("prefetch", "nop")):
                continue
            if o.access & CS_AC_READ or not o.access:
                mem_r.append((fn, o.size or 8))
            if o.access & CS_AC_WRITE:
                mem_w.append((fn, o.size or 8))
        elif o.kind == "reg" and o.reg.kind in ("gpr", "xmm", "ymm"):
            if o.access & CS_AC_READ:
                reads.add(_reg_span(o.reg, False))
            if o.access & CS_AC_WRITE:
                writes.add(_reg_span(o.reg, True))
    if not writes and not mem_w and not untracked_write:
        return False
    sh = rec.sh
    addr = insn.address
    passive = rec.in_passive_routine(addr)
    reads_t, writes_t = tuple(reads), tuple(writes)
    taint = (-1 - addr,) * 32  # shadow entries meaning "bits made by a bit trick at addr"
    x87 = mn.startswith("f")

    def h():
        if not sh.slots:
            return
        active = any(sh.any_active(loc, n) for loc, n in reads_t) or \
            any(sh.any_active(fn(), n) for fn, n in mem_r)
        if active and x87 and not passive:
            rec.warn(addr, "x87", "x87 instruction on an active value: not differentiated yet; "
                                  "derivative dropped")
        if active and not x87:
            # Integer arithmetic on a float's bits: the result carries a taint that warns
            # if it ever flows into floating-point arithmetic or an output. (Inside printf
            # and strtod too: text parsed back into a number must not look passive.)
            for loc, n in writes_t:
                sh.put(loc, taint[:n])
            for fn, n in mem_w:
                sh.put(fn(), taint[:n])
            return
        for loc, n in writes_t:
            sh.clear(loc, n)
        for fn, n in mem_w:
            sh.clear(fn(), n)

    specs = [getattr(fn, "spec", None) for fn, _ in mem_r + mem_w]
    if None in specs:
        return h
    h.desc = ("gen", tuple((("c", loc), n) for loc, n in reads_t) +
              tuple((fn.spec, n) for fn, n in mem_r),
              tuple((("c", loc), n) for loc, n in writes_t) +
              tuple((fn.spec, n) for fn, n in mem_w), passive, x87)
    return h


def clearer(rec, fn, n: int):
    """Handler for an instruction whose result is always passive: forget n bytes at fn()
    (a location closure with its compiled-hook `spec`, see moves.loc_fn)."""
    sh = rec.sh

    def h():
        if sh.slots:
            sh.clear(fn(), n)

    h.desc = ("gen", (), ((fn.spec, n),), False, False)
    return h
