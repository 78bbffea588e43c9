"""Derivatives of VEX instructions (AVX, AVX2, FMA), following the executor's flows.

The machine executes VEX instructions itself (`revad_emu.cpu.avx`) and hands each execution
(operand values before, result after, operand locations) to `VexAD.__call__`. The recorder's
own code hook has already run for that address (the machine keeps the VEX hooks behind it),
so the previous instruction's pending step and any math call returning here are done.

The rules are those of SSE: `rules.BINARY`/`rules.UNARY` for lane arithmetic, the sign-mask
classification of `isa.sse._classify` for and/andn/or/xor, `isa.sse.rounding_constant` for
the x + 1.5·2^52 rounding idiom. FMA lanes get the partials of the fused operation:
r = s_p·x·y + s_c·z rounded once, ∂r/∂x = s_p·y, ∂r/∂y = s_p·x, ∂r/∂z = s_c. The tape has
two parents per node, so a lane with all three operands active is two nodes: the product
(value s_p·x·y rounded, only informational) and the sum, whose value is the fused result
the CPU wrote; the derivative is exact either way (the partials are exact reals, no rounding
of the product enters them). With one or two active operands it is one node.

This path is pure Python in both recorder modes (the compiled hook treats VEX addresses as
no-ops), so compiled and Python recordings stay identical by construction.
"""

from __future__ import annotations

import struct

import numpy as np

from revad_emu.ad.isa.sse import _classify, rounding_constant
from revad_emu.ad.rules import BINARY, UNARY
from revad_emu.ad.tape import op_code
from revad_emu.cpu.avx import Exec

_UNPACK = {8: struct.Struct("<d").unpack_from, 4: struct.Struct("<f").unpack_from}
_NEG = {"abs": op_code("abs"), "neg": op_code("neg"), "negabs": op_code("negabs")}
_FMA, _MUL, _CVT = op_code("fma"), op_code("mul"), op_code("cvt")
_SCALAR_PASSIVE = ("vcvtsi2sd", "vcvtsi2ss", "vroundsd", "vroundss")
_BITTRICK = ("vpadd", "vpsub", "vpsll", "vpsrl", "vpsra", "vpmul", "vcvtsi2", "vcvtdq2")


class VexAD:
    """The recorder's listener for executed VEX instructions."""

    def __init__(self, rec) -> None:
        self.rec = rec
        self.sh = rec.sh
        self.count = 0

    def active(self, addr: int) -> bool:
        """Was this instruction seen by the recorder's hook (traced code, not inside an
        unrecorded math call, recording not disabled)?"""
        rec = self.rec
        if not rec.hooked or rec.disabled or rec.suppress is not None:
            return False
        if rec.hot is not None and rec.hot.suppress_ret != -1:
            return False
        return rec.prev == addr

    def __call__(self, ex: Exec) -> None:
        if ex.insn.mnemonic == "vldmxcsr" and self.rec.hooked:
            self.rec.update_fp_mode()  # (the recorder does this after ldmxcsr)
        if not self.sh.slots:
            return
        addr = ex.insn.address
        if not self.active(addr):
            return
        self.count += 1
        FLOWS[ex.entry.flow](self, ex)

    # -- helpers -----------------------------------------------------------------------
    def node(self, loc: int, raw: bytes, off: int, w: int, addr: int,
             packed: bool = False) -> int:
        """Validated node of the w-byte value at loc (its bytes raw[off:off+w]), or 0.

        Bytes that do not form one whole value (a taint, or pieces of another value): in a
        scalar operation a warning and 0; in a lane of a packed operation -1 — such lanes
        are often leftovers nobody uses (the upper lanes of a register holding a complex
        float), so the result lane becomes a taint that warns only if it is used as a number
        later (arithmetic or an output), naming where it came from."""
        n = self.sh.node_at(loc, w)
        if n == 0:
            return 0
        if n < 0:
            if packed and not (self.rec.sizeless and self.rec.sizeless_start(loc)):
                return -1
            # (a variable marked without a size gets its width from this first read)
            return self.rec.operand_node(n, raw, off, w, addr, loc)
        return self.rec.check(n, _UNPACK[w](raw, off)[0], w, addr, loc)

    def taint(self, loc: int, w: int, srcs: tuple[int, ...], addr: int) -> None:
        """Mark a result lane as made from pieces (origin: the first source's taint)."""
        origin = None
        for s in srcs:
            origin = self.rec.taint_origin(s, w)
            if origin is not None:
                break
        self.sh.put(loc, (-1 - (addr if origin is None else origin),) * w)

    def copy_from(self, src: int, dst: int, lo: int, hi: int) -> None:
        """Shadow of bytes lo..hi of the destination taken from the same bytes of src."""
        if hi > lo and src != dst:
            self.sh.copy(src + lo, dst + lo, hi - lo)

    def tail(self, ex: Exec, written: int) -> None:
        if ex.zero_to > written:
            self.sh.clear(ex.locs[0] + written, ex.zero_to - written)

    def new(self, p1: int, d1: float, p2: int, d2: float, raw: bytes, off: int, w: int,
            addr: int, code: int) -> int:
        return self.rec.new_node(p1, d1 if p1 else 0.0, p2, d2 if p2 else 0.0,
                                 _UNPACK[w](raw, off)[0], 0, w, addr, code)


# ------------------------------------------------------------------------------ flows

def f_gather(ad: VexAD, ex: Exec) -> None:
    sh = ad.sh
    gmap, vals, locs = ex.gmap, ex.vals, ex.locs
    pieces = ex.extra  # the map as (operand, start, end) slices, when fixed per address
    dst = locs[0]
    if pieces is not None and all(op < 0 or locs[op] != dst for op, _, _ in pieces):
        pos = 0  # no source is the destination: copy slice by slice (8-byte slots fast)
        for op, a, b in pieces:
            if op < 0:
                sh.clear(dst + pos, b - a)
            else:
                sh.copy(locs[op] + a, dst + pos, b - a)
            pos += b - a
        ad.tail(ex, pos)
        return
    ents = [sh.get(locs[k], len(v)) if isinstance(v, bytes) and locs[k] is not None else None
            for k, v in enumerate(vals)]
    dst = locs[0]
    n = len(gmap)
    if not any(e is not None for e in ents):
        if -2 in gmap:  # masked store: only the stored bytes become passive
            for k, g in enumerate(gmap):
                if g != -2:
                    sh.clear(dst + k, 1)
            return
        sh.clear(dst, max(n, ex.zero_to))
        return
    old = sh.get(dst, n) if -2 in gmap else None
    out = []
    for k, g in enumerate(gmap):
        if g == -2:
            out.append(old[k] if old else None)
        elif g < 0:
            out.append(None)
        else:
            e = ents[g >> 6]
            out.append(e[g & 63] if e is not None else None)
    sh.put(dst, out)
    ad.tail(ex, n)


def f_lanes(ad: VexAD, ex: Exec) -> None:
    e, vals, locs, out = ex.entry, ex.vals, ex.locs, ex.out
    w, op = e.w, e.op
    sh, addr = ad.sh, ex.insn.address
    dst = locs[0]
    code = op_code(op)
    unary = op in UNARY and op not in BINARY
    if e.scalar:
        lanes = 1
        ia, ib = 1, len(vals) - 1
        ad.copy_from(locs[1], dst, w, 16)
        written = 16
    else:
        lanes = len(out) // w
        ia, ib = 1, len(vals) - 1
        written = len(out)
    new_lanes = []
    packed = lanes > 1
    for j in range(lanes):
        o = j * w
        if unary:
            nb = ad.node(locs[ib] + o, vals[ib], o, w, addr, packed)
            if nb < 0:
                new_lanes.append((o, (locs[ib] + o,)))
                continue
            if not nb:
                new_lanes.append((o, 0))
                continue
            d = UNARY[op](_UNPACK[w](vals[ib], o)[0])
            new_lanes.append((o, ad.new(nb, d, 0, 0.0, out, o, w, addr, code)))
            continue
        na = ad.node(locs[ia] + o, vals[ia], o, w, addr, packed)
        nb = ad.node(locs[ib] + o, vals[ib], o, w, addr, packed)
        if na < 0 or nb < 0:
            new_lanes.append((o, (locs[ia] + o, locs[ib] + o)))
            continue
        if not na and not nb:
            new_lanes.append((o, 0))
            continue
        a = _UNPACK[w](vals[ia], o)[0]
        b = _UNPACK[w](vals[ib], o)[0]
        if op in ("add", "sub") and (not na or not nb):
            kind = rounding_constant(*((a, b) if na else (b, a)), w)
            if kind is not None:
                if kind == "huge":
                    ad.rec.warn(addr, "rounding", "an active value is added to a constant so "
                                "large that its fraction is rounded away; treated as a step "
                                "function (derivative 0)")
                new_lanes.append((o, 0))
                continue
        da, db = BINARY[op](a, b)
        new_lanes.append((o, ad.new(na, da, nb, db, out, o, w, addr, code)))
    for o, node in new_lanes:  # all lanes read before any is written (dst may be a source)
        if isinstance(node, tuple):
            ad.taint(dst + o, w, node, addr)
        else:
            sh.set_node(dst + o, w, node)
    ad.tail(ex, written)


def f_fma(ad: VexAD, ex: Exec) -> None:
    e, vals, locs, out = ex.entry, ex.vals, ex.locs, ex.out
    w = e.w
    sh, rec, addr = ad.sh, ad.rec, ex.insn.address
    (xo, yo, zo), signs = ex.extra
    dst = locs[0]
    res = []
    for j, (sp, sc) in enumerate(signs):
        o = j * w
        packed = len(signs) > 1
        nx = ad.node(locs[xo] + o, vals[xo], o, w, addr, packed)
        ny = ad.node(locs[yo] + o, vals[yo], o, w, addr, packed)
        nz = ad.node(locs[zo] + o, vals[zo], o, w, addr, packed)
        if nx < 0 or ny < 0 or nz < 0:
            res.append((o, (locs[xo] + o, locs[yo] + o, locs[zo] + o)))
            continue
        if not (nx or ny or nz):
            res.append((o, 0))
            continue
        x = _UNPACK[w](vals[xo], o)[0]
        y = _UNPACK[w](vals[yo], o)[0]
        r = _UNPACK[w](out, o)[0]
        dx, dy, dz = sp * y, sp * x, float(sc)
        if nx and ny and nz:
            p = rec.new_node(nx, dx, ny, dy, sp * x * y, 0, w, addr, _MUL)
            node = rec.new_node(p, 1.0, nz, dz, r, 0, w, addr, _FMA)
        else:
            parents = [(n, d) for n, d in ((nx, dx), (ny, dy), (nz, dz)) if n]
            parents += [(0, 0.0)] * (2 - len(parents))
            (p1, d1), (p2, d2) = parents
            node = rec.new_node(p1, d1, p2, d2, r, 0, w, addr, _FMA)
        res.append((o, node))
    for o, node in res:
        if isinstance(node, tuple):
            ad.taint(dst + o, w, node, addr)
        else:
            sh.set_node(dst + o, w, node)
    ad.tail(ex, 16 if e.scalar else len(out))


def f_cvt(ad: VexAD, ex: Exec) -> None:
    e, vals, locs, out = ex.entry, ex.vals, ex.locs, ex.out
    w = e.w
    wo = 12 - w
    sh, addr = ad.sh, ex.insn.address
    dst = locs[0]
    if e.scalar:
        src, lanes = 2, 1
        ad.copy_from(locs[1], dst, wo, 16)
    else:
        src = 1
        lanes = (len(out) if w == 4 else ex.insn.ops[src].size) // (wo if w == 4 else w)
    res = []
    for j in range(lanes):
        n = ad.node(locs[src] + j * w, vals[src], j * w, w, addr)
        res.append((j * wo, ad.new(n, 1.0, 0, 0.0, out, j * wo, wo, addr, _CVT) if n else 0))
    if not e.scalar:
        sh.clear(dst, len(out))
    for o, node in res:
        sh.set_node(dst + o, wo, node)
    ad.tail(ex, 16 if e.scalar else len(out))


def f_logic(ad: VexAD, ex: Exec) -> None:
    e, vals, locs, out = ex.entry, ex.vals, ex.locs, ex.out
    sh, rec, addr = ad.sh, ad.rec, ex.insn.address
    dst, la, lb = locs[0], locs[1], locs[2]
    n = len(out)
    if la == lb and ex.insn.ops[2].kind == "reg":
        if e.op in ("xor", "andn"):
            sh.clear(dst, max(n, ex.zero_to))
        else:
            ad.copy_from(la, dst, 0, n)
            ad.tail(ex, n)
        return
    if not sh.any_active(la, n) and not sh.any_active(lb, n):
        sh.clear(dst, max(n, ex.zero_to))
        return
    res = []
    o = 0
    while o < n:
        lw = e.w or (8 if sh.node_at(la + o, 8) >= 0 and sh.node_at(lb + o, 8) >= 0 else 4)
        na, nb = sh.node_at(la + o, lw), sh.node_at(lb + o, lw)
        ra, rb = vals[1], vals[2]
        pa = rec.operand_node(na, ra, o, lw, addr, la + o) if na else 0
        pb = rec.operand_node(nb, rb, o, lw, addr, lb + o) if nb else 0
        node = 0
        if pa and pb:
            rec.warn(addr, "bittrick", "bitwise operation on two active values; the result "
                                       "is treated as passive")
        elif pa or pb:
            src, m = (pa, int.from_bytes(rb[o:o + lw], "little")) if pa else \
                (pb, int.from_bytes(ra[o:o + lw], "little"))
            what = _classify(e.op, bool(pa), m, lw)
            if what == "copy":
                node = src
            elif what is None:
                rec.warn(addr, "bittrick", f"bit manipulation ({e.op} with mask {m:#x}) of an "
                                           "active value; derivative dropped")
            elif what != "zero":
                x = _UNPACK[lw](ra if pa else rb, o)[0]
                node = rec.new_node(src, UNARY[what](x), 0, 0.0, _UNPACK[lw](out, o)[0], 0,
                                    lw, addr, _NEG[what])
        res.append((o, lw, node))
        o += lw
    for o, lw, node in res:
        sh.set_node(dst + o, lw, node)
    ad.tail(ex, n)


def f_combo(ad: VexAD, ex: Exec) -> None:
    """Horizontal add/sub and addsub: each lane is one add or sub of two operand lanes."""
    w, vals, locs, out = ex.entry.w, ex.vals, ex.locs, ex.out
    sh, addr = ad.sh, ex.insn.address
    res = []
    for j, (oa, la, ob, lb, op) in enumerate(ex.extra):
        na = ad.node(locs[oa] + la * w, vals[oa], la * w, w, addr, True)
        nb = ad.node(locs[ob] + lb * w, vals[ob], lb * w, w, addr, True)
        if na < 0 or nb < 0:
            res.append((locs[oa] + la * w, locs[ob] + lb * w))
            continue
        if not na and not nb:
            res.append(0)
            continue
        da, db = BINARY[op](_UNPACK[w](vals[oa], la * w)[0], _UNPACK[w](vals[ob], lb * w)[0])
        res.append(ad.new(na, da, nb, db, out, j * w, w, addr, op_code(op)))
    for j, node in enumerate(res):
        if isinstance(node, tuple):
            ad.taint(locs[0] + j * w, w, node, addr)
        else:
            sh.set_node(locs[0] + j * w, w, node)
    ad.tail(ex, len(out))


def f_dot(ad: VexAD, ex: Exec) -> None:
    """vdppd/vdpps: product nodes (partials: the other factor), then the sums as the CPU
    adds them; the last sum's value is the one the CPU wrote."""
    w, vals, locs, out = ex.entry.w, ex.vals, ex.locs, ex.out
    sh, rec, addr = ad.sh, ad.rec, ex.insn.address
    imm = ex.insn.ops[-1].imm
    per = 16 // w
    mul, add = op_code("mul"), op_code("add")
    f32 = w == 4

    def rnd(v: float) -> float:
        return float(np.float32(v)) if f32 else v

    def node(p1: int, d1: float, p2: int, d2: float, v: float, code: int) -> int:
        return rec.new_node(p1, d1 if p1 else 0.0, p2, d2 if p2 else 0.0, v, 0, w, addr,
                            code) if p1 or p2 else 0

    res = []
    for h in range(len(out) // 16):
        prods = []
        for k in range(per):
            o = (h * per + k) * w
            if not imm >> (4 + k) & 1:
                prods.append((0, 0.0))
                continue
            x, y = _UNPACK[w](vals[1], o)[0], _UNPACK[w](vals[2], o)[0]
            na = ad.node(locs[1] + o, vals[1], o, w, addr)
            nb = ad.node(locs[2] + o, vals[2], o, w, addr)
            v = rnd(x * y)
            prods.append((node(na, y, nb, x, v, mul), v))
        if per == 4:
            (n0, v0), (n1, v1), (n2, v2), (n3, v3) = prods
            prods = [(node(n0, 1.0, n1, 1.0, rnd(v0 + v1), add), 0.0),
                     (node(n2, 1.0, n3, 1.0, rnd(v2 + v3), add), 0.0)]
        outs = [k for k in range(per) if imm >> k & 1]
        top = 0
        if outs:
            top = node(prods[0][0], 1.0, prods[1][0], 1.0,
                       _UNPACK[w](out, (h * per + outs[0]) * w)[0], add)
        res += [top if imm >> k & 1 else 0 for k in range(per)]
    for j, n in enumerate(res):
        sh.set_node(locs[0] + j * w, w, n)
    ad.tail(ex, len(out))


def f_passive(ad: VexAD, ex: Exec) -> None:
    if ex.out is None:
        return  # flags only (vcomisd, vptest)
    sh = ad.sh
    insn = ex.insn
    m = insn.mnemonic
    dst = ex.locs[0]
    if m.startswith(_BITTRICK):
        for k in range(1, len(ex.vals)):
            v = ex.vals[k]
            if isinstance(v, bytes) and ex.locs[k] is not None and \
                    sh.any_active(ex.locs[k], len(v)):
                ad.rec.warn(insn.address, "bittrick", "integer operation on an active "
                            "floating-point value; derivative dropped")
                break
    scalar = m.startswith(_SCALAR_PASSIVE) or (m.startswith("vcmp") and m[-2:] in ("sd", "ss")
                                               and len(insn.ops) >= 3)
    if scalar:
        w = 4 if m.endswith("ss") else 8
        sh.clear(dst, w)
        ad.copy_from(ex.locs[1], dst, w, 16)
        ad.tail(ex, 16)
        return
    sh.clear(dst, max(len(ex.out), ex.zero_to))
    if m == "mulx":  # the low half goes to operand 1
        sh.clear(ex.locs[1] & ~7, 8)


def f_vgather(ad: VexAD, ex: Exec) -> None:
    """Gathered elements carry the shadow of the memory they came from; the rest of the
    destination keeps its own up to the element count, zero above; the mask is cleared."""
    from revad_emu.cpu.locations import xmm_loc

    sh = ad.sh
    ew, loads, n = ex.extra
    dst = ex.locs[0]
    ents = [(o, sh.get(a, ew)) for o, a in loads]
    for o, e in ents:
        if e is None:
            sh.clear(dst + o, ew)
        else:
            sh.put(dst + o, e)
    sh.clear(dst + n, 32 - n)
    sh.clear(xmm_loc(ex.insn.ops[2].reg.index), 32)


def f_zeroupper(ad: VexAD, ex: Exec) -> None:
    from revad_emu.cpu.locations import xmm_loc

    full = ex.insn.mnemonic == "vzeroall"
    for i in range(16):
        ad.sh.clear(xmm_loc(i) + (0 if full else 16), 32 if full else 16)


FLOWS = {"gather": f_gather, "lanes": f_lanes, "fma": f_fma, "cvt": f_cvt, "logic": f_logic,
         "combo": f_combo, "dot": f_dot, "vgather": f_vgather, "passive": f_passive,
         "zeroupper": f_zeroupper}

__all__ = ["VexAD", "FLOWS"]
