"""Floating-point bit tricks done in general-purpose registers, recorded exactly.

`-O0` code, unions, `memcpy` to `uint64_t` and serialisers work on a float's bit pattern in
integer registers: `xor` with the sign bit (negation), `and` with ~sign (absolute value),
`or` with the sign bit (-|x|), `btc`/`btr`/`bts` of the sign bit, and adding `k << 52`
(`k << 23` for a float) to the exponent field (x·2^k). When the instruction's other operand
is passive, its value *now* is a constant of this execution, so the operation's meaning on
the value is certain: it is recorded as a tape node with the exact derivative. Anything else
(another mask, two active operands, a scaling that leaves the normal range) keeps the generic
behaviour: the result is a taint that warns where it is used (isa/generic.py) — or, for
byte-wise `and`/`or`, the byte moves of moves.b_bytewise.

The operand must be one whole tracked value of the register's width (8 bytes: a double,
4: a float); a size-less mark (Derivgrind's SET_INDEX) is decided by this read.
"""

from __future__ import annotations

from revad_emu.ad.isa.moves import gpr_spec, with_desc
from revad_emu.ad.rules import UNARY
from revad_emu.ad.tape import op_code
from revad_emu.ad.values import value_of
from revad_emu.cpu.decode import Insn

_CODES = {"neg": op_code("neg"), "abs": op_code("abs"), "negabs": op_code("negabs"),
          "scale": op_code("scale2k")}
_EXP = {8: (52, 0x7FF), 4: (23, 0xFF)}  # exponent field: shift, all-ones


def meaning(op: str, x: int, m: int, n: int, active_first: bool = True):
    """What `x op m` computes on the value whose n-byte pattern is x (m: the passive
    operand): ("copy",), ("zero",) (a passive result), ("neg"|"abs"|"negabs",),
    ("scale", k) for x·2^k, ("range", k) for an exponent step that leaves the normal range,
    or None (not a known idiom)."""
    allm = (1 << (8 * n)) - 1
    sign = 1 << (8 * n - 1)
    m &= allm
    if op == "xor":
        return {0: ("copy",), sign: ("neg",)}.get(m)
    if op == "and":
        return {allm: ("copy",), allm ^ sign: ("abs",), sign: ("zero",), 0: ("zero",)}.get(m)
    if op == "or":
        return {0: ("copy",), sign: ("negabs",)}.get(m)
    if op == "btc":
        return ("neg",) if m == 8 * n - 1 else None
    if op == "btr":
        return ("abs",) if m == 8 * n - 1 else None
    if op == "bts":
        return ("negabs",) if m == 8 * n - 1 else None
    if op in ("add", "sub"):
        if op == "sub":
            if not active_first:
                return None  # m - x
            m = -m & allm
        if m == 0:
            return ("copy",)
        if m == sign:
            return ("neg",)  # adding the sign bit flips it (no carry out of the top)
        shift, top = _EXP[n]
        if m & ((1 << shift) - 1):
            return None
        k = m >> shift
        if k & (1 << (8 * n - shift - 1)):  # negative step (two's complement)
            k -= 1 << (8 * n - shift)
        e = (x >> shift) & top
        if 1 <= e < top and 1 <= e + k < top:
            return ("scale", k)
        return ("range", k)
    return None


def _whole(rec, loc: int, n: int, bits: int, addr: int) -> int:
    """The validated node of an n-byte value at loc (0: none; -1: not one whole value)."""
    sh = rec.sh
    node = sh.node_at(loc, n)
    raw = bits.to_bytes(n, "little")
    if node > 0 and rec.valid(node, raw, 0, n):
        return node
    if rec.sizeless:
        s = rec.sizeless_read(loc, n, raw)
        if s:
            return s
    return -1 if node else 0


def b_trick(rec, insn: Insn):
    """xor/and/or/add/sub r/m, r/imm and btc/btr/bts r/m, imm on 4 or 8 bytes."""
    from revad_emu.ad.isa import moves

    mn = insn.mnemonic
    if len(insn.ops) != 2 or rec.in_passive_routine(insn.address):
        # printf & co. take a double apart for text: the generic taint (compiled path)
        return (moves.b_bytewise if mn in ("and", "or") else rec.generic)(rec, insn)
    d, s = insn.ops
    if d.kind == "reg" and d.reg.kind == "gpr" and d.reg.size in (4, 8) and not d.reg.offset:
        n = d.reg.size
    elif d.kind == "mem" and d.size in (4, 8):
        n = d.size
    else:
        return (moves.b_bytewise if mn in ("and", "or") else rec.generic)(rec, insn)
    if s.kind == "reg":
        if s.reg.kind != "gpr" or s.reg.size != n or s.reg.offset or \
                (d.kind == "reg" and s.reg.index == d.reg.index):
            return (moves.b_bytewise if mn in ("and", "or") else rec.generic)(rec, insn)
    elif s.kind != "imm":
        return (moves.b_bytewise if mn in ("and", "or") else rec.generic)(rec, insn)
    dfn = moves.loc_fn(rec, insn, d)
    if d.kind == "reg":
        fallback = (moves.b_bytewise if mn in ("and", "or") else rec.generic)(rec, insn)
    elif mn == "or" or (mn == "and" and s.kind == "imm"):
        fallback = None  # byte moves on memory (b_bytewise takes registers only)
    else:
        fallback = rec.generic(rec, insn)
    sh, fast = rec.sh, rec.fast
    di = d.reg.index if d.kind == "reg" else -1
    si = s.reg.index if s.kind == "reg" else -1
    sloc = s.reg.loc if s.kind == "reg" else None
    imm = s.imm if s.kind == "imm" else 0
    allm = (1 << (8 * n)) - 1
    addr = insn.address
    op = mn
    taint = -1 - addr

    def other(dl: int, a: int, b: int):
        """Not an idiom: the fallback (byte moves for and/or, else a taint)."""
        if fallback is not None:
            return fallback()
        sh.put(dl, moves.bytewise(op, sh.get(dl, n), sh.get(sloc, n) if sloc else None,
                                  a, b, n, taint))

    def h():
        if not sh.slots:
            return
        dl = dfn()
        if di >= 0:
            a = fast.gpr(di) & allm
        else:
            raw = fast.mem(dl, n)
            if raw is None:
                return
            a = int.from_bytes(raw, "little")
        b = fast.gpr(si) & allm if si >= 0 else imm & allm
        src_active = sloc is not None and sh.any_active(sloc, n)
        dst_active = sh.any_active(dl, n)
        if not dst_active and not src_active:
            sh.clear(dl, 8 if n == 4 and di >= 0 else n)
            return
        if dst_active and src_active:  # two active operands: not an idiom
            return other(dl, a, b)
        if dst_active:
            x, m, loc, first = a, b, dl, True
        else:
            if op not in ("xor", "and", "or", "add"):
                return other(dl, a, b)
            x, m, loc, first = b, a, sloc, False
        what = meaning(op, x, m, n, first)
        if what is None:
            return other(dl, a, b)
        node = _whole(rec, loc, n, x, addr)
        if node <= 0:
            return other(dl, a, b)
        kind = what[0]
        if kind == "copy":
            if loc != dl:
                sh.copy(loc, dl, n)
        elif kind == "zero":
            sh.clear(dl, n)
        elif kind == "range":
            rec.warn(addr, "bittrick", f"exponent step by {what[1]} (adding {what[1]} << "
                     f"{_EXP[n][0]} to the bits) leaves the normal range; derivative dropped")
            return other(dl, a, b)
        else:
            _record(rec, dl, node, kind, what, x, _result(op, x, m, n), n, addr)
        if n == 4 and di >= 0:
            sh.clear(dl + 4, 4)  # a 32-bit register write zeroes the upper half

    reads = ((gpr_spec(di), 8),) if di >= 0 else ((dfn.spec, n),)
    reads += ((gpr_spec(si), 8),) if si >= 0 else ()
    writes = ((gpr_spec(di), 8),) if di >= 0 else ((dfn.spec, n),)
    return with_desc(h, ("guard", reads, writes))


def _record(rec, dl: int, node: int, kind: str, what, x: int, r: int, n: int,
            addr: int) -> None:
    xv = value_of(x.to_bytes(n, "little"), 0, n)
    rv = value_of(r.to_bytes(n, "little"), 0, n)
    dv = float(2.0 ** what[1]) if kind == "scale" else UNARY[kind](xv)
    rec.sh.set_node(dl, n, rec.new_node(node, dv, 0, 0.0, rv, r, n, addr, _CODES[kind]))


def b_lea(rec, insn: Insn):
    """lea r, [base + disp]: `x + constant` on the bits (gcc writes the sign flip of a
    float as `lea edi, [rax - 0x80000000]`). Other address shapes: generic."""
    d, m = insn.ops if len(insn.ops) == 2 else (None, None)
    if d is None or d.kind != "reg" or d.reg.kind != "gpr" or d.reg.size not in (4, 8) or \
            d.reg.offset or m.kind != "mem" or m.mem.base < 0 or m.mem.index >= 0 or \
            m.mem.seg or rec.in_passive_routine(insn.address):
        return rec.generic(rec, insn)
    fallback = rec.generic(rec, insn)
    n = d.reg.size
    allm = (1 << (8 * n)) - 1
    sh, fast = rec.sh, rec.fast
    from revad_emu.cpu.locations import gpr_loc

    bi, dl, disp, addr = m.mem.base, d.reg.loc, m.mem.disp & allm, insn.address
    bloc = gpr_loc(bi)

    def h():
        if not sh.slots:
            return
        if not sh.any_active(bloc, n):
            return fallback()
        x = fast.gpr(bi) & allm
        what = meaning("add", x, disp, n)
        node = _whole(rec, bloc, n, x, addr) if what and what[0] in ("copy", "neg",
                                                                      "scale") else 0
        if node <= 0:
            if what and what[0] == "range":
                rec.warn(addr, "bittrick", f"exponent step by {what[1]} leaves the normal "
                                           "range; derivative dropped")
            return fallback()
        if what[0] == "copy":
            sh.copy(bloc, dl, n)
        else:
            _record(rec, dl, node, what[0], what, x, (x + disp) & allm, n, addr)
        if n == 4:
            sh.clear(dl + 4, 4)

    return with_desc(h, ("guard", ((gpr_spec(bi), 8),), ((gpr_spec(d.reg.index), 8),)))


def _result(op: str, x: int, m: int, n: int) -> int:
    allm = (1 << (8 * n)) - 1
    if op in ("btc", "btr", "bts"):
        bit = 1 << (m & (8 * n - 1))
        return {"btc": x ^ bit, "btr": x & ~bit, "bts": x | bit}[op] & allm
    return {"xor": x ^ m, "and": x & m, "or": x | m, "add": x + m, "sub": x - m}[op] & allm


def b_bswap(rec, insn: Insn):
    """bswap r: the value's bytes in reverse order (byte-wise encoders and decoders; two
    bswaps give back the value)."""
    from revad_emu.ad.isa import moves

    d = insn.ops[0] if len(insn.ops) == 1 else None
    if d is None or d.kind != "reg" or d.reg.kind != "gpr" or d.reg.size not in (4, 8):
        return rec.generic(rec, insn)
    n = d.reg.size
    pieces = [(i, 1, 0, n - 1 - i) for i in range(n)] + ([(4, 4, None, 0)] if n == 4 else [])
    return moves.mover(rec, insn, pieces)


def b_shift(rec, insn: Insn):
    """shl/shr/sar r, cl: a count that is a whole number of bytes (a loop over a value's
    bytes) moves bytes, like the constant shifts of moves.b_shift; the count is read when
    the instruction runs. Other counts: the generic handler (a taint)."""
    from revad_emu.ad.isa import moves

    d = insn.ops[0] if len(insn.ops) == 2 else None
    c = insn.ops[1] if d is not None else None
    if c is None or c.kind != "reg":
        return moves.b_shift(rec, insn)
    if d.kind != "reg" or d.reg.kind != "gpr" or d.reg.size not in (4, 8) or d.reg.offset \
            or c.reg.kind != "gpr" or c.reg.index != 1:
        return rec.generic(rec, insn)
    fallback = rec.generic(rec, insn)
    n = d.reg.size
    sh, fast = rec.sh, rec.fast
    dloc, di = d.reg.loc, d.reg.index
    left = insn.mnemonic in ("shl", "sal")

    def h():
        if not sh.slots:
            return
        k = fast.gpr(1) & (63 if n == 8 else 31)
        if k % 8 or not sh.any_active(dloc, n):
            return fallback()
        k //= 8
        ents = sh.get(dloc, n) or [None] * n
        out = [None] * k + ents[:n - k] if left else ents[k:] + [None] * k
        sh.put(dloc, out)
        if n == 4:
            sh.clear(dloc + 4, 4)

    spec = (gpr_spec(di), 8)
    return with_desc(h, ("guard", (spec,), (spec,)))


TABLE = {mn: b_trick for mn in ("xor", "and", "or", "add", "sub", "btc", "btr", "bts")}
TABLE["bswap"] = b_bswap
TABLE["lea"] = b_lea
TABLE.update({mn: b_shift for mn in ("shl", "shr", "sar", "sal")})
