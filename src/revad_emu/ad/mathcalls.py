"""Intercepting math-library calls: one tape node per result, real code run unrecorded.

A call is recognised at the call (or tail-call jmp) that enters the function — by the
target's symbol, any glibc alias or CPU variant, the name of the PLT stub it goes through, or
the GOT slot a stub jumps through — or at the function's first instruction. If an argument is
active, the recorder stops following instructions until the function returns to its caller;
then it reads the result the real code computed and records a node with the partials from
`libm.RULES`. Registers the call may clobber, and the stack below the call, lose their
shadows (their old contents are dead).

The code of the math library (libm.so, or the run of libm functions in a static binary) is
left out of the recorder's code hook altogether, so an intercepted call costs two hook
calls instead of one per instruction of its body. Every call into that code goes through a
hooked call/jmp: a function there without a rule is run the same way, and if it receives an
active argument the derivative is dropped with a warning naming it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from revad_emu.ad.libm import (
    COMPLEX,
    COMPLEX_REAL,
    INT_SECOND_ARG,
    POINTER_RESULTS,
    RULES,
    SYMBOLS,
)
from revad_emu.ad.tape import op_code
from revad_emu.ad.values import value_of
from revad_emu.compiled import _hot
from revad_emu.cpu import fastuc
from revad_emu.cpu.locations import gpr_loc, x87_loc, xmm_loc

RSP, RDI, RSI = 4, 7, 6
CALLER_SAVED = (0, 1, 2, 6, 7, 8, 9, 10, 11)  # rax rcx rdx rsi rdi r8-r11
WIDTH = {"d": 8, "f": 4, "l": 10}


@dataclass
class Call:
    fn: str | None  # None: an unknown function in the untraced region
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
        self.untraced: list[tuple[int, int]] = []
        self._targets: dict[int, tuple | int | None] = {}
        self._following: set[int] = set()
        if rec.hot is not None:
            rec.hot.math_finish = self.finish_compiled

    def spec_at(self, addr: int) -> tuple[str, str] | None:
        for name in self.rec.m.symbols.names_at(addr):
            spec = SYMBOLS.get(name)
            if spec is not None:
                return spec
        return None

    # -- entry -------------------------------------------------------------------------
    def entry_handler(self, addr: int, fn: str, prec: str):
        """Handler for a recognised function's first instruction (reached unintercepted)."""
        fast = self.fast

        def h():
            rsp = fast.gpr(RSP)
            ret = int.from_bytes(fast.mem(rsp, 8) or b"\0" * 8, "little")
            self.begin(fn, prec, addr, ret, rsp, only_if_active=True)

        return h

    def begin(self, fn: str | None, prec: str, addr: int, ret: int, rsp: int,
              only_if_active: bool = False, name: str = "") -> None:
        """Start running a call unrecorded; `rsp` is the stack pointer at function entry."""
        rec, fast = self.rec, self.fast
        if fn is None:
            self._check_unknown(name, ret)
            rec.suppress = Call(None, "d", addr, ret, rsp, [], [], (0, 0))
            return
        if prec in ("z", "y"):
            self._begin_complex(fn, prec, addr, ret, rsp, only_if_active)
            return
        nargs = RULES[fn][0]
        if len(prec) > 1:
            self._begin_vector(fn, prec, addr, ret, rsp, nargs, only_if_active)
            return
        w = WIDTH[prec]
        nodes, values = [], []
        for i in range(nargs):
            if prec == "l":
                loc = rsp + 8 + 16 * i
                raw = fast.mem(loc, 10) or b"\0" * 10
            else:
                loc = xmm_loc(i)
                raw = fast.xmm_bytes(i)
            node = rec.sh.node_at(loc, w)
            node = rec.operand_node(node, raw, 0, w, addr, loc) if node else 0
            nodes.append(node)
            values.append(value_of(raw, 0, w))
        if only_if_active and not any(nodes):
            return  # passive call in traced code: let it run like any other code
        ptrs = (fast.gpr(RDI), fast.gpr(RSI)) if fn in POINTER_RESULTS else (0, 0)
        rec.suppress = Call(fn, prec, addr, ret, rsp, nodes, values, ptrs)

    def _complex_locs(self, prec: str) -> tuple[int, int, int, int, int]:
        """Shadow locations of the real and imaginary parts (of z and of the result), their
        offsets in `xmm_pair(0, 1)`, and the width."""
        if prec == "z":
            return xmm_loc(0), xmm_loc(1), 0, 16, 8
        return xmm_loc(0), xmm_loc(0) + 4, 0, 4, 4

    def _begin_complex(self, fn, prec, addr, ret, rsp, only_if_active) -> None:
        rec, sh = self.rec, self.rec.sh
        lre, lim, ore, oim, w = self._complex_locs(prec)
        raw = self.fast.xmm_pair(0, 1)
        nodes, values = [], []
        for loc, off in ((lre, ore), (lim, oim)):
            n = sh.node_at(loc, w)
            nodes.append(rec.operand_node(n, raw, off, w, addr, loc) if n else 0)
            values.append(value_of(raw, off, w))
        if only_if_active and not any(nodes):
            return
        rec.suppress = Call(fn, prec, addr, ret, rsp, nodes, values, (0, 0))

    def _finish_complex(self, call: Call, op: int) -> None:
        rec, sh = self.rec, self.rec.sh
        lre, lim, ore, oim, w = self._complex_locs(call.prec)
        raw = self.fast.xmm_pair(0, 1)
        nre, nim = call.nodes
        x, y = call.values
        try:
            if call.fn in COMPLEX_REAL:
                r = value_of(raw, 0, w)
                dx, dy = COMPLEX_REAL[call.fn](x, y, r)
                node = rec.new_node(nre, dx if nre else 0.0, nim, dy if nim else 0.0, r, 0, w,
                                    call.addr, op)
                sh.set_node(xmm_loc(0), w, node)
                return
            rr, ri = value_of(raw, ore, w), value_of(raw, oim, w)
            d = COMPLEX[call.fn](complex(x, y), complex(rr, ri))
        except (ValueError, OverflowError, ZeroDivisionError):
            rec.warn(call.addr, "undefined", f"derivative of {call.fn} undefined at {x}+{y}i")
            d = complex(math.nan, math.nan)
        # f = u + iv holomorphic: du/dx = dv/dy = Re f', dv/dx = -du/dy = Im f'.
        node_re = rec.new_node(nre, d.real if nre else 0.0, nim, -d.imag if nim else 0.0, rr,
                               0, w, call.addr, op)
        node_im = rec.new_node(nre, d.imag if nre else 0.0, nim, d.real if nim else 0.0, ri,
                               0, w, call.addr, op)
        sh.set_node(lre, w, node_re)
        sh.set_node(lim, w, node_im)

    def _begin_vector(self, fn, prec, addr, ret, rsp, nargs, only_if_active) -> None:
        """libmvec (`_ZGVbN2v_exp`...): argument k in xmm k, one value per lane."""
        rec, sh = self.rec, self.rec.sh
        w, lanes = WIDTH[prec[0]], int(prec[1:])
        raws = [self._vector_reg(i, w * lanes) for i in range(nargs)]
        nodes, values = [], []
        for j in range(lanes):
            o = j * w
            ns = []
            for i in range(nargs):
                n = sh.node_at(xmm_loc(i) + o, w)
                ns.append(rec.operand_node(n, raws[i], o, w, addr, xmm_loc(i) + o) if n else 0)
            nodes.append(ns)
            values.append([value_of(raws[i], o, w) for i in range(nargs)])
        if only_if_active and not any(any(ns) for ns in nodes):
            return
        rec.suppress = Call(fn, prec, addr, ret, rsp, nodes, values, (0, 0))

    def _vector_reg(self, i: int, n: int) -> bytes:
        """xmm i, or ymm i (16 more bytes, kept by the machine's VEX unit) for 32 bytes."""
        return self.fast.xmm_bytes(i) if n <= 16 else self.rec.m.vex.vec(i, n)

    def _finish_vector(self, call: Call, op: int) -> None:
        rec, sh = self.rec, self.rec.sh
        w = WIDTH[call.prec[0]]
        raw = self._vector_reg(0, w * len(call.nodes))
        for j, (ns, xs) in enumerate(zip(call.nodes, call.values, strict=True)):
            o = j * w
            r = value_of(raw, o, w)
            if not any(ns):
                sh.clear(xmm_loc(0) + o, w)
                continue
            ps = self._partials(call.fn, xs, r, call.addr)
            p2 = ns[1] if len(ns) > 1 else 0
            node = rec.new_node(ns[0], ps[0] if ns[0] else 0.0, p2,
                                ps[1] if p2 else 0.0, r, 0, w, call.addr, op)
            sh.set_node(xmm_loc(0) + o, w, node)

    def _check_unknown(self, name: str, ret: int) -> None:
        """Warn if a function of the math library without a rule gets an active argument.

        Calls returning into the C runtime itself (ld.so running libm's initialisers and
        finalisers, libc) and to internal names (leading underscore) pass no arguments. The
        caller is judged by the return address: the lazy-binding resolver in ld.so enters a
        function with a jmp on behalf of the program.
        """
        sh = self.rec.sh
        if not sh.slots or name.startswith(_NO_FP_ARGS) or name in _RUNTIME_HOOKS:
            return
        caller = self.rec.m.symbols.module(ret)
        if caller is not None and os.path.basename(caller[1].path).startswith(
                ("ld-linux", "ld64", "libc.so", "libm.so")):
            return
        active = any(sh.any_active(xmm_loc(i), 16) for i in range(8)) or \
            any(sh.any_active(gpr_loc(g), 8) for g in (7, 6, 2, 1, 8, 9))
        if active:
            self.rec.warn(ret, "libm", f"the call returning here went to {name or 'a function'} "
                          "in the math library with an active argument: no derivative rule; "
                          "derivative dropped")

    # -- return ------------------------------------------------------------------------
    def returned(self, call: Call) -> bool:
        return self.fast.gpr(RSP) == call.rsp + 8

    def finish(self, call: Call) -> None:
        rec, fast, sh = self.rec, self.fast, self.rec.sh
        self.calls += 1
        self._clobber(call)
        if call.fn is None:
            rec.update_fp_mode()  # fesetround & co. load MXCSR out of sight
            return
        op = op_code(f"libm:{call.fn}")
        if call.prec in ("z", "y"):
            self._finish_complex(call, op)
            return
        if len(call.prec) > 1:
            self._finish_vector(call, op)
            return
        w = WIDTH[call.prec]
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

    def _clobber(self, call: Call) -> None:
        """Registers the call may clobber lose their shadows. (The dead stack below the call
        is not scanned: traced code writes a slot before reading it, and a stale entry whose
        bits no longer match is caught by operand validation.)"""
        self.rec.sh.clear_slots(_CLOBBER_KEYS)

    # -- where calls go ------------------------------------------------------------------
    def target_info(self, target: int) -> tuple[str | None, str, bool, str] | None:
        """(function, precision, in untraced code, name) for a call target, or None if the
        target is ordinary traced code. PLT/IRELATIVE stubs are followed through their GOT
        slot (read each time: lazy binding re-points it); everything else is cached."""
        info = self._targets.get(target, _UNKNOWN)
        if info is _UNKNOWN:
            info = self._classify(target)
            self._targets[target] = info
            self._publish(target, info)
        if type(info) is int:  # a stub: look where its GOT slot points now
            raw = self.fast.mem(info, 8)
            nxt = int.from_bytes(raw, "little") if raw else 0
            if nxt == target or nxt in self._following:
                return None
            self._following.add(target)
            try:
                return self.target_info(nxt)
            finally:
                self._following.discard(target)
        return info

    def _publish(self, target: int, info) -> None:
        """Tell the compiled hook what the target is, if it can take such calls itself:
        ordinary code, a PLT stub, or a scalar double/float function it has a rule for."""
        hot = self.rec.hot
        if hot is None:
            return
        if info is None:
            hot.set_target(target, ("plain",))
        elif type(info) is int:
            hot.set_target(target, ("stub", info))
        elif info[0] in _COMPILED_RULES and info[1] in ("d", "f"):
            fn = info[0]
            hot.set_target(target, ("fn", _COMPILED_RULES[fn], WIDTH[info[1]], RULES[fn][0],
                                    op_code(f"libm:{fn}")))

    def finish_compiled(self, fn: str, width: int, addr: int, ret: int, rsp: int,
                        nodes: tuple[int, int], values: tuple[float, float]) -> None:
        """The compiled hook's call whose rule needs Python (non-finite values: warnings)."""
        try:
            n = RULES[fn][0]
            self.finish(Call(fn, "d" if width == 8 else "f", addr, ret, rsp, list(nodes[:n]),
                             list(values[:n]), (0, 0)))
        except BaseException as e:  # noqa: BLE001
            self.rec.m.fail(e)

    def _classify(self, t: int):
        names = self.rec.m.symbols.names_at(t)
        for name in names:
            spec = SYMBOLS.get(name)
            if spec is not None:
                return spec[0], spec[1], self.in_untraced(t), name
        if self.in_untraced(t):
            name = self._pointer_name(t) if not names else None
            if name is not None:  # a function pointer to an IFUNC-selected variant
                fn, prec = SYMBOLS[name]
                return fn, prec, True, name
            public = [n for n in names if not n.startswith("_")]
            return None, "d", True, (public or names or [f"{t:#x}"])[0]
        slot = self._got_slot(t)
        return slot  # GOT slot address of a stub, or None: ordinary code

    def _pointer_name(self, t: int) -> str | None:
        """The math function whose address the dynamic linker stored as t in some module's
        GOT or data (see ElfFile.pointer_slots), or None."""
        for _start, _end, base, elf in self.rec.m.symbols.modules():
            for off, name in elf.pointer_slots.items():
                if name in SYMBOLS and self.fast.mem(base + off, 8) == t.to_bytes(8, "little"):
                    return name
        return None

    def maybe_special(self, t: int) -> bool:
        """Could a call to t ever need interception (a math function, untraced code, a stub)?"""
        self.target_info(t)
        return self._targets.get(t) is not None

    def _got_slot(self, t: int) -> int | None:
        """If t starts a `jmp qword ptr [rip+X]` stub (optionally endbr64/bnd): the slot."""
        code = self.fast.mem(t, 16) or b""
        for pre in (b"", b"\xf3\x0f\x1e\xfa", b"\xf3\x0f\x1e\xfa\xf2", b"\xf2"):
            if code.startswith(pre + b"\xff\x25"):
                k = len(pre) + 2
                disp = int.from_bytes(code[k:k + 4], "little", signed=True)
                return t + k + 4 + disp
        return None

    def in_untraced(self, addr: int) -> bool:
        return any(lo <= addr < hi for lo, hi in self.untraced)

    def untraced_regions(self) -> list[tuple[int, int]]:
        """Code left out of the hook: libm.so's text; in a static program, runs of libm
        functions (consecutive symbols that all have rules or are libm internals)."""
        out = []
        for _start, _end, base, elf in self.rec.m.symbols.modules():
            if "libm.so" in elf.path or "libmvec.so" in elf.path:
                for seg in elf.segments:
                    if seg.flags & 1:
                        out.append((base + seg.vaddr, base + seg.vaddr + seg.memsz))
            elif elf is self.rec.m.exe and not elf.interp:
                out += [(base + lo, base + hi) for lo, hi in _libm_runs(elf.symbols)]
        self.untraced = sorted(out)
        return self.untraced

    def _partials(self, fn: str, x: list[float], r: float, addr: int) -> tuple[float, ...]:
        try:
            return RULES[fn][1](*x, r)
        except (ValueError, OverflowError, ZeroDivisionError):
            self.rec.warn(addr, "undefined", f"derivative of {fn} undefined at {x}; nan recorded")
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


_UNKNOWN = object()
# Rules the compiled hook evaluates itself (the same formulas as libm.RULES, in C).
_COMPILED_RULES = {fn: i for i, fn in enumerate(_hot.MATH_RULES)} if _hot is not None else {}

# libm functions whose results carry no derivative (integers, environment): no warning.
# What the C runtime itself calls in libm (initialisers, finalisers): never a math call.
_RUNTIME_HOOKS = frozenset({"_init", "_fini", "__do_global_dtors_aux", "frame_dummy",
                            "register_tm_clones", "deregister_tm_clones"})
_NO_FP_ARGS = ("fe", "ilogb", "llogb", "lrint", "llrint", "lround", "llround", "nan",
               "signbit", "finite", "isinf", "isnan", "fpclassify", "issignaling", "iszero",
               "totalorder", "canonicalize", "getpayload", "setpayload", "fromfp", "ufromfp")

_CLOBBER_KEYS = frozenset(
    [gpr_loc(g) >> 3 for g in CALLER_SAVED]
    + [(xmm_loc(i) >> 3) + k for i in range(16) for k in range(4)]
    + [(x87_loc(p) >> 3) + k for p in range(8) for k in range(2)])

_INTERNAL = ("__branred", "__math_", "__exp1", "__docos", "__dubsin", "__dubcos", "__mp",
             "__cpy", "__sincostab", "__ieee754_", "__kernel_", "__x2y2m1", "__lgamma_neg",
             "__gamma_product", "__lgamma_product", "__erf", "__exp_", "__log_", "__pow_")
_ALIAS_SUFFIXES = ("f32", "f64", "f32x", "f64x", "_ifunc")


def _ruled_alias(name: str) -> bool:
    """An IFUNC resolver or _FloatN alias of a function that has a rule (not csqrtf64...)."""
    for suffix in _ALIAS_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)].lstrip("_") in SYMBOLS
    return False


def _libm_runs(symtab, min_len: int = 256) -> list[tuple[int, int]]:
    """Address runs of consecutive function symbols that all belong to the math library."""
    runs: list[tuple[int, int]] = []
    lo = hi = None
    has_rule = False
    by_addr: dict[int, list[tuple[str, int]]] = {}
    for a, size, name in zip(symtab.addrs, symtab.sizes, symtab.names, strict=True):
        by_addr.setdefault(a, []).append((name, size))
    for a in sorted(by_addr):
        entries = by_addr[a]
        names = [n for n, _ in entries]
        size = max(sz for _, sz in entries)
        ruled = any(n in SYMBOLS for n in names)
        mathy = ruled or any(n.startswith(_INTERNAL) or _ruled_alias(n) for n in names)
        if mathy and size:
            if lo is None:
                lo, hi, has_rule = a, a + size, ruled
            elif a <= hi + 64:
                hi = max(hi, a + size)
                has_rule = has_rule or ruled
            else:
                if has_rule and hi - lo >= min_len:
                    runs.append((lo, hi))
                lo, hi, has_rule = a, a + size, ruled
        elif lo is not None and size:
            if has_rule and hi - lo >= min_len:
                runs.append((lo, hi))
            lo = None
    if lo is not None and has_rule and hi - lo >= min_len:
        runs.append((lo, hi))
    runs.sort(key=lambda r: r[0] - r[1])
    return sorted(runs[:8])


def _bits64(v: float) -> int:
    import struct

    return int.from_bytes(struct.pack("<d", v), "little")
