"""Intercepting math-library calls: one tape node per result, real code run unrecorded.

At a recognised function's first instruction (by symbol, any alias or CPU variant), if an
argument is active, the recorder stops following instructions until the function returns
to its caller; then it reads the result the real code computed and records a node with the
partials from `libm.RULES`. Registers the call may clobber, and the stack below the call,
lose their shadows (their old contents are dead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from revad_emu import fastuc
from revad_emu.libm import INT_SECOND_ARG, POINTER_RESULTS, RULES, SYMBOLS
from revad_emu.recorder import value_of
from revad_emu.shadow import gpr_loc, x87_loc, xmm_loc
from revad_emu.tape import op_code

RSP, RDI, RSI = 4, 7, 6
CALLER_SAVED = (0, 1, 2, 6, 7, 8, 9, 10, 11)  # rax rcx rdx rsi rdi r8-r11
WIDTH = {"d": 8, "f": 4, "l": 10}


@dataclass
class Call:
    fn: str
    prec: str
    addr: int
    ret: int
    rsp: int
    nodes: list[int]
    values: list[float]
    ptrs: tuple[int, int]


class MathCalls:
    def __init__(self, rec):
        self.rec = rec
        self.fast = rec.fast
        self.calls = 0

    def spec_at(self, addr: int) -> tuple[str, str] | None:
        for name in self.rec.m.symbols.names_at(addr):
            spec = SYMBOLS.get(name)
            if spec is not None:
                return spec
        return None

    # -- entry -------------------------------------------------------------------------
    def entry_handler(self, addr: int, fn: str, prec: str):
        rec, fast = self.rec, self.fast
        nargs = RULES[fn][0]
        w = WIDTH[prec]

        def h():
            rsp = fast.gpr(RSP)
            nodes, values = [], []
            for i in range(nargs):
                if prec == "l":
                    loc = rsp + 8 + 16 * i
                    raw = fast.mem(loc, 10) or b"\0" * 10
                    off = 0
                else:
                    loc = xmm_loc(i)
                    raw = fast.xmm_bytes(i)
                    off = 0
                node = rec.sh.node_at(loc, w)
                node = rec.operand_node(node, raw, off, w, addr, loc) if node else 0
                nodes.append(node)
                values.append(value_of(raw, off, w))
            if not any(nodes):
                return  # passive call: let it run like any other code
            ret = int.from_bytes(fast.mem(rsp, 8) or b"\0" * 8, "little")
            rec.suppress = Call(fn, prec, addr, ret, rsp, nodes, values,
                                (fast.gpr(RDI), fast.gpr(RSI)))

        return h

    # -- return ------------------------------------------------------------------------
    def returned(self, call: Call) -> bool:
        return self.fast.gpr(RSP) == call.rsp + 8

    def finish(self, call: Call) -> None:
        rec, fast, sh = self.rec, self.fast, self.rec.sh
        self.calls += 1
        w = WIDTH[call.prec]
        # Clobbered registers and the dead stack below the call lose their shadows.
        for g in CALLER_SAVED:
            sh.clear(gpr_loc(g), 8)
        for i in range(16):
            sh.clear(xmm_loc(i), 32)
        for p in range(8):
            sh.clear(x87_loc(p), 16)
        sh.clear_range(call.rsp - 0x8000, call.rsp + 8)
        op = op_code(f"libm:{call.fn}")
        fn = call.fn
        x = call.values
        if call.prec == "l":
            phys = (fast.reg(fastuc.UC_FPSW) >> 11) & 7
            res_loc = x87_loc(phys)
            raw = fast.fp_raw(phys)
        else:
            res_loc = xmm_loc(0)
            raw = fast.xmm_bytes(0)
        if fn == "sincos":
            self._sincos(call, op)
            return
        r = value_of(raw, 0, w)
        bits = int.from_bytes(raw[:w], "little")
        if fn == "fma":
            a, b, c = call.nodes
            t = rec.new_node(a, x[1] if a else 0.0, b, x[0] if b else 0.0, x[0] * x[1],
                             _bits64(x[0] * x[1]), 8, call.addr, op_code("mul"))
            node = rec.new_node(t, 1.0, c, 1.0 if c else 0.0, r, bits, w, call.addr, op)
            sh.set_node(res_loc, w, node)
            return
        partials = self._partials(fn, x, r, call.addr)
        nodes = call.nodes
        if all(p == 0.0 for p, n in zip(partials, nodes, strict=False) if n):
            node = 0  # floor, ceil, ...: the result is passive
        elif len(nodes) == 1 or fn in INT_SECOND_ARG:
            node = rec.new_node(nodes[0], partials[0], 0, 0.0, r, bits, w, call.addr, op)
        else:
            node = rec.new_node(nodes[0], partials[0] if nodes[0] else 0.0, nodes[1],
                                partials[1] if nodes[1] else 0.0, r, bits, w, call.addr, op)
        sh.set_node(res_loc, w, node)
        if fn in POINTER_RESULTS:  # frexp's exponent, modf's integer part: passive
            sh.clear(call.ptrs[0], 4 if fn == "frexp" else w)

    def _partials(self, fn: str, x: list[float], r: float, addr: int) -> tuple[float, ...]:
        try:
            return RULES[fn][1](*x, r)
        except (ValueError, OverflowError, ZeroDivisionError):
            self.rec.warn(addr, "libm", f"derivative of {fn} undefined at {x}; nan recorded")
            return tuple(math.nan for _ in x)

    def _sincos(self, call: Call, op: int) -> None:
        rec, fast, sh = self.rec, self.fast, self.rec.sh
        w = WIDTH[call.prec]
        x = call.values[0]
        for ptr, d in ((call.ptrs[0], math.cos(x)), (call.ptrs[1], -math.sin(x))):
            raw = fast.mem(ptr, w)
            if raw is None:
                continue
            node = rec.new_node(call.nodes[0], d, 0, 0.0, value_of(raw, 0, w),
                                int.from_bytes(raw, "little"), w, call.addr, op)
            sh.set_node(ptr, w, node)


def _bits64(v: float) -> int:
    import struct

    return int.from_bytes(struct.pack("<d", v), "little")
