"""The flows of the VEX executor: how each kind of instruction computes its result from its
operand values (revad_emu/cpu/avx.py has the overview)."""
from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

import numpy as np

from revad_emu.cpu import fastuc, rounding
from revad_emu.cpu.decode import Insn
from revad_emu.cpu.vex.core import _MASK64, Exec, F, _binop, _f, _fma, _fmaf, _unop

if TYPE_CHECKING:
    from revad_emu.cpu.vex.unit import VexUnit

# ------------------------------------------------------------------------------ flows

def _flow_gather(unit: VexUnit, ex: Exec) -> None:
    """Result bytes by the byte map. Maps that depend only on the instruction (not on a
    run-time mask or index) are turned once per address into slices."""
    addr = ex.insn.address
    runs = unit.gruns.get(addr)
    if runs is not None:
        gmap, pieces = runs
        vals = ex.vals
        ex.gmap = gmap
        ex.extra = pieces
        ex.out = b"".join(vals[op][a:b] if op >= 0 else bytes(b - a) for op, a, b in pieces)
        return
    gmap = ex.entry.fn(ex.insn, ex.vals)
    cat = b"".join((v if isinstance(v, bytes) else b"").ljust(64, b"\0") for v in ex.vals)
    ex.gmap = gmap
    ex.out = bytes(cat[g] if g >= 0 else 0 for g in gmap)
    if not ex.entry.dynamic and -2 not in gmap:
        unit.gruns[addr] = (gmap, _runs(gmap))
        ex.extra = unit.gruns[addr][1]


def _runs(gmap: list[int]) -> list[tuple[int, int, int]]:
    """(operand, start, end) slices (operand -1: zeros) that concatenate to the map."""
    out: list[list[int]] = []
    for g in gmap:
        op, off = (g >> 6, g & 63) if g >= 0 else (-1, 0)
        if out and out[-1][0] == op and (op < 0 or out[-1][2] == off):
            out[-1][2] += 1
        else:
            out.append([op, off, off + 1])
    return [(op, a, b) for op, a, b in out]


def _flow_lanes(unit: VexUnit, ex: Exec) -> None:
    _flow_lanes_nearest(unit, ex)
    op = ex.entry.op
    if unit.rmode and op not in ("min", "max", "rcp", "rsqrt"):
        w, vals = ex.entry.w, ex.vals
        ib = len(vals) - 1
        n = 1 if ex.entry.scalar else len(ex.out) // w

        def lane(j: int) -> float | None:
            b = _directed_in(unit, vals[ib], j, w)
            if op == "sqrt":
                return rounding.sqrt(b, unit.rmode, w)
            return rounding.binop(op, _directed_in(unit, vals[1], j, w), b, unit.rmode, w)
        ex.out = _patch(unit, ex.out, w, n, lane)


def _directed_in(unit: VexUnit, raw: bytes, j: int, w: int) -> float:
    x = _FMT[w][1].unpack_from(raw, j * w)[0]
    return _flush1(x, w) if unit.daz else x


def _patch(unit: VexUnit, out: bytes, w: int, n: int, lane) -> bytes:
    """Replace lanes 0..n-1 of out by lane(j) where it gives a value (directed rounding)."""
    buf = bytearray(out)
    fmt = _FMT[w][1]
    for j in range(n):
        r = lane(j)
        if r is not None:
            fmt.pack_into(buf, j * w, _flush1(r, w) if unit.ftz else r)
    return bytes(buf)


def _flow_lanes_nearest(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w, op = e.w, e.op
    fin, fres = unit.in_, unit.res
    if e.scalar:  # op dst, src1, src2: lane 0 from src1 op src2, the rest of src1
        s1, s2 = vals[1], vals[2] if len(vals) > 2 else vals[1]
        r = _scalar_fast(unit, op, s1, s2, w)
        if r is not None:
            ex.out = r + s1[w:16]
            return
        a = None if op in _UNARY_LANES else fin(_f(s1[:w], w), w)
        r = fres(e.fn(op, a, fin(_f(s2[:w], w), w), w), w).tobytes()
        ex.out = r + s1[len(r):16]
        return
    src = vals[-1]
    n = len(src) // w
    r = _scalar_fast(unit, op, src if op in _UNARY_LANES else vals[1], src, w, n)
    if r is not None:
        ex.out = r
        return
    if op in _UNARY_LANES:
        ex.out = fres(e.fn(op, None, fin(_f(src, w), w), w), w).tobytes()
        return
    a, b = fin(_f(vals[1], w), w), fin(_f(vals[2], w), w)
    ex.out = fres(e.fn(op, a, b, w), w).tobytes()


_UNARY_LANES = {"sqrt", "rcp", "rsqrt"}
_PY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "min": lambda a, b: min(b, a),
       "max": lambda a, b: max(b, a), "sqrt": lambda a, b: math.sqrt(b),
       # rcpps/rsqrtps: the CPU returns a 12-bit approximation whose exact table Intel does
       # not publish; like Unicorn's own rcpps (SSE), the correctly rounded value is used.
       "rcp": lambda a, b: 1.0 / b, "rsqrt": lambda a, b: 1.0 / math.sqrt(b)}


def _scalar_fast(unit: VexUnit, op: str, s1: bytes, s2: bytes, w: int,
                 n: int = 1) -> bytes | None:
    """n lanes with Python floats (IEEE binary64; float lanes computed in double and
    rounded once to float, which is exact for + - * / sqrt). None — the numpy path
    decides — for NaN operands or results and raised exceptions (x/0, sqrt(-x)), whose
    bit patterns follow x86 rules (first NaN operand quieted, the default NaN)."""
    fmt = _FMT[w][n]
    xs = fmt.unpack_from(s1)
    ys = fmt.unpack_from(s2)
    f = _PY[op]
    daz, ftz = unit.daz, unit.ftz
    out = []
    for a, b in zip(xs, ys, strict=True):
        if a != a or b != b:
            return None
        if daz:
            a, b = _flush1(a, w), _flush1(b, w)
        try:
            r = f(a, b)
        except (ZeroDivisionError, ValueError, OverflowError):
            return None
        if r != r:
            return None
        if w == 4:
            r = _to_float32(r)
        if ftz:
            r = _flush1(r, w)
        out.append(r)
    return fmt.pack(*out)


def _to_float32(r: float) -> float:
    try:
        return _FMT[4][1].unpack(_FMT[4][1].pack(r))[0]
    except OverflowError:
        return math.copysign(math.inf, r)


def lanes_value(op: str, a, b, w: int) -> np.ndarray:
    if op in _UNARY_LANES:
        return _unop(op, b, w)
    return _binop(op, a, b, w)


# FMA: result = sign_p * (x*y) + sign_c * z, with (x, y, z) operand positions by form.
FMA_ORDER = {"132": (0, 2, 1), "213": (1, 0, 2), "231": (1, 2, 0)}


def _flow_fma(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    xo, yo, zo = FMA_ORDER[e.op[-3:]]
    kind = e.op[:-3]  # fmadd, fmsub, fnmadd, fnmsub, fmaddsub, fmsubadd
    n = 1 if e.scalar else len(vals[0]) // w
    fmt = _FMT[w][n]
    xs, ys, zs = (fmt.unpack_from(vals[k]) for k in (xo, yo, zo))
    if unit.daz:
        xs, ys, zs = ([_flush1(v, w) for v in t] for t in (xs, ys, zs))
    fn = _fma if w == 8 else _fmaf
    out = []
    signs = []
    for j in range(n):
        sp, sc = fma_signs(kind, j)
        x, z = xs[j], zs[j]
        r = fn(-x if sp < 0 else x, ys[j], -z if sc < 0 else z)
        out.append(_flush1(r, w) if unit.ftz else r)
        signs.append((sp, sc))
    if unit.rmode:
        for j, (sp, sc) in enumerate(signs):
            x, z = xs[j], zs[j]
            r = rounding.fma(-x if sp < 0 else x, ys[j], -z if sc < 0 else z, unit.rmode, w)
            if r is not None:
                out[j] = _flush1(r, w) if unit.ftz else r
    raw = fmt.pack(*out)
    ex.out = raw + vals[0][len(raw):16] if e.scalar else raw
    ex.extra = ((xo, yo, zo), signs)


_FMT = {w: {n: struct.Struct(f"<{n}{'d' if w == 8 else 'f'}") for n in (1, 2, 4, 8)}
        for w in (4, 8)}


def _flush1(v: float, w: int) -> float:
    return math.copysign(0.0, v) if v and abs(v) < _TINY[w] else v


_TINY = {8: 2.2250738585072014e-308, 4: 1.1754943508222875e-38}


def fma_signs(kind: str, lane: int) -> tuple[int, int]:
    """(sign of the product, sign of the addend) of an FMA form in a lane."""
    if kind == "fmadd":
        return 1, 1
    if kind == "fmsub":
        return 1, -1
    if kind == "fnmadd":
        return -1, 1
    if kind == "fnmsub":
        return -1, -1
    if kind == "fmaddsub":  # even lanes subtract
        return 1, (-1 if lane % 2 == 0 else 1)
    if kind == "fmsubadd":
        return 1, (1 if lane % 2 == 0 else -1)
    raise KeyError(kind)


def _flow_logic(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    a = np.frombuffer(vals[1], dtype=np.uint8)
    b = np.frombuffer(vals[2], dtype=np.uint8)
    r = {"and": lambda: a & b, "andn": lambda: ~a & b, "or": lambda: a | b,
         "xor": lambda: a ^ b}[e.op]()
    ex.out = r.tobytes()


def _flow_passive(unit: VexUnit, ex: Exec) -> None:
    ex.out = ex.entry.fn(unit, ex.insn, ex.vals)


def _flow_zeroupper(unit: VexUnit, ex: Exec) -> None:
    unit.hi[:] = bytes(256)
    if ex.insn.mnemonic == "vzeroall":
        for i in range(16):
            unit.set_vec(i, bytes(16), 32)


FLOWS = {"gather": _flow_gather, "lanes": _flow_lanes, "fma": _flow_fma,
         "logic": _flow_logic, "passive": _flow_passive, "zeroupper": _flow_zeroupper}


def _flow_cvt(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    wo = 12 - w  # 4 <-> 8
    if e.scalar:  # vcvtss2sd x1, x2, x3/m: lane 0 from operand 2, the rest of operand 1
        x = unit.in_(_f(vals[2][:w], w), w)
        with np.errstate(all="ignore"):
            r = unit.res(x.astype(F[wo]), wo)
        raw = r.tobytes()
        ex.out = raw + vals[1][wo:16]
        return
    src = vals[1]
    n = ex.insn.ops[0].size // wo if w == 4 else len(src) // w
    x = unit.in_(_f(src, w)[:n], w)
    with np.errstate(all="ignore"):
        raw = unit.res(x.astype(F[wo]), wo).tobytes()
    ex.out = raw + bytes(max(0, 16 - len(raw)))


def _flow_cvt_any(unit: VexUnit, ex: Exec) -> None:
    _flow_cvt(unit, ex)
    if unit.rmode and ex.entry.w == 8:  # double -> float rounds
        src = ex.vals[2] if ex.entry.scalar else ex.vals[1]
        n = 1 if ex.entry.scalar else len(src) // 8
        ex.out = _patch(unit, ex.out, 4, n,
                        lambda j: rounding.convert(_directed_in(unit, src, j, 8), unit.rmode, 4))


FLOWS["cvt"] = _flow_cvt_any


def combo_formulas(insn: Insn, w: int, kind: str) -> list[tuple[int, int, int, int, str]]:
    """Result lane j = (operand, lane) op (operand, lane) for the horizontal and alternating
    forms; lanes index the whole register (128-bit halves handled here)."""
    n = max(insn.ops[0].size, 16) // w
    per = 16 // w
    out = []
    for j in range(n):
        base, k = (j // per) * per, j % per
        if kind == "addsub":
            out.append((1, j, 2, j, "sub" if j % 2 == 0 else "add"))
            continue
        op = "add" if kind == "hadd" else "sub"
        src = 1 if k < per // 2 else 2
        i = base + 2 * (k % (per // 2))
        out.append((src, i, src, i + 1, op))
    return out


def _flow_combo(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    forms = combo_formulas(ex.insn, w, e.op)
    arrs = {k: unit.in_(_f(vals[k], w), w) for k in (1, 2)}
    res = []
    for oa, la, ob, lb, op in forms:
        res.append(_binop(op, arrs[oa][la:la + 1], arrs[ob][lb:lb + 1], w)[0])
    ex.out = unit.res(np.array(res, dtype=F[w]), w).tobytes()
    ex.extra = forms


FLOWS["combo"] = _flow_combo


def _flow_vgather(unit: VexUnit, ex: Exec) -> None:
    """vgatherdpd & co: element j (selected by the sign bit of mask lane j) loaded from
    base + index[j]*scale + disp; unselected elements keep the destination's; elements
    beyond the index count and the bytes above a 128-bit destination are zeroed; the mask
    register ends all zero. ex.extra: the (element offset, address) pairs loaded."""
    m = ex.insn.mnemonic
    ew = 8 if m.endswith(("pd", "q")) else 4
    iw = 4 if m.replace("vpgather", "").replace("vgather", "")[0] == "d" else 8
    base, vi, vsize, scale, disp, seg = ex.vals[1]
    dst, mask = ex.vals[0], ex.vals[2]
    idx = unit.vec(vi, vsize)
    n = min(len(dst) // ew, vsize // iw)
    b = unit.fast.gpr(base) if base >= 0 else 0
    if seg:
        b += unit.fast.reg(fastuc.UC_FS_BASE if seg == 1 else fastuc.X.UC_X86_REG_GS_BASE)
    out = bytearray(dst[:n * ew])
    loads = []
    for j in range(n):
        if not mask[j * ew + ew - 1] & 0x80:
            continue
        k = int.from_bytes(idx[j * iw:(j + 1) * iw], "little", signed=True)
        a = (b + k * scale + disp) & _MASK64
        out[j * ew:(j + 1) * ew] = unit.read_mem(a, ew)
        loads.append((j * ew, a))
    ex.out = bytes(out)
    ex.extra = (ew, loads, n * ew)
    mi = ex.insn.ops[2].reg.index
    unit.set_vec(mi, bytes(16), 32)


def _flow_dot(unit: VexUnit, ex: Exec) -> None:
    """vdppd/vdpps: per 128-bit half, the products picked by imm bits 4.. (others +0.0),
    summed as the CPU does (dpps: (p0+p1)+(p2+p3)), the sum in the lanes of imm bits 0..,
    +0.0 elsewhere. Every product and sum rounds to the lane type."""
    w = ex.entry.w
    imm = ex.insn.ops[-1].imm
    per = 16 // w
    a, b = (unit.in_(_f(ex.vals[k], w), w) for k in (1, 2))
    zero = F[w](0.0)
    out = []
    with np.errstate(all="ignore"):
        for h in range(len(a) // per):
            p = [a[h * per + k] * b[h * per + k] if imm >> (4 + k) & 1 else zero
                 for k in range(per)]
            sm = p[0] + p[1] if w == 8 else (p[0] + p[1]) + (p[2] + p[3])
            out += [sm if imm >> k & 1 else zero for k in range(per)]
    ex.out = unit.res(np.array(out, dtype=F[w]), w).tobytes()


FLOWS["dot"] = _flow_dot
FLOWS["vgather"] = _flow_vgather
