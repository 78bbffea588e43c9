"""Data moves: what each bit-preserving instruction copies, as byte pieces.

A piece `(dst_off, n, src, src_off)` says "bytes dst_off..dst_off+n of operand 0 come from
bytes src_off.. of operand `src`" (src None: zero-filled/passive). Bytes not covered keep
their shadow. Pieces are snapshotted before any is written, so in-register shuffles work.
"""

from __future__ import annotations

from revad_emu.cpu.decode import Insn, Operand
from revad_emu.cpu.locations import gpr_loc

Piece = tuple[int, int, int | None, int]

RSP, RSI, RDI, RCX, RAX, RBP = 4, 6, 7, 1, 0, 5


MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def const_loc(loc: int):
    """A location closure for a register's shadow, with the compiled hook's spec."""
    fn = lambda: loc  # noqa: E731
    fn.spec = ("c", loc)
    return fn


def stack_spec(base: int, disp: int) -> tuple:
    """[base + disp] as a compiled-hook location spec (push/pop/call/leave)."""
    return ("m", base, -1, 1, disp & MASK64, 0)


def gpr_spec(i: int) -> tuple:
    return ("c", gpr_loc(i))


def with_desc(h, desc):
    """Attach the compiled hook's descriptor (`_hot.c`, set_desc) to a Python handler: both
    must do the same thing, the C one only on its happy path."""
    h.desc = desc
    return h


def spec_of(fn) -> tuple | None:
    return getattr(fn, "spec", None) if fn is not None else None


def loc_fn(rec, insn: Insn, op: Operand):
    if op.kind == "mem":
        return rec.ea(op.mem, insn)
    if op.kind == "reg" and op.reg.kind in ("gpr", "xmm", "ymm"):
        return const_loc(op.reg.loc)
    return None


def reg_span(op: Operand) -> tuple | None:
    """Whole-register (8 bytes for a GPR) or memory read span for a guard descriptor."""
    if op.kind == "reg" and op.reg.kind == "gpr":
        return (gpr_spec(op.reg.index), 8)
    return None


def mover(rec, insn: Insn, pieces: list[Piece]):
    """Handler applying byte pieces (operand 0 is the destination)."""
    fns = [loc_fn(rec, insn, op) for op in insn.ops]
    if fns and fns[0] is None:
        return rec.generic(rec, insn)
    sh = rec.sh
    specs = tuple(spec_of(f) for f in fns)
    desc = ("move", specs, tuple(pieces)) if len(specs) <= 3 else None
    if len(pieces) == 1 and pieces[0][2] is not None:
        doff, n, si, soff = pieces[0]
        dfn, sfn = fns[0], fns[si]
        if sfn is None:
            return rec.generic(rec, insn)

        def h1():
            if sh.slots:
                sh.copy(sfn() + soff, dfn() + doff, n)

        return with_desc(h1, desc)
    for _, _, si, _ in pieces:
        if si is not None and fns[si] is None:
            return rec.generic(rec, insn)

    def h():
        if not sh.slots:
            return
        d = fns[0]()
        snaps = []
        for doff, n, si, soff in pieces:
            ents = None if si is None else sh.get(fns[si]() + soff, n)
            snaps.append((d + doff, n, ents))
        for dl, n, ents in snaps:
            if ents is None:
                sh.clear(dl, n)
            else:
                sh.put(dl, ents)

    return with_desc(h, desc)


def _zext(insn: Insn, pieces: list[Piece]) -> list[Piece]:
    """A write to a 32-bit GPR zeroes its upper half."""
    d = insn.ops[0]
    if d.kind == "reg" and d.reg.kind == "gpr" and d.reg.size == 4:
        return [*pieces, (4, 4, None, 0)]
    return pieces


def b_mov(rec, insn):
    d, s = insn.ops
    if s.kind == "imm":
        if not (d.kind == "reg" or d.kind == "mem"):
            return None
        n = 8 if d.kind == "reg" and d.reg.kind == "gpr" and d.size == 4 else d.size
        return mover(rec, insn, [(0, n, None, 0)])
    return mover(rec, insn, _zext(insn, [(0, d.size, 1, 0)]))


def b_push(rec, insn):
    s = insn.ops[0]
    gpr = rec.fast.gpr
    sh = rec.sh
    size = 8
    top = stack_spec(RSP, -size)
    if s.kind == "imm":
        def h():
            if sh.slots:
                sh.clear(gpr(RSP) - size, size)
        return with_desc(h, ("move", (top,), ((0, size, None, 0),)))
    sfn = loc_fn(rec, insn, s)
    if sfn is None:
        return rec.generic(rec, insn)
    n = s.size

    def h2():
        if sh.slots:
            dst = gpr(RSP) - size
            sh.copy(sfn(), dst, n)
            if n < size:
                sh.clear(dst + n, size - n)

    pieces = ((0, n, 1, 0),) + (((n, size - n, None, 0),) if n < size else ())
    return with_desc(h2, ("move", (top, sfn.spec), pieces))


def b_pop(rec, insn):
    d = insn.ops[0]
    dfn = loc_fn(rec, insn, d)
    if dfn is None:
        return rec.generic(rec, insn)
    gpr = rec.fast.gpr
    sh = rec.sh
    n = d.size

    def h():
        if sh.slots:
            sh.copy(gpr(RSP), dfn(), n)

    return with_desc(h, ("move", (dfn.spec, stack_spec(RSP, 0)), ((0, n, 1, 0),)))


def _target(rec, insn):
    """(constant target or None, closure computing the target at run time); the closure's
    `spec` is (location spec, load from there?) for the compiled hook, or None."""
    op = insn.ops[0]
    if op.kind == "imm":
        t = op.imm & 0xFFFF_FFFF_FFFF_FFFF
        fn = lambda: t  # noqa: E731
        fn.spec = (("c", t), False)
    elif op.kind == "reg" and op.reg.kind == "gpr" and op.reg.size == 8:
        i = op.reg.index
        fn = lambda: rec.fast.gpr(i)  # noqa: E731
        fn.spec = (("m", i, -1, 1, 0, 0), False)
    elif op.kind == "mem":
        ea = rec.ea(op.mem, insn)
        fn = lambda: int.from_bytes(rec.fast.mem(ea(), 8) or b"\0" * 8, "little")  # noqa: E731
        fn.spec = (ea.spec, True)
    else:
        return None, (lambda: 0)
    return (t if op.kind == "imm" else None), fn


def _needs_runtime(rec, const: int | None) -> bool:
    """Must the call/jmp look at its target each time (math function, untraced code, stub)?"""
    m = rec.math
    return const is None or m.maybe_special(const)


def b_call(rec, insn):
    """A call pushes a passive return address; a call into the math library is intercepted."""
    gpr = rec.fast.gpr
    sh = rec.sh
    const, target = _target(rec, insn)
    math = rec.math
    ret = insn.address + insn.size
    addr = insn.address
    if not _needs_runtime(rec, const):
        def plain():
            if sh.slots:
                sh.clear(gpr(RSP) - 8, 8)
        return with_desc(plain, ("move", (stack_spec(RSP, -8),), ((0, 8, None, 0),)))

    def h():
        rsp = gpr(RSP)
        if sh.slots:
            sh.clear(rsp - 8, 8)
        info = math.target_info(target())
        if info is not None:
            fn, prec, _untraced, name = info
            # Recognised or untraced: run it unrecorded even with passive arguments, so the
            # stub's jump into libm is not mistaken for a call without a rule.
            math.begin(fn, prec, addr, ret, rsp - 8, name=name)

    spec = getattr(target, "spec", None)
    return with_desc(h, ("call", *spec, False, ret)) if spec else h


def b_jmp(rec, insn):
    """Tail calls into the math library are intercepted like calls."""
    const, target = _target(rec, insn)
    if not _needs_runtime(rec, const):
        return False
    math = rec.math
    fast = rec.fast
    addr = insn.address

    def h():
        info = math.target_info(target())
        if info is not None:
            fn, prec, _untraced, name = info
            rsp = fast.gpr(RSP)
            ret = int.from_bytes(fast.mem(rsp, 8) or b"\0" * 8, "little")
            math.begin(fn, prec, addr, ret, rsp, name=name)

    spec = getattr(target, "spec", None)
    return with_desc(h, ("call", *spec, True, 0)) if spec else h


def b_leave(rec, insn):
    gpr = rec.fast.gpr
    sh = rec.sh
    rbp_loc = gpr_loc(RBP)

    def h():
        if sh.slots:
            sh.copy(gpr(RBP), rbp_loc, 8)

    return with_desc(h, ("move", (("c", rbp_loc), stack_spec(RBP, 0)), ((0, 8, 1, 0),)))


def b_xchg(rec, insn):
    a, b = insn.ops
    if a.kind == "reg" and b.kind == "reg" and a.reg == b.reg:
        return False  # nop (also the client-request marker xchg rbx, rbx)
    if a.size == 4 and a.kind == "reg" and b.kind == "reg":
        pieces_a = [(0, 4, 1, 0), (4, 4, None, 0)]
    else:
        pieces_a = [(0, a.size, 1, 0)]
    fa, fb = loc_fn(rec, insn, a), loc_fn(rec, insn, b)
    if fa is None or fb is None:
        return rec.generic(rec, insn)
    sh = rec.sh
    n = a.size
    zext = a.kind == "reg" and a.size == 4
    del pieces_a

    def h():
        if not sh.slots:
            return
        la, lb = fa(), fb()
        ea, eb = sh.get(la, n), sh.get(lb, n)
        for loc, ents in ((la, eb), (lb, ea)):
            if ents is None:
                sh.clear(loc, n)
            else:
                sh.put(loc, ents)
        if zext:
            sh.clear(la + 4, 4)
            if b.kind == "reg":
                sh.clear(lb + 4, 4)

    return with_desc(h, _guard(((a, fa), (b, fb)), n))


def _guard(ops, n: int) -> tuple:
    """Guard descriptor: while these operands (GPRs whole) are passive, nothing changes."""
    return ("guard", tuple(reg_span(op) or (fn.spec, n) for op, fn in ops), ())


def b_cmpxchg(rec, insn):
    """cmpxchg r/m, r (C11 atomics, OpenMP reductions): if the accumulator equals the
    destination, the source moves there, else the destination moves to the accumulator.
    Both values are known before the instruction runs. (capstone marks the destination as
    read-only, so the generic handler would miss the write.)"""
    d, s = insn.ops
    fd, fs = loc_fn(rec, insn, d), loc_fn(rec, insn, s)
    if fd is None or fs is None or d.size not in (1, 2, 4, 8):
        return rec.generic(rec, insn)
    n = d.size
    mask = (1 << (8 * n)) - 1
    fast, sh = rec.fast, rec.sh
    is_reg = d.kind == "reg"

    def h():
        if not sh.slots:
            return
        dl = fd()
        if is_reg:
            cur = fast.gpr(d.reg.index) >> (8 * d.reg.offset) & mask
        else:
            cur = int.from_bytes(fast.mem(dl, n) or b"", "little")
        if cur == fast.gpr(RAX) & mask:
            sh.copy(fs(), dl, n)
            if is_reg and n == 4:
                sh.clear(dl + 4, 4)
        else:
            sh.copy(dl, gpr_loc(RAX), n)
            if n == 4:
                sh.clear(gpr_loc(RAX) + 4, 4)

    return h


def b_cmpxchg_wide(rec, insn):
    """cmpxchg8b/cmpxchg16b m: rdx:rax against memory; equal: rcx:rbx stored, else loaded."""
    (m,) = insn.ops
    if m.kind != "mem":
        return rec.generic(rec, insn)
    half = 8 if insn.mnemonic == "cmpxchg16b" else 4
    ea = rec.ea(m.mem, insn)
    fast, sh = rec.fast, rec.sh
    hm = (1 << (8 * half)) - 1
    RBX, RDX = 3, 2

    def h():
        if not sh.slots:
            return
        a = ea()
        cur = int.from_bytes(fast.mem(a, 2 * half) or b"", "little")
        if cur == (fast.gpr(RDX) & hm) << (8 * half) | (fast.gpr(RAX) & hm):
            sh.copy(gpr_loc(RBX), a, half)
            sh.copy(gpr_loc(RCX), a + half, half)
        else:
            sh.copy(a, gpr_loc(RAX), half)
            sh.copy(a + half, gpr_loc(RDX), half)
            if half == 4:
                sh.clear(gpr_loc(RAX) + 4, 4)
                sh.clear(gpr_loc(RDX) + 4, 4)

    return h


def b_movx(rec, insn):
    """movzx/movsx/movsxd: byte-wise copy loops (glibc's small fwrite, char loops) move a
    float's bytes through them. The low bytes move; zero fill is passive; sign fill made from
    an active byte is a taint (bits of an active value)."""
    d, s = insn.ops
    fs = loc_fn(rec, insn, s)
    if d.kind != "reg" or d.reg.kind != "gpr" or fs is None or d.reg.offset:
        return rec.generic(rec, insn)
    n = s.size
    span = 8 if d.size in (4, 8) else d.size  # a 32-bit write zero-extends
    if n >= span:
        return mover(rec, insn, [(0, span, 1, 0)])
    move = mover(rec, insn, [(0, n, 1, 0), (n, span - n, None, 0)])
    if insn.mnemonic == "movzx":
        return move
    sh, dloc, taint = rec.sh, gpr_loc(d.reg.index), -1 - insn.address

    def h():
        active = sh.slots and sh.any_active(fs(), n)
        move()
        if active:
            sh.put(dloc + n, (taint,) * (span - n))

    return with_desc(h, ("guard", ((fs.spec, n),), ((("c", dloc), span),)))


_FLAG = {"c": 0, "p": 2, "z": 6, "s": 7, "o": 11}


def _cond(cc: str):
    """Predicate on EFLAGS for a condition-code suffix."""
    def f(n):
        return lambda fl: (fl >> _FLAG[n]) & 1
    c, p, z, s, o = (f(k) for k in "cpzso")
    table = {
        "o": o, "no": lambda fl: not o(fl), "b": c, "c": c, "nae": c,
        "ae": lambda fl: not c(fl), "nb": lambda fl: not c(fl), "nc": lambda fl: not c(fl),
        "e": z, "z": z, "ne": lambda fl: not z(fl), "nz": lambda fl: not z(fl),
        "be": lambda fl: c(fl) or z(fl), "na": lambda fl: c(fl) or z(fl),
        "a": lambda fl: not (c(fl) or z(fl)), "nbe": lambda fl: not (c(fl) or z(fl)),
        "s": s, "ns": lambda fl: not s(fl), "p": p, "pe": p, "np": lambda fl: not p(fl),
        "po": lambda fl: not p(fl), "l": lambda fl: s(fl) != o(fl),
        "nge": lambda fl: s(fl) != o(fl), "ge": lambda fl: s(fl) == o(fl),
        "nl": lambda fl: s(fl) == o(fl), "le": lambda fl: z(fl) or s(fl) != o(fl),
        "ng": lambda fl: z(fl) or s(fl) != o(fl), "g": lambda fl: not z(fl) and s(fl) == o(fl),
        "nle": lambda fl: not z(fl) and s(fl) == o(fl),
    }
    return table[cc]


def b_cmov(rec, insn):
    pred = _cond(insn.mnemonic[4:])
    d, s = insn.ops
    fd, fs = loc_fn(rec, insn, d), loc_fn(rec, insn, s)
    if fd is None or fs is None:
        return rec.generic(rec, insn)
    sh = rec.sh
    reg = rec.fast.reg
    from revad_emu.cpu.fastuc import UC_EFLAGS

    n = d.size

    def h():
        if not sh.slots:
            return
        dl = fd()
        if pred(reg(UC_EFLAGS)):
            sh.copy(fs(), dl, n)
        if n == 4:
            sh.clear(dl + 4, 4)  # cmov r32 zero-extends even when the move does not happen

    return with_desc(h, _guard(((d, fd), (s, fs)), n))


def _string_op(rec, insn, kind: str):
    """movs/stos/lods, with or without rep: handle the whole range on the first hook."""
    width = {"b": 1, "w": 2, "d": 4, "q": 8}[insn.mnemonic.split()[-1][-1]]
    rep = insn.rep
    gpr = rec.fast.gpr
    reg = rec.fast.reg
    sh = rec.sh
    from revad_emu.cpu.fastuc import UC_EFLAGS

    addr = insn.address

    def h():
        if rep:
            if rec.prev == addr:
                return  # a later iteration of the rep we already handled whole
            count = gpr(RCX)
        else:
            count = 1
        if count == 0 or not sh.slots:
            return
        down = (reg(UC_EFLAGS) >> 10) & 1
        total = count * width
        if kind == "movs":
            src, dst = gpr(RSI), gpr(RDI)
            if down:
                src, dst = src - total + width, dst - total + width
            ents = sh.get(src, total)
            if ents is None:
                sh.clear_range(dst, dst + total)
            else:
                sh.put(dst, ents)
        elif kind == "stos":
            dst = gpr(RDI)
            if down:
                dst = dst - total + width
            ents = sh.get(gpr_loc(RAX), width)
            if ents is None:
                sh.clear_range(dst, dst + total)
            else:
                for k in range(count):
                    sh.put(dst + k * width, ents)
        else:  # lods
            src = gpr(RSI)
            sh.copy(src + (total - width if not down else -(total - width)), gpr_loc(RAX), width)

    return with_desc(h, ("rep",)) if rep else h


TABLE = {
    "mov": b_mov, "movabs": b_mov, "push": b_push, "pop": b_pop, "call": b_call, "jmp": b_jmp,
    "leave": b_leave, "xchg": b_xchg, "cmpxchg": b_cmpxchg, "lock cmpxchg": b_cmpxchg,
    "cmpxchg8b": b_cmpxchg_wide, "cmpxchg16b": b_cmpxchg_wide,
    "movzx": b_movx, "movsx": b_movx, "movsxd": b_movx,
    "lock cmpxchg8b": b_cmpxchg_wide, "lock cmpxchg16b": b_cmpxchg_wide,
    **{f"cmov{cc}": b_cmov for cc in (
        "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g")},
}
for _k in ("movs", "stos", "lods"):
    for _w in "bwdq":
        TABLE[f"{_k}{_w}"] = (lambda kind: lambda rec, insn: _string_op(rec, insn, kind))(_k)
        TABLE[f"rep {_k}{_w}"] = TABLE[f"{_k}{_w}"]


def _xsave(restore: bool):
    """fxsave/xsave*/fxrstor/xrstor*: XMM0-15 live at offset 160 + 16*i of the save area.

    glibc's lazy-binding trampoline (_dl_runtime_resolve_xsave*) saves and restores the
    argument registers this way around every first call through the PLT.
    The x87 registers (legacy layout: ST(i) in stack order at offset 32 + 16*i, 10 bytes;
    TOP in the saved status word at offset 2) go along for fxsave/fxrstor always, for the
    xsave family when bit 0 of EAX asks for them; xrstor with that bit clear in the area's
    XSTATE_BV (offset 512) puts them in their initial (passive) state.
    """
    def b(rec, insn):
        from revad_emu.cpu.fastuc import UC_FPSW
        from revad_emu.cpu.locations import x87_loc, xmm_loc

        mem = insn.ops[0] if insn.ops else None
        if mem is None or mem.kind != "mem":
            return rec.generic(rec, insn)
        fn = rec.ea(mem.mem, insn)
        sh = rec.sh
        fast = rec.fast
        always_x87 = insn.mnemonic.startswith("fx")

        def x87(area: int) -> None:
            if not always_x87 and not fast.gpr(RAX) & 1:
                return
            if restore:
                hdr = None if always_x87 else fast.mem(area + 512, 8)
                if hdr is not None and not hdr[0] & 1:
                    for p in range(8):
                        sh.clear(x87_loc(p), 16)
                    return
                sw = fast.mem(area + 2, 2)
                top = (int.from_bytes(sw, "little") >> 11) & 7 if sw else 0
                for i in range(8):
                    sh.copy(area + 32 + 16 * i, x87_loc((top + i) & 7), 10)
            else:
                top = (fast.reg(UC_FPSW) >> 11) & 7
                for i in range(8):
                    sh.copy(x87_loc((top + i) & 7), area + 32 + 16 * i, 10)

        def h():
            if not sh.slots:
                return
            area = fn()
            x87(area)
            base = area + 160
            for i in range(16):
                if restore:
                    sh.copy(base + 16 * i, xmm_loc(i), 16)
                else:
                    sh.copy(xmm_loc(i), base + 16 * i, 16)
        return h
    return b


for _m in ("fxsave", "fxsave64", "xsave", "xsave64", "xsavec", "xsavec64", "xsaveopt",
           "xsaveopt64", "xsaves", "xsaves64"):
    TABLE[_m] = _xsave(False)
for _m in ("fxrstor", "fxrstor64", "xrstor", "xrstor64", "xrstors", "xrstors64"):
    TABLE[_m] = _xsave(True)


# ------------------------------------------------- byte-moving integer operations on GPRs
# Two floats travel in one GPR (a struct {float x, y;} returned in xmm0 is split with
# `movq rax, xmm0; shr rax, 32`, packed with `shl rdx, 32; or rax, rdx`). Shifts by whole
# bytes, and `and`/`or` where each byte comes from one side only, are data moves.


def _gpr_dst(insn):
    d = insn.ops[0]
    if d.kind == "reg" and d.reg.kind == "gpr" and d.reg.size in (4, 8) and not d.reg.offset:
        return d.reg
    return None


def b_shift(rec, insn):
    reg = _gpr_dst(insn)
    if reg is None or len(insn.ops) != 2 or insn.ops[1].kind != "imm":
        return rec.generic(rec, insn)
    n = reg.size
    k = insn.ops[1].imm & (63 if n == 8 else 31)
    if k == 0:
        return False
    if k % 8:
        return rec.generic(rec, insn)
    k //= 8
    if insn.mnemonic == "shl" or insn.mnemonic == "sal":
        pieces = [(k, n - k, 0, 0), (0, k, None, 0)]
    else:  # shr, sar: the fill (zeros or sign copies) is passive
        pieces = [(0, n - k, 0, k), (n - k, k, None, 0)]
    if n == 4:
        pieces.append((4, 4, None, 0))
    return mover(rec, insn, pieces)


def b_bytewise(rec, insn):
    """`or r, r/imm` and `and r, imm`: each result byte is one side's byte or a constant."""
    reg = _gpr_dst(insn)
    if reg is None or len(insn.ops) != 2:
        return rec.generic(rec, insn)
    s = insn.ops[1]
    kind = insn.mnemonic
    n = reg.size
    if s.kind == "reg" and (s.reg.kind != "gpr" or s.reg.size != n or s.reg.offset):
        return rec.generic(rec, insn)
    if s.kind == "mem" or (kind == "and" and s.kind != "imm"):
        return rec.generic(rec, insn)
    if s.kind == "reg" and s.reg.index == reg.index:
        return False  # or/and with itself: unchanged
    sh = rec.sh
    gpr = rec.fast.gpr
    dloc = reg.loc
    sloc = s.reg.loc if s.kind == "reg" else None
    imm = s.imm & ((1 << (8 * n)) - 1) if s.kind == "imm" else 0
    taint = -1 - insn.address

    def h():
        if not sh.slots:
            return
        ea = sh.get(dloc, n)
        eb = sh.get(sloc, n) if sloc is not None else None
        if ea is None and eb is None:
            if n == 4:
                sh.clear(dloc + 4, 4)
            return
        a = gpr(reg.index)
        b = gpr(s.reg.index) if sloc is not None else imm
        sh.put(dloc, bytewise(kind, ea, eb, a, b, n, taint))
        if n == 4:
            sh.clear(dloc + 4, 4)

    reads = (gpr_spec(reg.index), 8), *(((gpr_spec(s.reg.index), 8),) if sloc is not None else ())
    return with_desc(h, ("guard", reads, ()))


def bytewise(kind: str, ea, eb, a: int, b: int, n: int, taint: int) -> list:
    """Shadow entries of `a and/or b` (n bytes; ea, eb: their entries or None; for "and",
    b is a constant mask): each result byte is one side's byte, a constant, or a taint."""
    ea = ea or [None] * n
    eb = eb or [None] * n
    out = []
    for i in range(n):
        ab, bb = (a >> (8 * i)) & 0xFF, (b >> (8 * i)) & 0xFF
        if kind == "and":  # b is a constant mask
            e = ea[i] if bb == 0xFF else None if bb == 0 else (
                None if ea[i] is None else taint)
        elif bb == 0:  # a zero byte may still be part of an active value: keep that
            e = ea[i] if ea[i] is not None or ab else eb[i]
        elif ab == 0:
            e = eb[i]
        else:
            e = None if ea[i] is None and eb[i] is None else taint
        out.append(e)
    return out


TABLE.update({"shr": b_shift, "sar": b_shift, "shl": b_shift, "sal": b_shift,
              "or": b_bytewise, "and": b_bytewise})
