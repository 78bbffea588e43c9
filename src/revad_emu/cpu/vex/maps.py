"""Byte maps of the data-movement instructions (the gather flow): result byte k comes from
operand op, byte off (op * 64 + off), is zero (-1) or is left alone (-2, masked stores)."""
from __future__ import annotations

import numpy as np

from revad_emu.cpu.decode import Insn

# ------------------------------------------------------------------- gather semantics
# A map entry is operand * 64 + byte offset; -1 writes zero; -2 (stores) leaves the byte.


def R(op: int, off: int) -> int:
    return op * 64 + off


def _n(insn: Insn, k: int = 0) -> int:
    return insn.ops[k].size


def g_copy(insn, vals):
    """vmovapd & co, vmovq/vmovd loads and stores: the source, zero-extended."""
    src = len(insn.ops) - 1
    n = _n(insn, src)
    d = insn.ops[0]
    if d.kind == "reg" and d.reg.kind in ("xmm", "ymm"):
        return [R(src, k) for k in range(n)] + [-1] * (max(d.size, 16) - n)
    return [R(src, k) for k in range(min(n, d.size))]


def g_movs(w):
    """vmovsd/vmovss: load (zero above), store, or merge (dst = src2 low lane, src1 rest)."""
    def f(insn, vals):
        if len(insn.ops) == 3:
            return [R(2, k) for k in range(w)] + [R(1, k) for k in range(w, 16)]
        if insn.ops[0].kind == "mem":
            return [R(1, k) for k in range(w)]
        return [R(1, k) for k in range(w)] + [-1] * (16 - w)
    return f


def g_movlh(high: bool):
    """vmovlpd/vmovhpd/vmovlps/vmovhps: 3 operands merge 8 bytes of memory; 2 store 8 bytes."""
    def f(insn, vals):
        if len(insn.ops) == 2:
            return [R(1, k + (8 if high else 0)) for k in range(8)]
        if high:
            return [R(1, k) for k in range(8)] + [R(2, k) for k in range(8)]
        return [R(2, k) for k in range(8)] + [R(1, k) for k in range(8, 16)]
    return f


def _per_lane(insn, fn):
    """Apply a 16-byte map builder to each 128-bit lane: fn(lane) -> 16 entries relative to
    the lane (operand, offset within the lane)."""
    n = max(_n(insn, 0), 16)
    out = []
    for lane in range(n // 16):
        for op, off in fn(lane):
            out.append(-1 if op is None else R(op, 16 * lane + off))
    return out


def g_unpck(w: int, high: bool):
    def f(insn, vals):
        base = 8 if high else 0

        def lane(_l):
            res = []
            for j in range(8 // w):
                for src in (1, 2):
                    res += [(src, base + j * w + k) for k in range(w)]
            return res
        return _per_lane(insn, lane)
    return f


def g_shufpd(insn, vals):
    imm = insn.ops[-1].imm

    def lane(l):
        s0 = (imm >> (2 * l)) & 1
        s1 = (imm >> (2 * l + 1)) & 1
        return [(1, 8 * s0 + k) for k in range(8)] + [(2, 8 * s1 + k) for k in range(8)]
    return _per_lane(insn, lane)


def g_shufps(insn, vals):
    imm = insn.ops[-1].imm

    def lane(_l):
        res = []
        for j in range(4):
            src = 1 if j < 2 else 2
            sel = (imm >> (2 * j)) & 3
            res += [(src, 4 * sel + k) for k in range(4)]
        return res
    return _per_lane(insn, lane)


def g_pshufd(insn, vals):
    imm = insn.ops[-1].imm
    return _per_lane(insn, lambda _l: [(1, 4 * ((imm >> (2 * j)) & 3) + k)
                                       for j in range(4) for k in range(4)])


def g_pshufhlw(high: bool):
    """vpshufhw/vpshuflw: the four words of one quadword of each 128-bit half permuted."""
    def f(insn, vals):
        imm = insn.ops[-1].imm
        base = 8 if high else 0

        def lane(_l):
            words = [(1, k) for k in range(16)]
            res = list(words)
            for j in range(4):
                sel = (imm >> (2 * j)) & 3
                res[base + 2 * j] = (1, base + 2 * sel)
                res[base + 2 * j + 1] = (1, base + 2 * sel + 1)
            return res
        return _per_lane(insn, lane)
    return f


def g_permilpd_imm(insn, vals):
    imm = insn.ops[-1].imm
    return _per_lane(insn, lambda l: [(1, 8 * ((imm >> (2 * l + j)) & 1) + k)
                                      for j in range(2) for k in range(8)])


def g_permil(w: int):
    """vpermilpd/vpermilps: immediate or variable (operand 2's lanes select) control."""
    def f(insn, vals):
        if insn.ops[-1].kind == "imm":
            return g_permilpd_imm(insn, vals) if w == 8 else g_pshufd(insn, vals)
        ctl = np.frombuffer(vals[2], dtype=np.uint64 if w == 8 else np.uint32)
        out = []
        for j in range(len(vals[1]) // w):
            lane = j * w // 16
            sel = int((ctl[j] >> 1) & 1) if w == 8 else int(ctl[j] & 3)
            out += [R(1, 16 * lane + sel * w + k) for k in range(w)]
        return out
    return f


def g_movddup(insn, vals):
    if _n(insn, 1) == 8:
        return [R(1, k % 8) for k in range(16)]
    return _per_lane(insn, lambda _l: [(1, k % 8) for k in range(16)])


def g_movsdup(high: bool):
    def f(insn, vals):
        b = 4 if high else 0
        return _per_lane(insn, lambda _l: [(1, (j // 2) * 8 + b + k) for j in range(4)
                                           for k in range(4)])
    return f


def g_broadcast(w: int):
    def f(insn, vals):
        return [R(1, k % w) for k in range(_n(insn, 0))]
    return f


def g_insert128(insn, vals):
    hi = insn.ops[-1].imm & 1
    out = [R(1, k) for k in range(32)]
    for k in range(16):
        out[16 * hi + k] = R(2, k)
    return out


def g_extract128(insn, vals):
    hi = insn.ops[-1].imm & 1
    out = [R(1, 16 * hi + k) for k in range(16)]
    return out if insn.ops[0].kind == "mem" else out + [-1] * 16


def g_perm2x128(insn, vals):
    imm = insn.ops[-1].imm
    out = []
    for half in (0, 1):
        c = (imm >> (4 * half)) & 0xF
        if c & 8:
            out += [-1] * 16
        else:
            src = 1 if c & 2 == 0 else 2
            out += [R(src, 16 * (c & 1) + k) for k in range(16)]
    return out


def g_permq(insn, vals):
    imm = insn.ops[-1].imm
    return [R(1, 8 * ((imm >> (2 * j)) & 3) + k) for j in range(4) for k in range(8)]


def g_permd(w: int):
    """vpermd/vpermps ymm, idx, src (AVX2: idx is operand 1)."""
    def f(insn, vals):
        idx = np.frombuffer(vals[1], dtype=np.uint32)
        return [R(2, 4 * int(idx[j] & 7) + k) for j in range(8) for k in range(4)]
    return f


def g_blend(w: int):
    def f(insn, vals):
        imm = insn.ops[-1].imm
        n = _n(insn, 0)
        out = []
        for j in range(n // w):
            bit = (imm >> (j % 8 if w == 2 else j)) & 1
            out += [R(2 if bit else 1, j * w + k) for k in range(w)]
        return out
    return f


def g_blendv(w: int):
    def f(insn, vals):
        mask = vals[3]
        n = _n(insn, 0)
        out = []
        for j in range(n // w):
            sel = mask[j * w + w - 1] & 0x80
            out += [R(2 if sel else 1, j * w + k) for k in range(w)]
        return out
    return f


def g_pshufb(insn, vals):
    ctl = vals[2]

    def lane(l):
        res = []
        for k in range(16):
            c = ctl[16 * l + k]
            res.append((None, 0) if c & 0x80 else (1, c & 15))
        return res
    return _per_lane(insn, lane)


def g_byteshift(left: bool):
    def f(insn, vals):
        i = min(insn.ops[-1].imm & 0xFF, 16)

        def lane(_l):
            res = []
            for k in range(16):
                j = k - i if left else k + i
                res.append((1, j) if 0 <= j < 16 else (None, 0))
            return res
        return _per_lane(insn, lane)
    return f


def g_palignr(insn, vals):
    i = insn.ops[-1].imm & 0xFF

    def lane(_l):
        res = []
        for k in range(16):  # (src1:src2)[k + i]: src2 low, src1 high
            j = k + i
            res.append((2, j) if j < 16 else (1, j - 16) if j < 32 else (None, 0))
        return res
    return _per_lane(insn, lane)


def g_pinsr(w: int):
    def f(insn, vals):
        i = insn.ops[-1].imm % (16 // w)
        out = [R(1, k) for k in range(16)]
        for k in range(w):
            out[i * w + k] = R(2, k)
        return out
    return f


def g_pextr(w: int):
    def f(insn, vals):
        i = insn.ops[-1].imm % (16 // w)
        out = [R(1, i * w + k) for k in range(w)]
        d = insn.ops[0]
        if d.kind == "reg" and d.reg.kind == "gpr" and d.size > w:
            out += [-1] * (d.size - w)
        return out
    return f


def g_insertps(insn, vals):
    imm = insn.ops[-1].imm
    s = insn.ops[2]
    src_lane = 0 if s.kind == "mem" else (imm >> 6) & 3
    out = [R(1, k) for k in range(16)]
    dl = (imm >> 4) & 3
    for k in range(4):
        out[4 * dl + k] = R(2, 4 * src_lane + k)
    for j in range(4):
        if imm >> j & 1:
            out[4 * j:4 * j + 4] = [-1] * 4
    return out


def g_movhl(insn, vals):  # vmovhlps x1, x2, x3: low = x3 high, high = x2 high
    return [R(2, 8 + k) for k in range(8)] + [R(1, 8 + k) for k in range(8)]


def g_movlhps(insn, vals):  # vmovlhps x1, x2, x3: low = x2 low, high = x3 low
    return [R(1, k) for k in range(8)] + [R(2, k) for k in range(8)]


def g_maskmov(w: int):
    """vmaskmovpd/ps, vpmaskmovd/q: load (masked lanes zero) or store (masked lanes left)."""
    def f(insn, vals):
        if insn.ops[0].kind == "mem":  # store: [m], mask, src
            mask, src, none = vals[1], 2, -2
        else:
            mask, src, none = vals[1], 2, -1
        n = len(mask)
        out = []
        for j in range(n // w):
            on = mask[j * w + w - 1] & 0x80
            out += [R(src, j * w + k) if on else none for k in range(w)]
        return out
    return f


def g_pmovx(sw: int, dw: int, signed: bool):
    """vpmovzx/vpmovsx: widen lanes (the gather map only for zero extension)."""
    def f(insn, vals):
        n = _n(insn, 0)
        out = []
        for j in range(n // dw):
            out += [R(1, j * sw + k) for k in range(sw)] + [-1] * (dw - sw)
        return out
    return f

