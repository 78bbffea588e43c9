"""Semantics of the VEX instructions whose results carry no derivative: integer lanes,
compares, conversions to integers, rounding, F16C, BMI1/BMI2, MXCSR and XCR0 access."""
from __future__ import annotations

import math

import numpy as np

from revad_emu.cpu import fastuc, rounding
from revad_emu.cpu.vex.core import AF, CF, OF, PF, SF, ZF, F, I, U, _f, _propagate
from revad_emu.cpu.vex.flows import _FMT

# ------------------------------------------------------------------ passive semantics

def _vals_u8(v: bytes) -> np.ndarray:
    return np.frombuffer(v, dtype=np.uint8)


def p_int(fn, w: int):
    """Integer lane operation of the two sources (vpadd*, vpcmpeq*, vpminu*...)."""
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).copy()
        b = np.frombuffer(vals[2], dtype=I[w]).copy()
        with np.errstate(all="ignore"):
            return np.asarray(fn(a, b)).astype(I[w]).tobytes()
    return f


def p_intu(fn, w: int):
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=U[w]).copy()
        b = np.frombuffer(vals[2], dtype=U[w]).copy()
        with np.errstate(all="ignore"):
            return np.asarray(fn(a, b)).astype(U[w]).tobytes()
    return f


def _cmpmask(c, w):
    return np.where(c, -1, 0)


def p_shift(kind: str, w: int):
    """vpsll/vpsrl/vpsra by immediate or by the low 64 bits of an xmm operand; the
    variable forms vpsllv/vpsrlv/vpsrav shift each lane by the matching lane."""
    bits = 8 * w

    def f(unit, insn, vals):
        src = vals[1]
        cnt = vals[2]
        if isinstance(cnt, int):
            counts = np.full(len(src) // w, cnt & 0xFF, dtype=np.uint64)
        elif kind.endswith("v"):
            counts = np.frombuffer(cnt, dtype=U[w]).astype(np.uint64)
        else:
            counts = np.full(len(src) // w, int.from_bytes(cnt[:8], "little"), dtype=np.uint64)
        res = []
        for j, c in enumerate(counts):
            x = int.from_bytes(src[j * w:(j + 1) * w], "little")
            c = int(c)
            k = kind.rstrip("v")
            if k == "sll":
                r = (x << c) & ((1 << bits) - 1) if c < bits else 0
            elif k == "srl":
                r = x >> c if c < bits else 0
            else:  # sra
                sx = x - (1 << bits) if x >> (bits - 1) else x
                r = (sx >> min(c, bits - 1)) & ((1 << bits) - 1)
            res.append(r.to_bytes(w, "little"))
        return b"".join(res)
    return f


def p_unary_int(fn, w: int):
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).astype(np.int64)
        return np.asarray(fn(a)).astype(I[w]).tobytes()
    return f


def p_pairs(sw: int, dw: int, fn, signed: bool):
    """vpmaddwd: adjacent products summed into lanes twice as wide."""
    def f(unit, insn, vals):
        dt = I[sw] if signed else U[sw]
        a = np.frombuffer(vals[1], dtype=dt).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=dt).astype(np.int64)
        p = fn(a, b)
        return (p[0::2] + p[1::2]).astype(np.int64).astype(I[dw]).tobytes()
    return f


def p_pack(sw: int, dw: int, signed: bool):
    """vpackss*/vpackus*: per 128-bit half, operand 1's lanes then operand 2's, saturated."""
    lo, hi = ((-(1 << (8 * dw - 1)), (1 << (8 * dw - 1)) - 1) if signed
              else (0, (1 << (8 * dw)) - 1))

    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[sw]).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=I[sw]).astype(np.int64)
        per = 16 // sw
        out = []
        for h in range(len(a) // per):
            out += [a[h * per:(h + 1) * per], b[h * per:(h + 1) * per]]
        r = np.clip(np.concatenate(out), lo, hi)
        return r.astype(I[dw] if signed else U[dw]).tobytes()
    return f


def p_sadbw(unit, insn, vals):
    a = np.frombuffer(vals[1], dtype=np.uint8).astype(np.int64)
    b = np.frombuffer(vals[2], dtype=np.uint8).astype(np.int64)
    d = np.abs(a - b).reshape(-1, 8).sum(axis=1)
    return d.astype(np.uint64).tobytes()


def p_movsx(sw: int, dw: int):
    def f(unit, insn, vals):
        n = insn.ops[0].size // dw
        a = np.frombuffer(vals[1], dtype=I[sw])[:n]
        return a.astype(I[dw]).tobytes()
    return f


def p_hint(w: int, fn):
    """vphadd*/vphsub*: per 128-bit half, adjacent pairs of operand 1, then of operand 2."""
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=I[w]).astype(np.int64)
        per = 16 // w
        out = []
        for h in range(len(a) // per):
            for src in (a, b):
                x = src[h * per:(h + 1) * per]
                out.append(fn(x[0::2], x[1::2]))
        return np.concatenate(out).astype(I[w]).tobytes()
    return f


def p_maddubsw(unit, insn, vals):
    a = np.frombuffer(vals[1], dtype=np.uint8).astype(np.int64)
    b = np.frombuffer(vals[2], dtype=np.int8).astype(np.int64)
    p = a * b
    return np.clip(p[0::2] + p[1::2], -32768, 32767).astype(np.int16).tobytes()


def p_cvtph2ps(unit, insn, vals):
    """F16C half -> float (exact; NaNs quieted, payload kept)."""
    n = insn.ops[0].size // 4
    h = np.frombuffer(vals[1][:2 * n], dtype=np.uint16)
    out = []
    for v in h.tolist():
        if v & 0x7C00 == 0x7C00 and v & 0x3FF:
            bits = (v & 0x8000) << 16 | 0x7FC00000 | (v & 0x3FF) << 13
            out.append(bits.to_bytes(4, "little"))
        else:
            out.append(np.array([v], dtype=np.uint16).view(np.float16).astype(
                np.float32).tobytes())
    return b"".join(out)


def p_cvtps2ph(unit, insn, vals):
    """F16C float -> half, rounded by imm[1:0] (imm bit 2: MXCSR's mode); NaNs quieted and
    their payload truncated, as the CPU does."""
    imm = insn.ops[-1].imm
    mode = unit.rmode if imm & 4 else imm & 3
    xs = np.frombuffer(vals[1], dtype=np.float32)
    bits = xs.view(np.uint32).tolist()
    out = []
    for x, b in zip(xs.tolist(), bits, strict=True):
        if x != x:
            r = (b >> 16) & 0x8000 | 0x7E00 | (b >> 13) & 0x3FF
        else:
            if mode and x != 0 and math.isfinite(x):  # exact value: numpy's cast is exact
                x = rounding.round_q(rounding.Fraction(x), mode, 2)
            with np.errstate(over="ignore"):  # overflow to ±inf is the IEEE result
                r = int(np.array([x], dtype=np.float32).astype(np.float16).view(np.uint16)[0])
        out.append(r.to_bytes(2, "little"))
    raw = b"".join(out)
    return raw + bytes(16 - len(raw)) if insn.ops[0].kind == "reg" and len(raw) < 16 else raw


def p_movmsk(w: int):
    def f(unit, insn, vals):
        src = vals[1]
        m = 0
        for j in range(len(src) // w):
            if src[j * w + w - 1] & 0x80:
                m |= 1 << j
        return m.to_bytes(insn.ops[0].size, "little")
    return f


def p_ptest(unit, insn, vals):
    a = int.from_bytes(vals[0], "little")
    b = int.from_bytes(vals[1], "little")
    if insn.mnemonic == "vptest":
        n = len(vals[0])
        zf, cf = (a & b) == 0, (~a & ((1 << (8 * n)) - 1) & b) == 0
    else:  # vtestpd/vtestps: sign bits only
        w = 8 if insn.mnemonic.endswith("pd") else 4
        sm = sum(1 << (8 * w * (j + 1) - 1) for j in range(len(vals[0]) // w))
        zf, cf = (a & b & sm) == 0, (~a & b & sm) == 0
    unit.set_flags((ZF if zf else 0) | (CF if cf else 0))


def p_comis(w: int):
    def f(unit, insn, vals):
        a = float(unit.in_(_f(vals[0][:w], w), w)[0])
        b = float(unit.in_(_f(vals[1][:w], w), w)[0])
        if a != a or b != b:
            fl = ZF | PF | CF
        elif a > b:
            fl = 0
        elif a < b:
            fl = CF
        else:
            fl = ZF
        unit.set_flags(fl)
    return f


def _cmp_pred(p: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        un = np.isnan(a) | np.isnan(b)
        base = p & 7
        if base == 0:
            r = a == b
        elif base == 1:
            r = a < b
        elif base == 2:
            r = a <= b
        elif base == 3:
            r = un
        elif base == 4:
            r = ~(a == b)
        elif base == 5:
            r = ~(a < b)
        elif base == 6:
            r = ~(a <= b)
        else:
            r = ~un
        if p & 8:  # EQ_UQ, NGE, NGT, FALSE, NEQ_OQ, GE, GT, TRUE
            r = {0: (a == b) | un, 1: ~(a >= b), 2: ~(a > b), 3: np.zeros_like(un),
                 4: ~(a == b) & ~un, 5: a >= b, 6: a > b, 7: np.ones_like(un)}[base]
        return r


def p_cmp(w: int, scalar: bool):
    def f(unit, insn, vals):
        pred = insn.bytes_[-1] & 0x1F
        a, b = unit.in_(_f(vals[1], w), w), unit.in_(_f(vals[2], w), w)
        if scalar:
            a, b = a[:1], b[:1]
        r = _cmp_pred(pred, a, b)
        lanes = np.where(r, U[w]((1 << (8 * w)) - 1), U[w](0)).astype(U[w]).tobytes()
        return lanes + vals[1][len(lanes):16] if scalar else lanes
    return f


_INDEF = {4: 0x8000_0000, 8: 0x8000_0000_0000_0000}


def _to_int(x: float, n: int, trunc: bool) -> int:
    if x != x or x in (float("inf"), float("-inf")):
        return _INDEF[n]
    v = int(x) if trunc else round(x)  # round(): half to even, as MXCSR's default
    if not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        return _INDEF[n]
    return v & ((1 << (8 * n)) - 1)


def p_cvt2si(w: int, trunc: bool):
    def f(unit, insn, vals):
        x = float(_f(vals[1][:w], w)[0])
        n = insn.ops[0].size
        if not trunc and unit.rmode and math.isfinite(x):
            x = float(rounding.to_int(x, unit.rmode))  # an integer: round() keeps it
        return _to_int(x, n, trunc).to_bytes(n, "little")
    return f


def p_cvtsi2(w: int):
    def f(unit, insn, vals):
        n = insn.ops[2].size
        x = int.from_bytes(vals[2], "little", signed=True)
        if unit.rmode and x:
            r = _FMT[w][1].pack(rounding.round_q(rounding.Fraction(x), unit.rmode, w))
        else:
            r = np.array([float(x)] if w == 8 else [np.float32(x) if n == 4 else _i2f(x)],
                         dtype=F[w]).tobytes()
        return r + vals[1][w:16]
    return f


def _i2f(x: int) -> np.float32:
    """int64 → float32 rounded once (numpy's int64→float32 cast rounds correctly)."""
    return np.array([x], dtype=np.int64).astype(np.float32)[0]


def p_cvt_packed(fn):
    def f(unit, insn, vals):
        with np.errstate(all="ignore"):
            return fn(vals[1], insn)
    return f


def _cvt_dq(src: bytes, w: int, n: int, trunc: bool) -> bytes:
    xs = _f(src, w)
    return b"".join(_to_int(float(x), 4, trunc).to_bytes(4, "little") for x in xs[:n])


def p_round(w: int, scalar: bool):
    def f(unit, insn, vals):
        imm = insn.ops[-1].imm
        mode = imm & 3 if not imm & 4 else unit.rmode  # bit 2: MXCSR's mode
        src = vals[2] if scalar else vals[1]
        x = _f(src[:w] if scalar else src, w)
        with np.errstate(all="ignore"):
            r = {0: np.rint, 1: np.floor, 2: np.ceil, 3: np.trunc}[mode](x)
            r = _propagate(r.astype(F[w]), x, None, w)
        raw = r.tobytes()
        return raw + vals[1][w:16] if scalar else raw
    return f


def p_bmi(kind: str):
    """BMI1/BMI2 general-purpose instructions (VEX-encoded, so executed here too)."""
    def f(unit, insn, vals):
        n = insn.ops[0].size
        bits = 8 * n
        m = (1 << bits) - 1

        def v(k):
            x = vals[k]
            return x if isinstance(x, int) else int.from_bytes(x, "little")
        flags = None
        if kind == "andn":
            r = ~v(1) & v(2) & m
            flags = (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind in ("shlx", "shrx", "sarx"):
            c = v(2) & (bits - 1)
            x = v(1)
            if kind == "shlx":
                r = (x << c) & m
            elif kind == "shrx":
                r = x >> c
            else:
                sx = x - (1 << bits) if x >> (bits - 1) else x
                r = (sx >> c) & m
        elif kind == "rorx":
            c = v(2) & (bits - 1)
            x = v(1)
            r = ((x >> c) | (x << (bits - c))) & m
        elif kind == "bzhi":
            x, i = v(1), v(2) & 0xFF
            r = x & ((1 << i) - 1) if i < bits else x
            cf = CF if i > bits - 1 else 0
            flags = cf | (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind in ("blsr", "blsi", "blsmsk"):
            x = v(1)
            if kind == "blsr":
                r = x & (x - 1) & m
            elif kind == "blsi":
                r = x & (-x) & m
            else:
                r = (x ^ (x - 1)) & m
            cf = CF if (x == 0 if kind != "blsi" else x != 0) else 0
            flags = cf | (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind == "bextr":
            x, c = v(1), v(2)
            start, ln = c & 0xFF, (c >> 8) & 0xFF
            r = (x >> start) & ((1 << ln) - 1) if start < bits else 0
            flags = ZF if r == 0 else 0
        elif kind in ("pdep", "pext"):
            x, msk = v(1), v(2)
            r, k = 0, 0
            for b in range(bits):
                if msk >> b & 1:
                    if kind == "pdep":
                        r |= ((x >> k) & 1) << b
                    else:
                        r |= ((x >> b) & 1) << k
                    k += 1
        elif kind == "mulx":  # mulx hi, lo, src: rdx * src
            x = unit.fast.gpr(2) & m
            p = x * v(2)
            lo = p & m
            lo_op = insn.ops[1]
            unit.fast.set_gpr(lo_op.reg.index, lo)
            r = p >> bits
        else:
            raise KeyError(kind)
        if flags is not None:
            unit.set_flags(flags, CF | PF | AF | ZF | SF | OF)
        return r.to_bytes(n, "little")
    return f


def p_stmxcsr(unit, insn, vals):
    return (unit.fast.reg(fastuc.UC_MXCSR) & 0xFFFF_FFFF).to_bytes(4, "little")


def p_ldmxcsr(unit, insn, vals):
    unit.fast.set_reg(fastuc.UC_MXCSR, int.from_bytes(vals[0], "little"))


def p_xgetbv(unit, insn, vals):
    """XCR0 with x87, SSE and AVX state enabled (Unicorn's own says x87|SSE only)."""
    from revad_emu.cpu.cpuid import XCR0_V3

    xcr = XCR0_V3 if unit.fast.gpr(1) & 0xFFFF_FFFF == 0 else 0
    unit.fast.set_gpr(0, xcr & 0xFFFF_FFFF)
    unit.fast.set_gpr(2, xcr >> 32)

