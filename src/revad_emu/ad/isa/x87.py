"""x87 FPU: loads, stores, stack moves and arithmetic on the register stack.

Shadows live per *physical* register (`shadow.x87_loc(p)`, 10 bytes of a 16-byte slot);
ST(i) is physical (TOP + i) & 7 with TOP read from the status word when the instruction
runs, so fincstp/fdecstp/fldenv/frstor need no bookkeeping. Popping clears the popped
register's shadow. Results are read after the instruction ran (the "post" step), so tape
values are exactly the 80-bit values the program computed (converted to binary64).

capstone 5 prints the register forms the Intel way (checked on gcc/gas output):
`fadd st(3)` is ST0 = ST0 + ST3, `fadd st(3), st(0)` is ST3 = ST3 + ST0, `faddp st(1)` is
ST1 = ST1 + ST0 then pop, `fsubr st(3)` is ST0 = ST3 - ST0; `fcomip` prints as `fcompi`.
Its x87 register-access lists are incomplete, so everything here follows the mnemonic and
the operands only.

Derivatives: loads from 32/64-bit memory and stores to it are conversions (new "cvt" node,
partial 1, carrying the converted bits); 80-bit loads/stores and register moves copy shadow
bytes. Integer operands (fild, fiadd...) are passive, integer results (fist...) too;
frndint and the comparisons are passive. Transcendentals use rules.X87_*.
"""

from __future__ import annotations

import math
from fractions import Fraction

from revad_emu.ad.isa.moves import _cond
from revad_emu.ad.rules import BINARY, UNARY, X87_BINARY, X87_UNARY, fprem_d, fscale_d
from revad_emu.ad.tape import op_code
from revad_emu.ad.values import value_of
from revad_emu.cpu.fastuc import UC_EFLAGS, UC_FPSW
from revad_emu.cpu.locations import gpr_loc, x87_loc

C2 = 1 << 10  # status word: "incomplete" (fsin/fcos/fsincos/fptan out of range, fprem partial)
CVT = op_code("cvt")
_LOCS = tuple(x87_loc(p) for p in range(8))


# ----------------------------------------------------------------------------- helpers


def _exact(raw: bytes) -> Fraction | None:
    """The exact value of an 80-bit register (None for inf/nan)."""
    mant = int.from_bytes(raw[:8], "little")
    se = int.from_bytes(raw[8:10], "little")
    e = se & 0x7FFF
    if e == 0x7FFF:
        return None
    v = Fraction(mant) * Fraction(2) ** (max(e, 1) - 16383 - 63)
    return -v if se & 0x8000 else v


def _int_value(raw: bytes) -> float:
    return float(int.from_bytes(raw, "little", signed=True))


class _X:
    """What every x87 handler needs from the recorder, bound once per instruction."""

    __slots__ = ("rec", "sh", "fast", "addr", "passive")

    def __init__(self, rec, insn):
        self.rec = rec
        self.sh = rec.sh
        self.fast = rec.fast
        self.addr = insn.address
        self.passive = rec.in_passive_routine(insn.address)

    def top(self) -> int:
        return (self.fast.reg(UC_FPSW) >> 11) & 7

    def clear(self, phys: int) -> None:
        self.sh.clear(_LOCS[phys & 7], 16)

    def st(self, phys: int) -> tuple[int, bytes | None]:
        """(validated node or 0, raw bytes or None if passive) of a physical register."""
        phys &= 7
        loc = _LOCS[phys]
        n = self.sh.node_at(loc, 10)
        if n == 0:
            return 0, None
        raw = self.fast.fp_raw(phys)
        return self.rec.operand_node(n, raw, 0, 10, self.addr, loc), raw

    def mem_float(self, ea: int, w: int) -> tuple[int, bytes | None]:
        """(validated node or 0, raw) of a float/double memory operand."""
        n = self.sh.node_at(ea, w)
        if n == 0:
            return 0, None
        raw = self.fast.mem(ea, w)
        if raw is None:
            return 0, None
        return self.rec.operand_node(n, raw, 0, w, self.addr, ea), raw

    def int_operand_check(self, ea: int, n: int) -> None:
        """An integer operand read from active bytes: a bit trick (the derivative is lost)."""
        if self.passive or not self.sh.any_active(ea, n):
            return
        node = self.sh.node_at(ea, n) if n in (4, 8) else -1
        if node < 0:
            raw = self.fast.mem(ea, n) or b""
            self.rec.operand_node(node, raw, 0, n, self.addr, ea)  # warns with the origin
        else:
            self.rec.warn(self.addr, "bittrick", "an active floating-point value is read as "
                                                 "an integer by an x87 instruction; derivative "
                                                 "dropped")

    def emit(self, phys: int, p1: int, d1: float, p2: int, d2: float, code: int) -> None:
        """Record the value now in physical register phys as a node with these parents."""
        phys &= 7
        if not p1 and not p2:
            self.clear(phys)
            return
        raw = self.fast.fp_raw(phys)
        node = self.rec.new_node(p1, d1 if p1 else 0.0, p2, d2 if p2 else 0.0,
                                 value_of(raw, 0, 10), int.from_bytes(raw, "little"), 10,
                                 self.addr, code)
        self.sh.set_node(_LOCS[phys], 10, node)


def _st_index(op) -> int | None:
    if op.kind == "reg" and op.reg.kind == "st":
        return op.reg.index
    return None


def _call(rule, *args):
    try:
        return rule(*args)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan if len(args) == 1 else (math.nan, math.nan)


# ----------------------------------------------------------------------- loads, stores


def b_fld(rec, insn):
    if len(insn.ops) != 1:
        return rec.generic(rec, insn)
    op = insn.ops[0]
    x = _X(rec, insn)
    sh = x.sh
    i = _st_index(op)
    if i is not None:
        def h_reg():
            if sh.slots:
                t = x.top()
                sh.copy(_LOCS[(t + i) & 7], _LOCS[(t - 1) & 7], 16)
        return h_reg
    if op.kind != "mem":
        return rec.generic(rec, insn)
    fn = rec.ea(op.mem, insn)
    w = op.size
    if w == 10:
        def h80():
            if sh.slots:
                sh.copy(fn(), _LOCS[(x.top() - 1) & 7], 10)
        return h80
    if w not in (4, 8):
        return rec.generic(rec, insn)

    def h():
        if not sh.slots:
            return
        d = (x.top() - 1) & 7
        p, _ = x.mem_float(fn(), w)
        if not p:
            x.clear(d)
            return
        rec.pending = lambda: x.emit(d, p, 1.0, 0, 0.0, CVT)

    return h


def b_push_passive(rec, insn):
    """fld1/fldz/fldpi... and fild/fbld: push a passive value."""
    x = _X(rec, insn)
    sh = x.sh
    mem = insn.ops[0] if insn.ops and insn.ops[0].kind == "mem" else None
    fn = rec.ea(mem.mem, insn) if mem is not None else None
    n = mem.size if mem is not None else 0

    def h():
        if sh.slots:
            if fn is not None:
                x.int_operand_check(fn(), n)
            x.clear(x.top() - 1)

    return h


def b_fst(rec, insn):
    if len(insn.ops) != 1:
        return rec.generic(rec, insn)
    pop = insn.mnemonic == "fstp"
    op = insn.ops[0]
    x = _X(rec, insn)
    sh = x.sh
    i = _st_index(op)
    if i is not None:
        def h_reg():
            if sh.slots:
                t = x.top()
                sh.copy(_LOCS[t], _LOCS[(t + i) & 7], 16)
                if pop:
                    x.clear(t)
        return h_reg
    if op.kind != "mem":
        return rec.generic(rec, insn)
    fn = rec.ea(op.mem, insn)
    w = op.size
    if w == 10:
        def h80():
            if sh.slots:
                t = x.top()
                sh.copy(_LOCS[t], fn(), 10)
                if pop:
                    x.clear(t)
        return h80
    if w not in (4, 8):
        return rec.generic(rec, insn)
    new_node = rec.new_node
    addr = insn.address

    def h():
        if not sh.slots:
            return
        t = x.top()
        ea = fn()
        p, _ = x.st(t)
        if pop:
            x.clear(t)
        if not p:
            sh.clear(ea, w)
            return

        def post():
            raw = x.fast.mem(ea, w)
            if raw is None:
                sh.clear(ea, w)
                return
            node = new_node(p, 1.0, 0, 0.0, value_of(raw, 0, w), int.from_bytes(raw, "little"),
                            w, addr, CVT)
            sh.set_node(ea, w, node)

        rec.pending = post

    return h


def b_store_int(rec, insn):
    """fist/fistp/fisttp/fbstp: integer (or BCD) results are passive (rounding)."""
    if len(insn.ops) != 1 or insn.ops[0].kind != "mem":
        return rec.generic(rec, insn)
    pop = insn.mnemonic.endswith("p")
    x = _X(rec, insn)
    sh = x.sh
    fn = rec.ea(insn.ops[0].mem, insn)
    n = insn.ops[0].size

    def h():
        if sh.slots:
            sh.clear(fn(), n)
            if pop:
                x.clear(x.top())

    return h


# ------------------------------------------------------------------------ arithmetic


def b_arith(op: str, integer: bool = False):
    """fadd/fsub/fsubr/fmul/fdiv/fdivr, their p-forms, memory forms and fi* forms.

    `dst = dst OP src`: BINARY[op](dst, src) gives the partials (subr: src - dst).
    """
    rule = BINARY[op]
    code = op_code(op)

    def b(rec, insn):
        ops = insn.ops
        pop = insn.mnemonic.endswith("p")
        mem = None
        if ops and ops[0].kind == "mem":
            if len(ops) != 1 or pop:
                return rec.generic(rec, insn)
            mem = ops[0]
            dst_i, src_i = 0, None
        elif integer:
            return rec.generic(rec, insn)
        elif pop:
            dst_i = _st_index(ops[0]) if ops else 1
            src_i = 0
        elif len(ops) == 2:
            dst_i, src_i = _st_index(ops[0]), _st_index(ops[1])
        elif len(ops) == 1:
            dst_i, src_i = 0, _st_index(ops[0])
        else:
            return rec.generic(rec, insn)
        if dst_i is None or (mem is None and src_i is None):
            return rec.generic(rec, insn)
        x = _X(rec, insn)
        sh = x.sh
        fn = rec.ea(mem.mem, insn) if mem is not None else None
        w = mem.size if mem is not None else 10
        if mem is not None and not integer and w not in (4, 8):
            return rec.generic(rec, insn)

        def h():
            if not sh.slots:
                return
            t = x.top()
            dp = (t + dst_i) & 7
            pa, ra = x.st(dp)
            if fn is not None:
                ea = fn()
                if integer:
                    x.int_operand_check(ea, w)
                    pb, rb = 0, None
                else:
                    pb, rb = x.mem_float(ea, w)
            else:
                pb, rb = x.st(t + src_i)
            if not pa and not pb:
                x.clear(dp)
                if pop:
                    x.clear(t)
                return
            if ra is None:
                ra = x.fast.fp_raw(dp)
            if rb is None:
                rb = x.fast.mem(ea, w) if fn is not None else x.fast.fp_raw((t + src_i) & 7)
                if rb is None:
                    return
            a = value_of(ra, 0, 10)
            bv = _int_value(rb) if integer else value_of(rb, 0, w)
            da, db = _call(rule, a, bv)

            def post():
                x.emit(dp, pa, da, pb, db, code)
                if pop:
                    x.clear(t)

            rec.pending = post

        return h

    return b


def b_unary(op: str, rules=UNARY, zero: bool = False, c2_check: bool = False):
    """ST0 = f(ST0): fchs, fabs, fsqrt, fsin, fcos, f2xm1; frndint (zero=True: passive)."""
    rule = None if zero else rules[op]
    code = op_code(op)

    def b(rec, insn):
        x = _X(rec, insn)
        sh = x.sh

        def h():
            if not sh.slots:
                return
            t = x.top()
            p, raw = x.st(t)
            if not p or zero:
                x.clear(t)
                return
            d = _call(rule, value_of(raw, 0, 10))

            def post():
                if c2_check and x.fast.reg(UC_FPSW) & C2:
                    return  # out of range: ST0 unchanged
                x.emit(t, p, d, 0, 0.0, code)

            rec.pending = post

        return h

    return b


def b_push_pair(op: str):
    """fsincos (ST1 = sin, ST0 = cos) and fptan (ST1 = tan, ST0 = 1): one source, a push."""
    code_sin, code_cos, code_tan = op_code("sin"), op_code("cos"), op_code("tan")

    def b(rec, insn):
        x = _X(rec, insn)
        sh = x.sh

        def h():
            if not sh.slots:
                return
            t = x.top()
            p, raw = x.st(t)
            if not p:
                x.clear(t)
                x.clear(t - 1)
                return
            a = value_of(raw, 0, 10)
            if op == "fsincos":
                ds, dc = _call(X87_UNARY["sin"], a), _call(X87_UNARY["cos"], a)
            else:
                dt = _call(X87_UNARY["tan"], a)

            def post():
                if x.fast.reg(UC_FPSW) & C2:
                    return  # out of range: nothing pushed, ST0 unchanged
                if op == "fsincos":
                    x.emit(t, p, ds, 0, 0.0, code_sin)
                    x.emit(t - 1, p, dc, 0, 0.0, code_cos)
                else:
                    x.emit(t, p, dt, 0, 0.0, code_tan)
                    x.clear(t - 1)  # the pushed 1.0

            rec.pending = post

        return h

    return b


def b_st1_st0(op: str):
    """fpatan, fyl2x, fyl2xp1: ST1 = f(ST1, ST0), then pop."""
    rule = X87_BINARY[op]
    code = op_code(op)

    def b(rec, insn):
        x = _X(rec, insn)
        sh = x.sh

        def h():
            if not sh.slots:
                return
            t = x.top()
            py, ry = x.st(t + 1)
            px, rx = x.st(t)
            x.clear(t)  # popped
            if not py and not px:
                x.clear(t + 1)
                return
            ry = ry if ry is not None else x.fast.fp_raw((t + 1) & 7)
            rx = rx if rx is not None else x.fast.fp_raw(t)
            dy, dx = _call(rule, value_of(ry, 0, 10), value_of(rx, 0, 10))
            rec.pending = lambda: x.emit(t + 1, py, dy, px, dx, code)

        return h

    return b


def b_fscale(rec, insn):
    """ST0 = ST0 * 2^trunc(ST1): d/dST0 = 2^trunc(ST1) (exact), d/dST1 = 0."""
    x = _X(rec, insn)
    sh = x.sh
    code = op_code("fscale")

    def h():
        if not sh.slots:
            return
        t = x.top()
        p, _ = x.st(t)
        if not p:
            x.clear(t)
            return
        v = _exact(x.fast.fp_raw((t + 1) & 7))
        d = fscale_d(math.trunc(v)) if v is not None else math.nan
        rec.pending = lambda: x.emit(t, p, d, 0, 0.0, code)

    return h


def b_fprem(rec, insn):
    """fprem/fprem1: ST0 = ST0 - Q*ST1 for the integer Q the instruction used (partial
    remainders too): partials 1 and -Q, Q recovered exactly from the 80-bit values."""
    x = _X(rec, insn)
    sh = x.sh
    code = op_code("fprem")

    def h():
        if not sh.slots:
            return
        t = x.top()
        pa, _ = x.st(t)
        pb, _ = x.st(t + 1)
        if not pa and not pb:
            x.clear(t)
            return
        a = _exact(x.fast.fp_raw(t))
        b = _exact(x.fast.fp_raw((t + 1) & 7))

        def post():
            r = _exact(x.fast.fp_raw(t))
            if a is None or b is None or r is None or b == 0:
                q = math.nan
            else:
                try:
                    q = float(round((a - r) / b))
                except OverflowError:
                    q = math.inf if (a - r) / b > 0 else -math.inf
            da, db = fprem_d(q)
            x.emit(t, pa, da, pb, db, code)

        rec.pending = post

    return h


def b_fxtract(rec, insn):
    """ST1 = exponent (passive), ST0 = significand = x * 2^-e: d/dx = 2^-e."""
    x = _X(rec, insn)
    sh = x.sh
    code = op_code("fxtract")

    def h():
        if not sh.slots:
            return
        t = x.top()
        p, _ = x.st(t)
        if not p:
            x.clear(t)
            x.clear(t - 1)
            return

        def post():
            e = value_of(x.fast.fp_raw(t), 0, 10)
            x.clear(t)
            if not math.isfinite(e):
                x.rec.warn(x.addr, "x87", "fxtract of zero or a non-finite active value: "
                                          "derivative dropped")
                x.clear(t - 1)
                return
            x.emit(t - 1, p, fscale_d(-int(e)), 0, 0.0, code)

        rec.pending = post

    return h


# ------------------------------------------------------------- stack and control moves


def b_fxch(rec, insn):
    ops = insn.ops
    i = _st_index(ops[-1]) if ops else 1
    if i is None:
        return rec.generic(rec, insn)
    x = _X(rec, insn)
    sh = x.sh

    def h():
        if not sh.slots:
            return
        t = x.top()
        la, lb = _LOCS[t], _LOCS[(t + i) & 7]
        ea, eb = sh.get(la, 16), sh.get(lb, 16)
        for loc, ents in ((la, eb), (lb, ea)):
            if ents is None:
                sh.clear(loc, 16)
            else:
                sh.put(loc, ents)

    return h


_FCMOV = {"b": "b", "e": "e", "be": "be", "u": "p", "nb": "nb", "ne": "ne", "nbe": "nbe",
          "nu": "np"}


def b_fcmov(rec, insn):
    pred = _cond(_FCMOV[insn.mnemonic[5:]])
    ops = insn.ops
    i = _st_index(ops[-1]) if ops else None
    if i is None:
        return rec.generic(rec, insn)
    x = _X(rec, insn)
    sh = x.sh
    reg = rec.fast.reg

    def h():
        if sh.slots and pred(reg(UC_EFLAGS)):
            t = x.top()
            sh.copy(_LOCS[(t + i) & 7], _LOCS[t], 16)

    return h


def b_pops(n: int):
    """Comparisons and friends: passive (flags/status word only), then n pops."""
    def b(rec, insn):
        if n == 0:
            return False
        x = _X(rec, insn)
        sh = x.sh

        def h():
            if sh.slots:
                t = x.top()
                for k in range(n):
                    x.clear(t + k)

        return h
    return b


def b_ffree(pop: bool):
    def b(rec, insn):
        i = _st_index(insn.ops[0]) if insn.ops else None
        if i is None:
            return rec.generic(rec, insn)
        x = _X(rec, insn)
        sh = x.sh

        def h():
            if sh.slots:
                t = x.top()
                x.clear(t + i)
                if pop:
                    x.clear(t)

        return h
    return b


def b_finit(rec, insn):
    sh = rec.sh

    def h():
        if sh.slots:
            for loc in _LOCS:
                sh.clear(loc, 16)

    return h


def b_store_status(rec, insn):
    """fnstsw ax / m16, fnstcw m16, fnstenv m: integer status data overwrites the target."""
    if len(insn.ops) != 1:
        return rec.generic(rec, insn)
    op = insn.ops[0]
    sh = rec.sh
    if op.kind == "reg" and op.reg.kind == "gpr":
        loc = gpr_loc(op.reg.index) + op.reg.offset
        n = op.reg.size
        return lambda: sh.clear(loc, n) if sh.slots else None
    if op.kind != "mem":
        return rec.generic(rec, insn)
    fn = rec.ea(op.mem, insn)
    n = 28 if insn.mnemonic.endswith("env") else 2
    return lambda: sh.clear(fn(), n) if sh.slots else None


def b_fnsave(restore: bool):
    """fnsave/frstor (108-byte area, ST(i) at 28 + 10*i); fnsave then re-initialises."""
    def b(rec, insn):
        if len(insn.ops) != 1 or insn.ops[0].kind != "mem":
            return rec.generic(rec, insn)
        x = _X(rec, insn)
        sh = x.sh
        fn = rec.ea(insn.ops[0].mem, insn)

        def h():
            if not sh.slots:
                return
            base = fn()
            if restore:
                sw = x.fast.mem(base + 4, 2)
                t = (int.from_bytes(sw, "little") >> 11) & 7 if sw else x.top()
                for i in range(8):
                    sh.copy(base + 28 + 10 * i, _LOCS[(t + i) & 7], 10)
            else:
                t = x.top()
                sh.clear(base, 28)
                for i in range(8):
                    sh.copy(_LOCS[(t + i) & 7], base + 28 + 10 * i, 10)
                for loc in _LOCS:
                    sh.clear(loc, 16)

        return h
    return b


def _nothing(rec, insn):
    return False


TABLE: dict = {
    "fld": b_fld, "fst": b_fst, "fstp": b_fst,
    "fild": b_push_passive, "fbld": b_push_passive,
    **{m: b_push_passive for m in ("fld1", "fldz", "fldpi", "fldl2e", "fldl2t", "fldlg2",
                                   "fldln2")},
    "fist": b_store_int, "fistp": b_store_int, "fisttp": b_store_int, "fbstp": b_store_int,
    "fchs": b_unary("neg"), "fabs": b_unary("abs"), "fsqrt": b_unary("sqrt"),
    "frndint": b_unary("frndint", zero=True),
    "fsin": b_unary("sin", X87_UNARY, c2_check=True),
    "fcos": b_unary("cos", X87_UNARY, c2_check=True),
    "f2xm1": b_unary("f2xm1", X87_UNARY),
    "fsincos": b_push_pair("fsincos"), "fptan": b_push_pair("fptan"),
    "fpatan": b_st1_st0("fpatan"), "fyl2x": b_st1_st0("fyl2x"),
    "fyl2xp1": b_st1_st0("fyl2xp1"),
    "fscale": b_fscale, "fprem": b_fprem, "fprem1": b_fprem, "fxtract": b_fxtract,
    "fxch": b_fxch,
    **{f"fcmov{cc}": b_fcmov for cc in _FCMOV},
    "ffree": b_ffree(False), "ffreep": b_ffree(True),
    "fincstp": _nothing, "fdecstp": _nothing,
    "finit": b_finit, "fninit": b_finit,
    "fnstsw": b_store_status, "fstsw": b_store_status, "fnstcw": b_store_status,
    "fstcw": b_store_status, "fnstenv": b_store_status, "fstenv": b_store_status,
    "fldcw": _nothing, "fldenv": _nothing, "fwait": _nothing, "wait": _nothing,
    "fnclex": _nothing, "fclex": _nothing, "fnop": _nothing, "fxam": _nothing,
    "ftst": _nothing,
    "fnsave": b_fnsave(False), "fsave": b_fnsave(False), "frstor": b_fnsave(True),
}
for _op in ("add", "sub", "subr", "mul", "div", "divr"):
    TABLE[f"f{_op}"] = b_arith(_op)
    TABLE[f"f{_op}p"] = b_arith(_op)
    TABLE[f"fi{_op}"] = b_arith(_op, integer=True)
for _m, _n in (("fcom", 0), ("fucom", 0), ("fcomi", 0), ("fucomi", 0), ("ficom", 0),
               ("fcomp", 1), ("fucomp", 1), ("fcomip", 1), ("fucomip", 1), ("fcompi", 1),
               ("fucompi", 1), ("ficomp", 1), ("fcompp", 2), ("fucompp", 2)):
    TABLE[_m] = b_pops(_n)
