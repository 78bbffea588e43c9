"""The VEX instruction table: one entry per mnemonic (flow, semantics, lane width, rule)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from revad_emu.cpu.vex.core import Entry
from revad_emu.cpu.vex.flows import lanes_value
from revad_emu.cpu.vex.maps import (
    g_blend,
    g_blendv,
    g_broadcast,
    g_byteshift,
    g_copy,
    g_extract128,
    g_insert128,
    g_insertps,
    g_maskmov,
    g_movddup,
    g_movhl,
    g_movlh,
    g_movlhps,
    g_movs,
    g_movsdup,
    g_palignr,
    g_perm2x128,
    g_permd,
    g_permil,
    g_permq,
    g_pextr,
    g_pinsr,
    g_pmovx,
    g_pshufb,
    g_pshufd,
    g_pshufhlw,
    g_shufpd,
    g_shufps,
    g_unpck,
)
from revad_emu.cpu.vex.passive import (
    _cmpmask,
    _cvt_dq,
    p_bmi,
    p_cmp,
    p_comis,
    p_cvt2si,
    p_cvt_packed,
    p_cvtph2ps,
    p_cvtps2ph,
    p_cvtsi2,
    p_hint,
    p_int,
    p_intu,
    p_ldmxcsr,
    p_maddubsw,
    p_movmsk,
    p_movsx,
    p_pack,
    p_pairs,
    p_ptest,
    p_round,
    p_sadbw,
    p_shift,
    p_stmxcsr,
    p_unary_int,
    p_xgetbv,
)

# ---------------------------------------------------------------------------- table

def _build() -> dict[str, Entry]:
    t: dict[str, Entry] = {}
    G = lambda fn: Entry("gather", fn)  # noqa: E731
    for m in ("vmovapd", "vmovaps", "vmovupd", "vmovups", "vmovdqa", "vmovdqu", "vlddqu",
              "vmovntdq", "vmovntpd", "vmovntps", "vmovntdqa", "vmovq", "vmovd"):
        t[m] = G(g_copy)
    t["vmovsd"] = G(g_movs(8))
    t["vmovss"] = G(g_movs(4))
    for m, hi in (("vmovlpd", False), ("vmovlps", False), ("vmovhpd", True), ("vmovhps", True)):
        t[m] = G(g_movlh(hi))
    t["vmovhlps"] = G(g_movhl)
    t["vmovlhps"] = G(g_movlhps)
    t["vunpcklpd"] = G(g_unpck(8, False))
    t["vunpckhpd"] = G(g_unpck(8, True))
    t["vunpcklps"] = G(g_unpck(4, False))
    t["vunpckhps"] = G(g_unpck(4, True))
    for w, s in ((1, "bw"), (2, "wd"), (4, "dq"), (8, "qdq")):
        t[f"vpunpckl{s}"] = G(g_unpck(w, False))
        t[f"vpunpckh{s}"] = G(g_unpck(w, True))
    t["vshufpd"] = G(g_shufpd)
    t["vshufps"] = G(g_shufps)
    t["vpshufd"] = G(g_pshufd)
    t["vpermilpd"] = G(g_permil(8))
    t["vpermilps"] = G(g_permil(4))
    t["vmovddup"] = G(g_movddup)
    t["vmovshdup"] = G(g_movsdup(True))
    t["vmovsldup"] = G(g_movsdup(False))
    t["vbroadcastss"] = G(g_broadcast(4))
    t["vbroadcastsd"] = G(g_broadcast(8))
    t["vbroadcastf128"] = G(g_broadcast(16))
    t["vbroadcasti128"] = G(g_broadcast(16))
    for m, w in (("vpbroadcastb", 1), ("vpbroadcastw", 2), ("vpbroadcastd", 4),
                 ("vpbroadcastq", 8)):
        t[m] = G(g_broadcast(w))
    t["vinsertf128"] = t["vinserti128"] = G(g_insert128)
    t["vextractf128"] = t["vextracti128"] = G(g_extract128)
    t["vperm2f128"] = t["vperm2i128"] = G(g_perm2x128)
    t["vpermpd"] = t["vpermq"] = G(g_permq)
    t["vpermps"] = t["vpermd"] = G(g_permd(4))
    t["vblendpd"] = G(g_blend(8))
    t["vblendps"] = G(g_blend(4))
    t["vpblendd"] = G(g_blend(4))
    t["vpblendw"] = G(g_blend(2))
    t["vblendvpd"] = G(g_blendv(8))
    t["vblendvps"] = G(g_blendv(4))
    t["vpblendvb"] = G(g_blendv(1))
    t["vpshufb"] = G(g_pshufb)
    t["vpslldq"] = G(g_byteshift(True))
    t["vpsrldq"] = G(g_byteshift(False))
    t["vpalignr"] = G(g_palignr)
    for m, w in (("vpinsrb", 1), ("vpinsrw", 2), ("vpinsrd", 4), ("vpinsrq", 8)):
        t[m] = G(g_pinsr(w))
    for m, w in (("vpextrb", 1), ("vpextrw", 2), ("vpextrd", 4), ("vpextrq", 8),
                 ("vextractps", 4)):
        t[m] = G(g_pextr(w))
    t["vinsertps"] = G(g_insertps)
    t["vmaskmovpd"] = G(g_maskmov(8))
    t["vmaskmovps"] = G(g_maskmov(4))
    t["vpmaskmovd"] = G(g_maskmov(4))
    t["vpmaskmovq"] = G(g_maskmov(8))
    for s, sw in (("b", 1), ("w", 2), ("d", 4)):
        for d, dw in (("w", 2), ("d", 4), ("q", 8)):
            if dw > sw:
                t[f"vpmovzx{s}{d}"] = G(g_pmovx(sw, dw, False))
    # floating-point arithmetic
    for op in ("add", "sub", "mul", "div", "min", "max", "sqrt"):
        t[f"v{op}sd"] = Entry("lanes", lanes_value, 8, op, scalar=True)
        t[f"v{op}ss"] = Entry("lanes", lanes_value, 4, op, scalar=True)
        t[f"v{op}pd"] = Entry("lanes", lanes_value, 8, op)
        t[f"v{op}ps"] = Entry("lanes", lanes_value, 4, op)
    t["vrcpps"] = Entry("lanes", lanes_value, 4, "rcp")
    t["vrcpss"] = Entry("lanes", lanes_value, 4, "rcp", scalar=True)
    t["vrsqrtps"] = Entry("lanes", lanes_value, 4, "rsqrt")
    t["vrsqrtss"] = Entry("lanes", lanes_value, 4, "rsqrt", scalar=True)
    for kind in ("fmadd", "fmsub", "fnmadd", "fnmsub", "fmaddsub", "fmsubadd"):
        for order in ("132", "213", "231"):
            for suf, w, sc in (("sd", 8, True), ("ss", 4, True), ("pd", 8, False),
                               ("ps", 4, False)):
                if kind in ("fmaddsub", "fmsubadd") and sc:
                    continue
                t[f"v{kind}{order}{suf}"] = Entry("fma", None, w, kind + order, scalar=sc,
                                                  reads_dst=True)
    for op in ("and", "andn", "or", "xor"):
        t[f"v{op}pd"] = Entry("logic", None, 8, op)
        t[f"v{op}ps"] = Entry("logic", None, 4, op)
        t[f"vp{op}"] = Entry("logic", None, 0, op)
    t["vzeroupper"] = t["vzeroall"] = Entry("zeroupper", None)
    # conversions between float and double (derivative 1 through rules.UNARY['cvt'])
    t["vcvtss2sd"] = Entry("cvt", None, 4, "cvt", scalar=True)
    t["vcvtsd2ss"] = Entry("cvt", None, 8, "cvt", scalar=True)
    t["vcvtps2pd"] = Entry("cvt", None, 4, "cvt")
    t["vcvtpd2ps"] = Entry("cvt", None, 8, "cvt")
    # passive results
    P = lambda fn: Entry("passive", fn)  # noqa: E731
    for w, s in ((1, "b"), (2, "w"), (4, "d"), (8, "q")):
        t[f"vpadd{s}"] = P(p_int(lambda a, b: a + b, w))
        t[f"vpsub{s}"] = P(p_int(lambda a, b: a - b, w))
        t[f"vpcmpeq{s}"] = P(p_int(lambda a, b, w=w: _cmpmask(a == b, w), w))
        t[f"vpcmpgt{s}"] = P(p_int(lambda a, b, w=w: _cmpmask(a > b, w), w))
        if w < 8:
            t[f"vpminu{s}"] = P(p_intu(np.minimum, w))
            t[f"vpmaxu{s}"] = P(p_intu(np.maximum, w))
            t[f"vpmins{s}"] = P(p_int(np.minimum, w))
            t[f"vpmaxs{s}"] = P(p_int(np.maximum, w))
        if w > 1:
            for k in ("sll", "srl", "sra"):
                if k == "sra" and w == 8:
                    continue
                t[f"vp{k}{s}"] = P(p_shift(k, w))
        if w >= 4:
            t[f"vpsllv{s}"] = P(p_shift("sllv", w))
            t[f"vpsrlv{s}"] = P(p_shift("srlv", w))
    t["vpsravd"] = P(p_shift("srav", 4))
    t["vpmulld"] = P(p_int(lambda a, b: a * b, 4))
    t["vpmullw"] = P(p_int(lambda a, b: a * b, 2))
    t["vpmuludq"] = P(lambda unit, insn, vals: (
        (np.frombuffer(vals[1], dtype=np.uint64) & 0xFFFFFFFF)
        * (np.frombuffer(vals[2], dtype=np.uint64) & 0xFFFFFFFF)).tobytes())
    t["vpmuldq"] = P(lambda unit, insn, vals: (
        (np.frombuffer(vals[1], dtype=np.int64) << 32 >> 32)
        * (np.frombuffer(vals[2], dtype=np.int64) << 32 >> 32)).tobytes())
    t["vpmulhw"] = P(p_int(lambda a, b: (a.astype(np.int32) * b) >> 16, 2))
    t["vpmulhuw"] = P(p_intu(lambda a, b: (a.astype(np.uint32) * b) >> 16, 2))
    for s_, w in (("b", 1), ("w", 2)):
        lo, hi = -(1 << (8 * w - 1)), (1 << (8 * w - 1)) - 1
        t[f"vpadds{s_}"] = P(p_int(lambda a, b, lo=lo, hi=hi: np.clip(
            a.astype(np.int64) + b, lo, hi), w))
        t[f"vpsubs{s_}"] = P(p_int(lambda a, b, lo=lo, hi=hi: np.clip(
            a.astype(np.int64) - b, lo, hi), w))
        t[f"vpaddus{s_}"] = P(p_intu(lambda a, b, w=w: np.minimum(
            a.astype(np.int64) + b, (1 << (8 * w)) - 1), w))
        t[f"vpsubus{s_}"] = P(p_intu(lambda a, b: np.maximum(a.astype(np.int64) - b, 0), w))
        t[f"vpavg{s_}"] = P(p_intu(lambda a, b: (a.astype(np.int64) + b + 1) >> 1, w))
    for s_, w in (("b", 1), ("w", 2), ("d", 4)):
        t[f"vpabs{s_}"] = P(p_unary_int(lambda a: np.abs(a), w))
        t[f"vpsign{s_}"] = P(p_int(lambda a, b: np.where(b < 0, -a, np.where(b == 0, 0, a)),
                                   w))
    t["vpmaddwd"] = P(p_pairs(2, 4, lambda a, b: a.astype(np.int64) * b, signed=True))
    t["vpackssdw"] = P(p_pack(4, 2, True))
    t["vpacksswb"] = P(p_pack(2, 1, True))
    t["vpackusdw"] = P(p_pack(4, 2, False))
    t["vpackuswb"] = P(p_pack(2, 1, False))
    t["vpsadbw"] = P(p_sadbw)
    for s_, sw in (("b", 1), ("w", 2), ("d", 4)):
        for d_, dw in (("w", 2), ("d", 4), ("q", 8)):
            if dw > sw:
                t[f"vpmovsx{s_}{d_}"] = P(p_movsx(sw, dw))
    t["vpshufhw"] = G(g_pshufhlw(True))
    t["vpshuflw"] = G(g_pshufhlw(False))
    for s_, w in (("w", 2), ("d", 4)):
        t[f"vphadd{s_}"] = P(p_hint(w, lambda a, b: a + b))
        t[f"vphsub{s_}"] = P(p_hint(w, lambda a, b: a - b))
    t["vphaddsw"] = P(p_hint(2, lambda a, b: np.clip(a + b, -32768, 32767)))
    t["vphsubsw"] = P(p_hint(2, lambda a, b: np.clip(a - b, -32768, 32767)))
    t["vpmaddubsw"] = P(p_maddubsw)
    t["vpmulhrsw"] = P(p_int(lambda a, b: ((a.astype(np.int32) * b >> 14) + 1) >> 1, 2))
    t["vcvtph2ps"] = P(p_cvtph2ps)
    t["vcvtps2ph"] = P(p_cvtps2ph)
    t["vpmovmskb"] = P(p_movmsk(1))
    t["vmovmskpd"] = P(p_movmsk(8))
    t["vmovmskps"] = P(p_movmsk(4))
    t["vptest"] = t["vtestpd"] = t["vtestps"] = P(p_ptest)
    for m, w in (("vcomisd", 8), ("vucomisd", 8), ("vcomiss", 4), ("vucomiss", 4)):
        t[m] = P(p_comis(w))
    t["vcvttsd2si"] = P(p_cvt2si(8, True))
    t["vcvtsd2si"] = P(p_cvt2si(8, False))
    t["vcvttss2si"] = P(p_cvt2si(4, True))
    t["vcvtss2si"] = P(p_cvt2si(4, False))
    t["vcvtsi2sd"] = P(p_cvtsi2(8))
    t["vcvtsi2ss"] = P(p_cvtsi2(4))
    t["vcvtdq2pd"] = P(p_cvt_packed(lambda s, insn: np.frombuffer(
        s, dtype=np.int32).astype(np.float64)[:insn.ops[0].size // 8].tobytes()))
    t["vcvtdq2ps"] = P(p_cvt_packed(lambda s, insn: np.frombuffer(
        s, dtype=np.int32).astype(np.float32).tobytes()))
    t["vcvttpd2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 8, len(s) // 8, True)))
    t["vcvtpd2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 8, len(s) // 8, False)))
    t["vcvttps2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 4, len(s) // 4, True)))
    t["vcvtps2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 4, len(s) // 4, False)))
    t["vroundsd"] = P(p_round(8, True))
    t["vroundss"] = P(p_round(4, True))
    t["vroundpd"] = P(p_round(8, False))
    t["vroundps"] = P(p_round(4, False))
    t["vstmxcsr"] = P(p_stmxcsr)
    t["vldmxcsr"] = Entry("passive", p_ldmxcsr, reads_dst=True)  # its operand is a source
    t["xgetbv"] = P(p_xgetbv)  # hooked only when the machine shows an x86-64-v3 CPU
    for k in ("andn", "shlx", "shrx", "sarx", "rorx", "bzhi", "blsr", "blsi", "blsmsk",
              "bextr", "pdep", "pext", "mulx"):
        t[k] = P(p_bmi(k))
    return t


TABLE = _build()
for _m in ("vgatherdpd", "vgatherqpd", "vgatherdps", "vgatherqps", "vpgatherdd", "vpgatherdq",
           "vpgatherqd", "vpgatherqq"):
    TABLE[_m] = Entry("vgather", None, reads_dst=True)
TABLE["vdppd"] = Entry("dot", None, 8, "dot")
TABLE["vdpps"] = Entry("dot", None, 4, "dot")
for _w, _s in ((8, "pd"), (4, "ps")):
    for _k in ("hadd", "hsub", "addsub"):
        TABLE[f"v{_k}{_s}"] = Entry("combo", None, _w, _k)

# byte maps computed from operand values at run time (not cacheable per address)
for _m, _e in list(TABLE.items()):
    if _e.flow == "gather" and _m.startswith(("vblendv", "vpblendvb", "vpshufb", "vmaskmov",
                                               "vpmaskmov", "vpermil", "vpermd", "vpermps")):
        TABLE[_m] = replace(_e, dynamic=True)
CMP_SUFFIX = {"pd": (8, False), "ps": (4, False), "sd": (8, True), "ss": (4, True)}


def entry_for(mnemonic: str) -> Entry | None:
    """The table entry; the vcmp<predicate><suffix> pseudo-mnemonics share one each."""
    e = TABLE.get(mnemonic)
    if e is None and mnemonic.startswith("vcmp") and mnemonic[-2:] in CMP_SUFFIX:
        w, sc = CMP_SUFFIX[mnemonic[-2:]]
        e = Entry("passive", p_cmp(w, sc))
        TABLE[mnemonic] = e
    return e

