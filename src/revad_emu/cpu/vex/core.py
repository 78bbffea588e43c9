"""Shared pieces of the VEX executor: the table entry and execution records, lane helpers
(x86 NaN propagation, FTZ/DAZ flushing, numpy lane views), libm's correctly rounded fma."""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

import numpy as np

from revad_emu.cpu.decode import Insn

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_fma = _libm.fma
_fma.restype = ctypes.c_double
_fma.argtypes = (ctypes.c_double,) * 3
_fmaf = _libm.fmaf
_fmaf.restype = ctypes.c_float
_fmaf.argtypes = (ctypes.c_float,) * 3

F = {8: np.float64, 4: np.float32}
I = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
U = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_MASK64 = (1 << 64) - 1

# EFLAGS bits
CF, PF, AF, ZF, SF, OF = 1, 4, 0x10, 0x40, 0x80, 0x800


class GuestFault(Exception):
    """A VEX memory operand touched unmapped memory (the program's own SIGSEGV)."""

    def __init__(self, addr: int, write: bool):
        super().__init__(addr, write)
        self.addr = addr
        self.write = write


@dataclass(frozen=True)
class Entry:
    flow: str            # gather, lanes, fma, logic, passive, zeroupper
    fn: object           # the semantics (signature depends on the flow)
    w: int = 8           # lane width (bytes) of lanes/fma/logic flows
    op: str = ""         # lanes: the rule name (add, mul, sqrt, cvt...); logic: and/andn/or/xor
    scalar: bool = False  # lanes/fma: only lane 0 is computed, the rest comes from operand 1
    reads_dst: bool = False  # the destination's old value is an input (FMA, merges)
    dynamic: bool = False    # gather flow: the byte map depends on operand values


@dataclass(slots=True)
class Exec:
    """One execution of a VEX instruction, as handed to the AD layer (after execution)."""

    insn: Insn
    entry: Entry
    vals: list          # operand values before execution (bytes/int/None), by operand position
    locs: list          # operand locations (shadow addresses) or None (immediates)
    out: bytes | None   # the bytes written at locs[0] (None: no data destination)
    gmap: list | None   # gather flow: byte map of out
    zero_to: int        # bytes at locs[0] cleared beyond len(out) (VEX.128: 32; GPR32: 8)
    extra: object = None  # flow-specific (fma: the operand order)


# ------------------------------------------------------------------------------ helpers

def _qnan(v: np.ndarray, w: int) -> np.ndarray:
    """Quiet NaN lanes: set the top fraction bit, as the CPU does when it propagates one."""
    u = v.view(U[w]).copy()
    u |= U[w](1 << (51 if w == 8 else 22))
    return u.view(F[w])


def _propagate(r: np.ndarray, a: np.ndarray, b: np.ndarray | None, w: int) -> np.ndarray:
    """x86 NaN rule for two-source arithmetic: a NaN in the first source wins (quieted), then
    one in the second; otherwise the computed result (whose own NaNs are the default NaN)."""
    na = np.isnan(a)
    if b is not None:
        nb = np.isnan(b)
        if nb.any():
            r = np.where(nb, _qnan(b, w), r)
    if na.any():
        r = np.where(na, _qnan(a, w), r)
    return r


def _flush_arr(x: np.ndarray, w: int) -> np.ndarray:
    """Subnormal lanes become zeros of the same sign."""
    sub = (x != 0) & (np.abs(x) < np.finfo(F[w]).tiny)
    if not sub.any():
        return x
    return np.where(sub, np.copysign(F[w](0), x), x).astype(F[w])


def _f(b: bytes, w: int) -> np.ndarray:
    return np.frombuffer(b, dtype=F[w])


def _binop(op: str, a: np.ndarray, b: np.ndarray, w: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "add":
            r = a + b
        elif op == "sub":
            r = a - b
        elif op == "mul":
            r = a * b
        elif op == "div":
            r = a / b
        elif op == "min":  # a < b ? a : b (b when unordered or both zero)
            return np.where(a < b, a, b)
        elif op == "max":
            return np.where(a > b, a, b)
        else:
            raise KeyError(op)
    return _propagate(r, a, b, w)


def _unop(op: str, a: np.ndarray, w: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "sqrt":
            return _propagate(np.sqrt(a), a, None, w)
        if op == "rcp":
            return _propagate((1.0 / a.astype(np.float64)).astype(F[w]), a, None, w)
        if op == "rsqrt":
            return _propagate((1.0 / np.sqrt(a.astype(np.float64))).astype(F[w]), a, None, w)
    raise KeyError(op)

