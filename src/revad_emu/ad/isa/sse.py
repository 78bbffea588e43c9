"""SSE/SSE2/SSE3/SSSE3/SSE4.1: moves and shuffles (as byte pieces) and FP arithmetic.

Arithmetic handlers read the operands (to validate their bits and compute partials), then
leave a "post" step that reads the result lanes after Unicorn executed the instruction, so
the tape holds exactly the values the program computed (any MXCSR rounding mode, FTZ/DAZ).
"""

from __future__ import annotations

import math
import struct

from revad_emu.ad.isa.generic import clearer
from revad_emu.ad.isa.moves import const_loc, loc_fn, mover, with_desc
from revad_emu.ad.rules import BINARY, UNARY
from revad_emu.ad.tape import op_code
from revad_emu.ad.values import value_of
from revad_emu.cpu.locations import xmm_loc

_unpack_d = struct.Struct("<d").unpack_from
_unpack_f = struct.Struct("<f").unpack_from
_pack_f = struct.Struct("<f").pack

# ----------------------------------------------------------------------------- moves


def _is_xmm(op) -> bool:
    return op.kind == "reg" and op.reg.kind == "xmm"


def s_movsd_like(w):
    def b(rec, insn):
        d, s = insn.ops[0], insn.ops[-1]
        if d.kind == "mem" and s.kind == "mem":  # the string instruction movsd
            from revad_emu.ad.isa.moves import _string_op

            return _string_op(rec, insn, "movs")
        if _is_xmm(d) and s.kind == "mem":
            return mover(rec, insn, [(0, w, 1, 0), (w, 16 - w, None, 0)])
        return mover(rec, insn, [(0, w, 1, 0)])
    return b


def s_move_full(rec, insn):
    d, s = insn.ops
    return mover(rec, insn, [(0, min(d.size, s.size, 16) or 16, 1, 0)])


def s_movq(rec, insn):
    d, s = insn.ops
    if _is_xmm(d):
        return mover(rec, insn, [(0, 8, 1, 0), (8, 8, None, 0)])
    return mover(rec, insn, [(0, 8, 1, 0)])


def s_movd(rec, insn):
    d, s = insn.ops
    if _is_xmm(d):
        return mover(rec, insn, [(0, 4, 1, 0), (4, 12, None, 0)])
    if d.kind == "reg":
        return mover(rec, insn, [(0, 4, 1, 0), (4, 4, None, 0)])
    return mover(rec, insn, [(0, 4, 1, 0)])


def s_movhigh(rec, insn):  # movhpd/movhps
    d, s = insn.ops
    if _is_xmm(d):
        return mover(rec, insn, [(8, 8, 1, 0)])
    return mover(rec, insn, [(0, 8, 1, 8)])


def s_movlow(rec, insn):  # movlpd/movlps
    return mover(rec, insn, [(0, 8, 1, 0)])


def _imm(insn) -> int:
    return insn.ops[-1].imm & 0xFF


def s_shufpd(rec, insn):
    i = _imm(insn)
    return mover(rec, insn, [(0, 8, 0, (i & 1) * 8), (8, 8, 1, ((i >> 1) & 1) * 8)])


def s_shufps(rec, insn):
    i = _imm(insn)
    sel = [(0, i & 3), (0, (i >> 2) & 3), (1, (i >> 4) & 3), (1, (i >> 6) & 3)]
    return mover(rec, insn, [(4 * j, 4, op, 4 * ln) for j, (op, ln) in enumerate(sel)])


def s_pshufd(rec, insn):
    i = _imm(insn)
    return mover(rec, insn, [(4 * j, 4, 1, 4 * ((i >> (2 * j)) & 3)) for j in range(4)])


def s_blend(w):
    def b(rec, insn):
        i = _imm(insn)
        n = 16 // w
        return mover(rec, insn, [(j * w, w, 1, j * w) for j in range(n) if (i >> j) & 1]) \
            if i & ((1 << n) - 1) else False
    return b


def s_blendv(w: int):
    """blendvpd/blendvps/pblendvb: lane j (w bytes) from the source where lane j of xmm0 has
    its sign bit set. The mask exists only at run time, so it is read before execution (an
    active mask is fine: it selects, it carries no derivative)."""
    def b(rec, insn):
        d, s = insn.ops[0], insn.ops[1]
        sfn = loc_fn(rec, insn, s)
        if not _is_xmm(d) or sfn is None:
            return rec.generic(rec, insn)
        dloc = xmm_loc(d.reg.index)
        sh = rec.sh
        xmm = rec.fast.xmm_bytes

        def h():
            if not sh.slots:
                return
            src = sh.get(sfn(), 16)  # snapshot before writing (the source may be operand 0)
            dst = sh.get(dloc, 16)
            if src is None and dst is None:
                return
            mask = xmm(0)
            out = list(dst or (None,) * 16)
            for k in range(16):
                if mask[k | (w - 1)] & 0x80:
                    out[k] = src[k] if src else None
            sh.put(dloc, out)
        return h
    return b


def s_pshufb(rec, insn):
    """pshufb: dst byte i = 0 if mask byte i has bit 7 set, else old dst byte (mask i & 15);
    the mask (the source) is read before execution. A float moved whole keeps its node."""
    d, s = insn.ops[0], insn.ops[1]
    sfn, sread = _src(rec, insn, s)
    if not _is_xmm(d) or sfn is None:
        return rec.generic(rec, insn)
    dloc = xmm_loc(d.reg.index)
    sh = rec.sh

    def h():
        if not sh.slots:
            return
        old = sh.get(dloc, 16)
        if old is None:
            return  # every result byte is a passive dst byte or zero
        mask = sread(sfn(), 16)
        if mask is None:
            return
        sh.put(dloc, [None if m & 0x80 else old[m & 15] for m in mask])
    return h


def s_maskmov(rec, insn):
    """maskmovdqu: bytes of operand 0 stored to [rdi] where the mask byte's top bit is set."""
    d, m = insn.ops[0], insn.ops[1]
    if not (_is_xmm(d) and _is_xmm(m)):
        return rec.generic(rec, insn)
    dloc, mi = xmm_loc(d.reg.index), m.reg.index
    sh, fast = rec.sh, rec.fast

    def h():
        if not sh.slots:
            return
        src = sh.get(dloc, 16) or [None] * 16
        base = fast.gpr(7)
        for k, b in enumerate(fast.xmm_bytes(mi)):
            if b & 0x80:
                sh.put(base + k, [src[k]])
    return h


def s_insertps(rec, insn):
    i = _imm(insn)
    s = insn.ops[1]
    src_lane = 0 if s.kind == "mem" else (i >> 6) & 3
    pieces = [((i >> 4 & 3) * 4, 4, 1, src_lane * 4)]
    pieces += [(4 * j, 4, None, 0) for j in range(4) if (i >> j) & 1]
    return mover(rec, insn, pieces)


def s_extract(w):
    def b(rec, insn):
        i = _imm(insn)
        d = insn.ops[0]
        pieces = [(0, w, 1, (i % (16 // w)) * w)]
        if d.kind == "reg" and d.reg.kind == "gpr" and w < 8:
            pieces.append((w, 8 - w, None, 0))  # the 32-bit GPR write zero-extends
        return mover(rec, insn, pieces)
    return b


def s_insert(w):
    def b(rec, insn):
        i = _imm(insn)
        return mover(rec, insn, [((i % (16 // w)) * w, w, 1, 0)])
    return b


def s_byteshift(left: bool):
    def b(rec, insn):
        i = min(_imm(insn), 16)
        if left:
            pieces = [(i, 16 - i, 0, 0)] if i < 16 else []
            pieces += [(0, i, None, 0)] if i else []
        else:
            pieces = [(0, 16 - i, 0, i)] if i < 16 else []
            pieces += [(16 - i, i, None, 0)] if i else []
        return mover(rec, insn, pieces) if pieces and i else False
    return b


def s_palignr(rec, insn):
    i = _imm(insn)
    pieces = []
    for k in range(16):  # result byte k = (dst:src)[k + i]; src low, dst high
        j = k + i
        if j < 16:
            pieces.append((k, 1, 1, j))
        elif j < 32:
            pieces.append((k, 1, 0, j - 16))
        else:
            pieces.append((k, 1, None, 0))
    return mover(rec, insn, pieces)


MOVES = {
    "movsd": s_movsd_like(8), "movss": s_movsd_like(4),
    **{m: s_move_full for m in ("movapd", "movaps", "movupd", "movups", "movdqa", "movdqu",
                                "lddqu", "movntdq", "movntpd", "movntps", "movntdqa")},
    "movq": s_movq, "movd": s_movd, "movhpd": s_movhigh, "movhps": s_movhigh,
    "movlpd": s_movlow, "movlps": s_movlow,
    "movhlps": lambda rec, insn: mover(rec, insn, [(0, 8, 1, 8)]),
    "movlhps": lambda rec, insn: mover(rec, insn, [(8, 8, 1, 0)]),
    "unpcklpd": lambda rec, insn: mover(rec, insn, [(8, 8, 1, 0)]),
    "punpcklqdq": lambda rec, insn: mover(rec, insn, [(8, 8, 1, 0)]),
    "unpckhpd": lambda rec, insn: mover(rec, insn, [(0, 8, 0, 8), (8, 8, 1, 8)]),
    "punpckhqdq": lambda rec, insn: mover(rec, insn, [(0, 8, 0, 8), (8, 8, 1, 8)]),
    "unpcklps": lambda rec, insn: mover(rec, insn, [(0, 4, 0, 0), (4, 4, 1, 0), (8, 4, 0, 4),
                                                    (12, 4, 1, 4)]),
    "punpckldq": lambda rec, insn: mover(rec, insn, [(0, 4, 0, 0), (4, 4, 1, 0), (8, 4, 0, 4),
                                                     (12, 4, 1, 4)]),
    "unpckhps": lambda rec, insn: mover(rec, insn, [(0, 4, 0, 8), (4, 4, 1, 8), (8, 4, 0, 12),
                                                    (12, 4, 1, 12)]),
    "punpckhdq": lambda rec, insn: mover(rec, insn, [(0, 4, 0, 8), (4, 4, 1, 8), (8, 4, 0, 12),
                                                     (12, 4, 1, 12)]),
    "movddup": lambda rec, insn: mover(rec, insn, [(0, 8, 1, 0), (8, 8, 1, 0)]),
    "movsldup": lambda rec, insn: mover(rec, insn, [(0, 4, 1, 0), (4, 4, 1, 0), (8, 4, 1, 8),
                                                    (12, 4, 1, 8)]),
    "movshdup": lambda rec, insn: mover(rec, insn, [(0, 4, 1, 4), (4, 4, 1, 4), (8, 4, 1, 12),
                                                    (12, 4, 1, 12)]),
    "shufpd": s_shufpd, "shufps": s_shufps, "pshufd": s_pshufd,
    "blendpd": s_blend(8), "blendps": s_blend(4), "pblendw": s_blend(2),
    "blendvpd": s_blendv(8), "blendvps": s_blendv(4), "pblendvb": s_blendv(1),
    "pshufb": s_pshufb,
    "insertps": s_insertps, "extractps": s_extract(4), "pextrd": s_extract(4),
    "pextrb": s_extract(1), "pextrw": s_extract(2), "movnti": s_move_full,
    "maskmovdqu": s_maskmov,
    "pextrq": s_extract(8), "pinsrd": s_insert(4), "pinsrq": s_insert(8),
    "pslldq": s_byteshift(True), "psrldq": s_byteshift(False), "palignr": s_palignr,
}

# ------------------------------------------------------------------------ arithmetic


def _src(rec, insn, op):
    """(location closure, raw reader) for an xmm register or memory operand."""
    fast = rec.fast
    if _is_xmm(op):
        i = op.reg.index
        return const_loc(xmm_loc(i)), (lambda _loc, _n: fast.xmm_bytes(i))
    if op.kind == "mem":
        return rec.ea(op.mem, insn), fast.mem
    return None, None


# Python computes + - * / sqrt min max exactly as SSE does under round-to-nearest; float
# results are the double result rounded once to float (exact for these operations).
_FLT_MIN = {8: 2.2250738585072014e-308, 4: 1.1754943508222875e-38}


def _ieee_div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _ieee_sqrt(a: float) -> float:
    return math.sqrt(a) if a >= 0 or a != a else math.nan


PYOPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": _ieee_div, "min": lambda a, b: a if a < b else b,
    "max": lambda a, b: a if a > b else b,
}
PYUNARY = {"sqrt": _ieee_sqrt, "cvt": lambda a: a}


def _to_float(r: float) -> float:
    try:
        return _unpack_f(_pack_f(r))[0]
    except OverflowError:
        return math.copysign(math.inf, r)


def _flush(v: float, w: int) -> float:
    """FTZ/DAZ: subnormals become zeros of the same sign."""
    return math.copysign(0.0, v) if v and abs(v) < _FLT_MIN[w] else v


def rounding_constant(x: float, c: float, w: int) -> str | None:
    """Is `active x ± passive c` a rounding idiom? x + 1.5*2^52 keeps only round(x): a step
    function, derivative 0 (how glibc's exp/sin and gcc's inline rint round): "magic".
    Any other constant so large that x's fraction is gone: "huge" (worth a warning).
    Shared by the SSE and VEX (isa/avx.py) add/sub rules."""
    ac = abs(c)
    magic = math.frexp(ac)[0] in (0.5, 0.75)  # 2^k or 1.5*2^k constants
    big = (2.0 ** 40 if w == 8 else 2.0 ** 21) if magic else (2.0 ** 52 if w == 8 else 2.0 ** 23)
    if ac >= big and abs(x) * 1048576.0 < ac:
        return "magic" if magic else "huge"
    return None


def scalar_binop(op: str, w: int, fallback, lanes: int = 1):
    """addsd/mulss/addpd & co.: operands read in one C call, lane results computed here."""
    rule, pyop, code = BINARY[op], PYOPS[op], op_code(op)
    unpack = _unpack_d if w == 8 else _unpack_f
    offs = tuple(j * w for j in range(lanes))
    nbytes = w * lanes
    # x + 1.5*2^52 (float: 1.5*2^23) rounds x to an integer: glibc's exp, sin, rint use it,
    # and the tape must see a step function there, not the identity (docs/derivatives.md).
    absorbs = op in ("add", "sub")

    def b(rec, insn):
        d, s = insn.ops[0], insn.ops[1]
        if not _is_xmm(d) or not (_is_xmm(s) or s.kind == "mem"):
            return rec.generic(rec, insn)
        slow = fallback(rec, insn)
        di = d.reg.index
        dloc = xmm_loc(di)
        sh = rec.sh
        slots, node_at, set_node = sh.slots, sh.node_at, sh.set_node
        fast = rec.fast
        pair, xmm, mem = fast.xmm_pair, fast.xmm_bytes, fast.mem
        check, new_node = rec.check, rec.new_node
        addr = insn.address
        src_reg = _is_xmm(s)
        si = s.reg.index if src_reg else 0
        sloc0 = xmm_loc(si)
        ea = None if src_reg else rec.ea(s.mem, insn)

        def lane(o, na, nb, a, bv, sl):
            if na <= 0 and nb <= 0 and (na or nb):
                # Only bits made by a bit trick (a taint), no derivative to lose yet: the
                # result stays tainted and warns where it meets a derivative or an output
                # (e.g. an unsigned → double conversion, `cvtsi2sd; addsd x, x`).
                origin = (rec.taint_origin(dloc + o, w) if na else None) or \
                    (rec.taint_origin(sl + o, w) if nb else None)
                if origin is not None and not rec.sizeless_start(dloc + o) and \
                        not rec.sizeless_start(sl + o):
                    sh.put(dloc + o, (-1 - origin,) * w)
                    return
            if na:
                na = check(na, a, w, addr, dloc + o)
            if nb:
                nb = check(nb, bv, w, addr, sl + o)
            if rec.fp_mode == 1:
                a, bv = _flush(a, w), _flush(bv, w)
            r = pyop(a, bv)
            if w == 4:
                r = _to_float(r)
            if rec.fp_mode == 1:
                r = _flush(r, w)
            if not na and not nb:
                sh.clear(dloc + o, w)
                return
            if absorbs and (not na or not nb):
                x, c = (a, bv) if na else (bv, a)
                kind = rounding_constant(x, c, w)
                if kind is not None:
                    if kind == "huge":
                        rec.warn(addr, "rounding", "an active value is added to a constant so "
                                 "large that its fraction is rounded away; treated as a step "
                                 "function (derivative 0)")
                    sh.clear(dloc + o, w)
                    return
            da, db = rule(a, bv)
            set_node(dloc + o, w, new_node(na, da if na else 0.0, nb, db if nb else 0.0, r, 0,
                                           w, addr, code))

        def h():
            if not slots:
                return
            sl = sloc0 if src_reg else ea()
            na = node_at(dloc, w)
            nb = node_at(sl, w)
            if lanes == 1 and not na and not nb:
                return
            if lanes > 1:
                nas = [na] + [node_at(dloc + o, w) for o in offs[1:]]
                nbs = [nb] + [node_at(sl + o, w) for o in offs[1:]]
                if not any(nas) and not any(nbs):
                    return
            if rec.fp_mode == 2:
                return slow()
            if src_reg:
                ra = pair(di, si)
                rb, boff = ra, 16
            else:
                rb = mem(sl, nbytes)
                if rb is None:
                    return
                ra, boff = xmm(di), 0
            if lanes == 1:
                lane(0, na, nb, unpack(ra, 0)[0], unpack(rb, boff)[0], sl)
                return
            for j, o in enumerate(offs):
                if nas[j] or nbs[j]:
                    lane(o, nas[j], nbs[j], unpack(ra, o)[0], unpack(rb, boff + o)[0], sl)

        src = ("c", sloc0) if src_reg else ea.spec
        return with_desc(h, ("bin", _BIN_OPS.index(op), w, lanes, di, src, code))

    return b


_BIN_OPS = ("add", "sub", "mul", "div", "min", "max")  # the order of the OP_* codes in _hot.c


def _dst_src(rec, insn):
    """(destination xmm number, source location closure, source reader) for `op xmm, xmm/mem`
    arithmetic; None for other operand shapes (the generic handler takes those)."""
    d, s = insn.ops[0], insn.ops[1]
    if not _is_xmm(d):
        return None
    sfn, sread = _src(rec, insn, s)
    if sfn is None:
        return None
    return d.reg.index, sfn, sread


def _post_lanes(rec, di: int, w: int, addr: int, code: int, parts):
    """The step after the instruction ran: read xmm di and record each lane's node.

    parts: (byte offset, parent a, ∂/∂a, parent b, ∂/∂b) per lane; no parent = passive lane.
    """
    def post():
        r = rec.fast.xmm_bytes(di)
        dloc = xmm_loc(di)
        sh = rec.sh
        for o, pa, da, pb, db in parts:
            if pa or pb:
                node = rec.new_node(pa, da, pb, db, value_of(r, o, w),
                                    int.from_bytes(r[o:o + w], "little"), w, addr, code)
                sh.set_node(dloc + o, w, node)
            else:
                sh.clear(dloc + o, w)
    return post


def binop(op: str, w: int, lanes: int):
    rule = BINARY[op]
    code = op_code(op)

    def b(rec, insn):
        ops = _dst_src(rec, insn)
        if ops is None:
            return rec.generic(rec, insn)
        di, sfn, sread = ops
        dloc = xmm_loc(di)
        sh = rec.sh
        node_at = sh.node_at
        xmm = rec.fast.xmm_bytes
        offs = tuple(j * w for j in range(lanes))
        addr = insn.address
        opnode = rec.operand_node

        def h():
            if not sh.slots:
                return
            sl = sfn()
            na = [node_at(dloc + o, w) for o in offs]
            nb = [node_at(sl + o, w) for o in offs]
            if not any(na) and not any(nb):
                return
            ra = xmm(di)
            rb = sread(sl, 16)
            if rb is None:
                return
            parts = []
            for j, o in enumerate(offs):
                pa = opnode(na[j], ra, o, w, addr, dloc + o)
                pb = opnode(nb[j], rb, o, w, addr, sl + o)
                if pa or pb:
                    da, db = rule(value_of(ra, o, w), value_of(rb, o, w))
                    parts.append((o, pa, da if pa else 0.0, pb, db if pb else 0.0))
                else:
                    parts.append((o, 0, 0.0, 0, 0.0))

            rec.pending = _post_lanes(rec, di, w, addr, code, parts)

        return h

    return b


def scalar_unop(op: str, w_in: int, w_out: int, fallback):
    """sqrtsd, cvtss2sd, cvtsd2ss: one lane, result computed here (see scalar_binop)."""
    rule, pyop, code = UNARY[op], PYUNARY[op], op_code(op)
    unpack = _unpack_d if w_in == 8 else _unpack_f

    def b(rec, insn):
        d, s = insn.ops[0], insn.ops[1]
        if not _is_xmm(d) or not (_is_xmm(s) or s.kind == "mem"):
            return rec.generic(rec, insn)
        slow = fallback(rec, insn)
        dloc = xmm_loc(d.reg.index)
        sh = rec.sh
        slots, node_at = sh.slots, sh.node_at
        fast = rec.fast
        addr = insn.address
        src_reg = _is_xmm(s)
        si = s.reg.index if src_reg else 0
        sloc0 = xmm_loc(si)
        ea = None if src_reg else rec.ea(s.mem, insn)

        def h():
            if not slots:
                return
            sl = sloc0 if src_reg else ea()
            n = node_at(sl, w_in)
            if not n:
                sh.clear(dloc, w_out)
                return
            if rec.fp_mode == 2:
                return slow()
            raw = fast.xmm_bytes(si) if src_reg else fast.mem(sl, w_in)
            if raw is None:
                return
            a = unpack(raw, 0)[0]
            n = rec.check(n, a, w_in, addr, sl)
            if rec.fp_mode == 1:
                a = _flush(a, w_in)
            r = pyop(a)
            if w_out == 4:
                r = _to_float(r)
            if rec.fp_mode == 1:
                r = _flush(r, w_out)
            if not n:
                sh.clear(dloc, w_out)
                return
            sh.set_node(dloc, w_out, rec.new_node(n, rule(a), 0, 0.0, r, 0, w_out, addr, code))

        src = ("c", sloc0) if src_reg else ea.spec
        return with_desc(h, ("un", ("sqrt", "cvt").index(op), w_in, w_out, d.reg.index, src,
                             code))

    return b


def unop(op: str, w_in: int, w_out: int, lanes: int, zero_upper_from: int | None = None):
    """dst lane j (w_out) = f(src lane j (w_in)); optional zeroing of dst bytes from an offset."""
    rule = UNARY[op]
    code = op_code(op)

    def b(rec, insn):
        ops = _dst_src(rec, insn)
        if ops is None:
            return rec.generic(rec, insn)
        di, sfn, sread = ops
        dloc = xmm_loc(di)
        sh = rec.sh
        xmm = rec.fast.xmm_bytes
        addr = insn.address
        ins_ = tuple(j * w_in for j in range(lanes))
        outs = tuple(j * w_out for j in range(lanes))

        def h():
            if not sh.slots:
                return
            sl = sfn()
            ns = [sh.node_at(sl + o, w_in) for o in ins_]
            if not any(ns):
                for o in outs:
                    sh.clear(dloc + o, w_out)
                if zero_upper_from is not None:
                    sh.clear(dloc + zero_upper_from, 16 - zero_upper_from)
                return
            rs = sread(sl, 16)
            if rs is None:
                return
            parts = []
            for j, o in enumerate(ins_):
                p = rec.operand_node(ns[j], rs, o, w_in, addr, sl + o)
                parts.append((outs[j], p, rule(value_of(rs, o, w_in)) if p else 0.0))

            def post():
                r = xmm(di)
                for o, p, dv in parts:
                    if p:
                        node = rec.new_node(p, dv, 0, 0.0, value_of(r, o, w_out),
                                            int.from_bytes(r[o:o + w_out], "little"), w_out,
                                            addr, code)
                        sh.set_node(dloc + o, w_out, node)
                    else:
                        sh.clear(dloc + o, w_out)
                if zero_upper_from is not None:
                    sh.clear(dloc + zero_upper_from, 16 - zero_upper_from)

            rec.pending = post

        return h

    return b


def combo(w: int, formulas, op: str = "add"):
    """Lane j = ca*A[la] + cb*B[lb] with A, B operands 0/1 (horizontal adds, addsub)."""
    code = op_code(op)

    def b(rec, insn):
        ops = _dst_src(rec, insn)
        if ops is None:
            return rec.generic(rec, insn)
        di, sfn, sread = ops
        dloc = xmm_loc(di)
        sh = rec.sh
        xmm = rec.fast.xmm_bytes
        addr = insn.address

        def h():
            if not sh.slots:
                return
            locs = (dloc, sfn())
            raws = None
            parts = []
            for j, ((oa, la, ca), (ob, lb, cb)) in enumerate(formulas):
                na = sh.node_at(locs[oa] + la * w, w)
                nb = sh.node_at(locs[ob] + lb * w, w)
                if na or nb:
                    if raws is None:
                        raws = (xmm(di), sread(locs[1], 16))
                        if raws[1] is None:
                            return
                    pa = rec.operand_node(na, raws[oa], la * w, w, addr, locs[oa] + la * w)
                    pb = rec.operand_node(nb, raws[ob], lb * w, w, addr, locs[ob] + lb * w)
                    parts.append((j * w, pa, ca if pa else 0.0, pb, cb if pb else 0.0))
                else:
                    parts.append((j * w, 0, 0.0, 0, 0.0))
            if raws is None:
                for j in range(len(formulas)):
                    sh.clear(dloc + j * w, w)
                return

            rec.pending = _post_lanes(rec, di, w, addr, code, parts)

        return h

    return b


def dot(w: int):
    """dppd/dpps: imm bits 4.. pick the products a_k*b_k, summed as the CPU does (dpps:
    (p0+p1)+(p2+p3)); bits 0.. pick the lanes receiving the sum, the others get +0.0.
    Products and partial sums are nodes; the final sum's value is read back after execution."""
    mul, add = op_code("mul"), op_code("add")
    lanes = 16 // w

    def b(rec, insn):
        ops = _dst_src(rec, insn)
        if ops is None:
            return rec.generic(rec, insn)
        di, sfn, sread = ops
        dloc = xmm_loc(di)
        sh = rec.sh
        xmm = rec.fast.xmm_bytes
        addr = insn.address
        imm = _imm(insn)
        prods = [k * w for k in range(lanes) if imm >> (4 + k) & 1]
        outs = [k * w for k in range(lanes) if imm >> k & 1]

        def rnd(v: float) -> float:
            v = _to_float(v) if w == 4 else v
            return _flush(v, w) if rec.fp_mode == 1 else v

        def node(p1: int, d1: float, p2: int, d2: float, v: float, code: int) -> int:
            return rec.new_node(p1, d1 if p1 else 0.0, p2, d2 if p2 else 0.0, v, 0, w, addr,
                                code) if p1 or p2 else 0

        def h():
            if not sh.slots:
                return
            sl = sfn()
            na = [sh.node_at(dloc + o, w) for o in prods]
            nb = [sh.node_at(sl + o, w) for o in prods]
            if not outs or not any(na) and not any(nb):
                sh.clear(dloc, 16)  # all lanes are written: with a passive sum, or +0.0
                return
            ra, rb = xmm(di), sread(sl, 16)
            if rb is None:
                return
            p = [(0, 0.0)] * lanes  # (node, value) of each product, +0.0 when left out
            for j, o in enumerate(prods):
                pa = rec.operand_node(na[j], ra, o, w, addr, dloc + o)
                pb = rec.operand_node(nb[j], rb, o, w, addr, sl + o)
                x, y = value_of(ra, o, w), value_of(rb, o, w)
                if rec.fp_mode == 1:
                    x, y = _flush(x, w), _flush(y, w)
                v = rnd(x * y)
                p[o // w] = (node(pa, y, pb, x, v, mul), v)
            if w == 4:  # t1 = p0 + p1, t2 = p2 + p3
                (n0, v0), (n1, v1), (n2, v2), (n3, v3) = p
                p = [(node(n0, 1.0, n1, 1.0, rnd(v0 + v1), add), 0.0),
                     (node(n2, 1.0, n3, 1.0, rnd(v2 + v3), add), 0.0)]
            top = (p[0][0], p[1][0])

            def post():
                n = node(top[0], 1.0, top[1], 1.0, value_of(xmm(di), outs[0], w), add)
                sh.clear(dloc, 16)
                for o in outs:
                    sh.set_node(dloc + o, w, n)

            rec.pending = post

        return h

    return b


# -------------------------------------------------------------- sign-mask logic ops

_NEG = {"abs": op_code("abs"), "neg": op_code("neg"), "negabs": op_code("negabs")}


def _classify(kind: str, active_first: bool, m: int, w: int) -> str | None:
    """What `active (op) mask` computes, for the standard sign-mask idioms; None = bit trick."""
    allm = (1 << (8 * w)) - 1
    sign = 1 << (8 * w - 1)
    absm = allm ^ sign
    if kind == "and":
        return {allm: "copy", absm: "abs", 0: "zero", sign: "zero"}.get(m)
    if kind == "andn":
        if active_first:  # ~active & mask
            return "zero" if m == 0 else None
        return {0: "copy", sign: "abs", allm: "zero", absm: "zero"}.get(m)
    if kind == "or":
        return {0: "copy", sign: "negabs"}.get(m)
    if kind == "xor":
        return {0: "copy", sign: "neg"}.get(m)
    return None


def logic(kind: str, w: int | None):
    def b(rec, insn):
        d, s = insn.ops[0], insn.ops[1]
        if not _is_xmm(d):
            return rec.generic(rec, insn)
        if _is_xmm(s) and s.reg.index == d.reg.index:
            if kind in ("xor", "andn"):
                return clearer(rec, const_loc(xmm_loc(d.reg.index)), 16)
            return False  # and/or with itself: unchanged
        sfn, sread = _src(rec, insn, s)
        if sfn is None:
            return rec.generic(rec, insn)
        di = d.reg.index
        dloc = xmm_loc(di)
        sh = rec.sh
        xmm = rec.fast.xmm_bytes
        addr = insn.address
        passive_ok = rec.in_passive_routine(addr)

        def lane_widths(sl, ra, rb):
            if w is not None and not rec.sizeless:
                return [w] * (16 // w)
            out = []
            for half in (0, 8):
                n8a, n8b = sh.node_at(dloc + half, 8), sh.node_at(sl + half, 8)
                if rec.sizeless:
                    # a size-less mark not read yet: the mask decides (8 if it is a double
                    # sign mask; else two float lanes)
                    first = rec.sizeless_start(dloc + half)
                    k = first or rec.sizeless_start(sl + half)
                    if k:
                        kw = rec.width[k]
                        mask = rb if first else ra
                        m8 = int.from_bytes(mask[half:half + 8], "little")
                        out += [8] if kw == 8 or (kw == 0 and _classify(
                            kind, bool(first), m8, 8)) else [4, 4]
                        continue
                if w is not None:
                    out += [w] * (8 // w)
                    continue
                out += [8] if n8a >= 0 and n8b >= 0 else [4, 4]
            return out

        def h():
            if not sh.slots:
                return
            sl = sfn()
            if not sh.any_active(dloc, 16) and not sh.any_active(sl, 16):
                return
            ra, rb = xmm(di), sread(sl, 16)
            if rb is None:
                return
            o = 0
            for lw in lane_widths(sl, ra, rb):
                ka, kb = sh.node_at(dloc + o, lw), sh.node_at(sl + o, lw)
                if ka < 0 and rec.sizeless:
                    ka = rec.sizeless_read(dloc + o, lw, ra[o:o + lw]) or ka
                if kb < 0 and rec.sizeless:
                    kb = rec.sizeless_read(sl + o, lw, rb[o:o + lw]) or kb
                if ka < 0 or kb < 0:
                    # bits made from bits of an active value (text from printf, say) stay
                    # tainted with their origin; pieces of a value (a float lane over half a
                    # double) become a taint here. Either warns only if used as a number.
                    origin = rec.taint_origin(dloc + o, lw)
                    if origin is None:
                        origin = rec.taint_origin(sl + o, lw)
                    sh.put(dloc + o, (-1 - (addr if origin is None else origin),) * lw)
                    o += lw
                    continue
                na = rec.operand_node(ka, ra, o, lw, addr, dloc + o)
                nb = rec.operand_node(kb, rb, o, lw, addr, sl + o)
                ba = int.from_bytes(ra[o:o + lw], "little")
                bb = int.from_bytes(rb[o:o + lw], "little")
                if na and nb:
                    if not passive_ok:
                        rec.warn(addr, "bittrick", "bitwise operation on two active values; "
                                                   "the result is treated as passive")
                    sh.clear(dloc + o, lw)
                elif na or nb:
                    node, x, m = (na, ba, bb) if na else (nb, bb, ba)
                    what = _classify(kind, bool(na), m, lw)
                    if what == "copy":
                        sh.set_node(dloc + o, lw, node)
                    elif what == "zero":
                        sh.clear(dloc + o, lw)
                    elif what is None:
                        if not passive_ok:
                            rec.warn(addr, "bittrick", f"bit manipulation ({kind} with mask "
                                                       f"{m:#x}) of an active value; derivative "
                                                       "dropped")
                        sh.clear(dloc + o, lw)
                    else:
                        allm = (1 << (8 * lw)) - 1
                        r = {"and": ba & bb, "andn": (~ba & allm) & bb, "or": ba | bb,
                             "xor": ba ^ bb}[kind]
                        xv = value_of(x.to_bytes(lw, "little"), 0, lw)
                        rv = value_of(r.to_bytes(lw, "little"), 0, lw)
                        n = rec.new_node(node, UNARY[what](xv), 0, 0.0, rv, r, lw, addr,
                                         _NEG[what])
                        sh.set_node(dloc + o, lw, n)
                else:
                    sh.clear(dloc + o, lw)
                o += lw

        return h

    return b


def passive_lanes(nbytes: int | None):
    """Results that carry no derivative (comparisons, rounding, int conversions)."""
    def b(rec, insn):
        d = insn.ops[0]
        if d.kind == "mem" and insn.mnemonic.startswith("cmps"):
            return False  # the string compare cmpsd: writes no data
        fn = loc_fn(rec, insn, d)
        if fn is None:
            return rec.generic(rec, insn)
        n = nbytes if nbytes is not None else d.size
        if d.kind == "reg" and d.reg.kind == "gpr" and n == 4:
            n = 8
        return clearer(rec, fn, n)
    return b


def int_to_fp(nbytes: int):
    """cvtsi2sd & co: the result is passive; from an active integer source it is a bit
    trick (a taint)."""
    def b(rec, insn):
        s = insn.ops[1]
        d = insn.ops[0]
        sfn = loc_fn(rec, insn, s)
        dloc = xmm_loc(d.reg.index) if _is_xmm(d) else None
        if dloc is None or sfn is None:
            return rec.generic(rec, insn)
        sh = rec.sh
        addr = insn.address
        n = s.size

        taint = (-1 - addr,) * nbytes

        def h():
            if not sh.slots:
                return
            if sh.any_active(sfn(), n):
                # A number made from an active value's bits: a taint, which warns where it
                # is used as a number (Derivgrind's Fortran wrapper converts a variable's
                # raw bytes this way only to pass a debugging value to a request).
                sh.put(dloc, taint)
                return
            sh.clear(dloc, nbytes)
        return with_desc(h, ("guard", ((sfn.spec, n),), ((("c", dloc), nbytes),)))
    return b


ARITH: dict = {}
for _op in ("add", "sub", "mul", "div", "min", "max"):
    ARITH[f"{_op}sd"] = scalar_binop(_op, 8, binop(_op, 8, 1))
    ARITH[f"{_op}ss"] = scalar_binop(_op, 4, binop(_op, 4, 1))
    ARITH[f"{_op}pd"] = scalar_binop(_op, 8, binop(_op, 8, 2), lanes=2)
    ARITH[f"{_op}ps"] = scalar_binop(_op, 4, binop(_op, 4, 4), lanes=4)
ARITH.update({
    "sqrtsd": scalar_unop("sqrt", 8, 8, unop("sqrt", 8, 8, 1)),
    "sqrtss": scalar_unop("sqrt", 4, 4, unop("sqrt", 4, 4, 1)),
    "sqrtpd": unop("sqrt", 8, 8, 2), "sqrtps": unop("sqrt", 4, 4, 4),
    "cvtss2sd": scalar_unop("cvt", 4, 8, unop("cvt", 4, 8, 1)),
    "cvtsd2ss": scalar_unop("cvt", 8, 4, unop("cvt", 8, 4, 1)),
    "cvtps2pd": unop("cvt", 4, 8, 2), "cvtpd2ps": unop("cvt", 8, 4, 2, zero_upper_from=8),
    # gcc -ffast-math divides and takes 1/sqrt of floats with these plus a Newton step;
    # Unicorn returns the exact 1/x, 1/sqrt(x) (the partial is taken of what it returns)
    "rcpss": unop("rcp", 4, 4, 1), "rcpps": unop("rcp", 4, 4, 4),
    "rsqrtss": unop("rsqrt", 4, 4, 1), "rsqrtps": unop("rsqrt", 4, 4, 4),
    "addsubpd": combo(8, [((0, 0, 1.0), (1, 0, -1.0)), ((0, 1, 1.0), (1, 1, 1.0))]),
    "addsubps": combo(4, [((0, j, 1.0), (1, j, -1.0 if j % 2 == 0 else 1.0)) for j in range(4)]),
    "haddpd": combo(8, [((0, 0, 1.0), (0, 1, 1.0)), ((1, 0, 1.0), (1, 1, 1.0))]),
    "hsubpd": combo(8, [((0, 0, 1.0), (0, 1, -1.0)), ((1, 0, 1.0), (1, 1, -1.0))]),
    "haddps": combo(4, [((0, 0, 1.0), (0, 1, 1.0)), ((0, 2, 1.0), (0, 3, 1.0)),
                        ((1, 0, 1.0), (1, 1, 1.0)), ((1, 2, 1.0), (1, 3, 1.0))]),
    "hsubps": combo(4, [((0, 0, 1.0), (0, 1, -1.0)), ((0, 2, 1.0), (0, 3, -1.0)),
                        ((1, 0, 1.0), (1, 1, -1.0)), ((1, 2, 1.0), (1, 3, -1.0))]),
    "andpd": logic("and", 8), "andps": logic("and", 4), "andnpd": logic("andn", 8),
    "andnps": logic("andn", 4), "orpd": logic("or", 8), "orps": logic("or", 4),
    "xorpd": logic("xor", 8), "xorps": logic("xor", 4),
    "pand": logic("and", None), "pandn": logic("andn", None), "por": logic("or", None),
    "pxor": logic("xor", None),
    "ucomisd": lambda rec, insn: False, "comisd": lambda rec, insn: False,
    "ucomiss": lambda rec, insn: False, "comiss": lambda rec, insn: False,
    "dppd": dot(8), "dpps": dot(4),
    "roundsd": passive_lanes(8), "roundss": passive_lanes(4), "roundpd": passive_lanes(16),
    "roundps": passive_lanes(16),
    "cvttsd2si": passive_lanes(None), "cvtsd2si": passive_lanes(None),
    "cvttss2si": passive_lanes(None), "cvtss2si": passive_lanes(None),
    "movmskpd": passive_lanes(None), "movmskps": passive_lanes(None),
    "pmovmskb": passive_lanes(None),
    "cvtdq2pd": passive_lanes(16), "cvtdq2ps": passive_lanes(16), "cvttpd2dq": passive_lanes(16),
    "cvtpd2dq": passive_lanes(16), "cvttps2dq": passive_lanes(16), "cvtps2dq": passive_lanes(16),
    "cvtsi2sd": int_to_fp(8), "cvtsi2ss": int_to_fp(4),
    "cvtsi2sdl": int_to_fp(8), "cvtsi2sdq": int_to_fp(8),
    "cvtsi2ssl": int_to_fp(4), "cvtsi2ssq": int_to_fp(4),
})
for _p in ("eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"):
    ARITH[f"cmp{_p}sd"] = passive_lanes(8)
    ARITH[f"cmp{_p}ss"] = passive_lanes(4)
    ARITH[f"cmp{_p}pd"] = passive_lanes(16)
    ARITH[f"cmp{_p}ps"] = passive_lanes(16)
for _m in ("cmpsd", "cmpss", "cmppd", "cmpps"):
    ARITH[_m] = passive_lanes({"cmpsd": 8, "cmpss": 4}.get(_m, 16))

TABLE = {**MOVES, **ARITH}
