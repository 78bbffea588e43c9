"""IEEE 754 arithmetic under the directed rounding modes, exactly, for the VEX executor.

Python floats and numpy round to nearest only. When a program switches MXCSR to rounding
down, up or toward zero (fesetround), the VEX executor computes each lane's exact result as a
rational number and rounds it here: x ± y, x·y, x/y and a·b + c are rational; sqrt rounds by
comparing exact squares. Binary64 and binary32, subnormals and overflow included.
"""

from __future__ import annotations

import math
from fractions import Fraction

DOWN, UP, ZERO = 1, 2, 3  # MXCSR.RC values other than 0 (to nearest)

_P = {8: 53, 4: 24, 2: 11}               # precision (bits): double, float, half (F16C)
_EMIN = {8: -1022, 4: -126, 2: -14}
_MAX = {8: 1.7976931348623157e308, 4: 3.4028234663852886e38, 2: 65504.0}


def round_q(q: Fraction, mode: int, w: int) -> float:
    """The rational q rounded to the format of w bytes in direction `mode` (nonzero q)."""
    neg = q < 0
    a = -q if neg else q
    p = _P[w]
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1  # now 2^e <= a < 2^(e+1)
    e = max(e, _EMIN[w]) - (p - 1)  # the ulp's exponent (subnormals: fixed)
    scaled = a / (Fraction(2) ** e)
    m = scaled.numerator // scaled.denominator
    inexact = m * scaled.denominator != scaled.numerator
    away = inexact and (mode == UP and not neg or mode == DOWN and neg)
    if away:
        m += 1
    try:
        r = math.ldexp(m, e)
    except OverflowError:
        r = math.inf
    if r > _MAX[w]:
        r = math.inf if (mode == UP and not neg or mode == DOWN and neg) else _MAX[w]
    return -r if neg else r


def zero_sum_sign(x: float, y: float, mode: int) -> float:
    """The zero that x + y gives when it is exactly zero (x and y already sign-adjusted)."""
    if x == 0 and y == 0 and math.copysign(1, x) == math.copysign(1, y):
        return x
    return -0.0 if mode == DOWN else 0.0


def binop(op: str, x: float, y: float, mode: int, w: int) -> float | None:
    """x op y rounded in `mode`; None when the nearest-mode result is the same by rule
    (NaN or infinite operands, or division by zero: exact special values)."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    if op == "add" or op == "sub":
        if op == "sub":
            y = -y
        q = Fraction(x) + Fraction(y)
        return zero_sum_sign(x, y, mode) if q == 0 else round_q(q, mode, w)
    if op == "mul":
        q = Fraction(x) * Fraction(y)
        if q == 0:
            return math.copysign(0.0, x) * math.copysign(1.0, y)
        return round_q(q, mode, w)
    if op == "div":
        if y == 0:
            return None
        q = Fraction(x) / Fraction(y)
        if q == 0:
            return math.copysign(0.0, x) * math.copysign(1.0, y)
        return round_q(q, mode, w)
    if op in ("min", "max"):
        return None  # exact: no rounding
    raise KeyError(op)


def fma(x: float, y: float, z: float, mode: int, w: int) -> float | None:
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return None
    q = Fraction(x) * Fraction(y) + Fraction(z)
    if q == 0:
        if (x == 0 or y == 0) and z == 0:  # a signed zero product plus a signed zero
            pz = math.copysign(0.0, math.copysign(1.0, x) * math.copysign(1.0, y))
            return zero_sum_sign(pz, z, mode)
        return -0.0 if mode == DOWN else 0.0
    return round_q(q, mode, w)


def sqrt(x: float, mode: int, w: int) -> float | None:
    if not math.isfinite(x) or x <= 0:
        return None  # sqrt(±0) = ±0, sqrt(<0) = NaN, sqrt(inf) = inf: exact
    q = Fraction(x)
    r = round_q(Fraction(math.sqrt(x)), DOWN, w)  # close; fix up to floor(sqrt(x)) exactly
    step = _next
    while Fraction(r) ** 2 > q:
        r = step(r, -1, w)
    while Fraction(step(r, 1, w)) ** 2 <= q:
        r = step(r, 1, w)
    if mode == UP and Fraction(r) ** 2 != q:
        r = step(r, 1, w)
    return r


def convert(x: float, mode: int, w: int) -> float | None:
    """x (a double) rounded to the format of w bytes."""
    if not math.isfinite(x) or x == 0:
        return None
    return round_q(Fraction(x), mode, w)


def to_int(x: float, mode: int) -> int:
    """x rounded to an integer in `mode` (finite x)."""
    return math.floor(x) if mode == DOWN else math.ceil(x) if mode == UP else math.trunc(x)


def _next(r: float, d: int, w: int) -> float:
    if w == 8:
        return math.nextafter(r, math.inf * d)
    import numpy as np

    return float(np.nextafter(np.float32(r), np.float32(math.inf * d)))


__all__ = ["DOWN", "UP", "ZERO", "round_q", "binop", "fma", "sqrt", "convert", "to_int"]
