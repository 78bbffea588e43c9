"""Partial derivatives, one table keyed by operation; each rule is a line.

Binary rules take the operand values (a, b) and return (∂/∂a, ∂/∂b); unary rules take a and
return ∂/∂a. Packed instructions apply the scalar rule lane by lane.
Kink convention (documented in docs/derivatives.md): d|x|/dx = +1 for x >= 0 (both zeros),
-1 otherwise; min/max pass the derivative of the operand the instruction returns.
"""

from __future__ import annotations

import math

INF = math.inf


def _div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return math.nan
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _sqrt_d(a: float) -> float:
    if a > 0:
        return 0.5 / math.sqrt(a)
    return INF if a == 0 else math.nan


BINARY = {
    "add": lambda a, b: (1.0, 1.0),
    "sub": lambda a, b: (1.0, -1.0),
    "subr": lambda a, b: (-1.0, 1.0),  # b - a (x87 reversed forms)
    "mul": lambda a, b: (b, a),
    "div": lambda a, b: (_div(1.0, b), -_div(_div(a, b), b)),
    "divr": lambda a, b: (-_div(_div(b, a), a), _div(1.0, a)),  # b / a
    # SSE min/max return the second operand unless the comparison holds strictly.
    "min": lambda a, b: (1.0, 0.0) if a < b else (0.0, 1.0),
    "max": lambda a, b: (1.0, 0.0) if a > b else (0.0, 1.0),
}

UNARY = {
    "sqrt": _sqrt_d,
    "neg": lambda a: -1.0,
    "abs": lambda a: 1.0 if a >= 0 else -1.0,
    "negabs": lambda a: -1.0 if a >= 0 else 1.0,  # -|a| (or with the sign mask)
    "cvt": lambda a: 1.0,   # float <-> double: derivative 1 (values rounded)
    "rcp": lambda a: -_div(_div(1.0, a), a),                      # 1/a
    "rsqrt": lambda a: -0.5 * _div(_div(1.0, a), math.sqrt(a)) if a > 0 else math.nan,
    "copy": lambda a: 1.0,
}


# ---------------------------------------------------------------------------------- x87
# Partials of the x87 instructions (isa/x87.py), binary64 from the operands' values rounded
# to double. Domain errors give nan or inf, never an exception. The arithmetic forms (fadd,
# fsubr, fdivr...) use BINARY; fchs/fabs/fsqrt use UNARY.

_LN2 = math.log(2.0)


def _safe(f):
    def g(*args):
        try:
            return f(*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan
    return g


def _log2_safe(x: float) -> float:
    if x > 0:
        return math.log2(x)
    return -INF if x == 0 else math.nan


def _log1p2_safe(x: float) -> float:
    if x > -1:
        return math.log1p(x) / _LN2
    return -INF if x == -1 else math.nan


def _atan2_d(y: float, x: float) -> tuple[float, float]:
    r = x * x + y * y
    return _div(x, r), -_div(y, r)


X87_UNARY = {
    "sin": _safe(lambda a: math.cos(a)),            # fsin
    "cos": _safe(lambda a: -math.sin(a)),           # fcos
    "tan": _safe(lambda a: _div(1.0, math.cos(a) ** 2)),  # fptan
    "f2xm1": _safe(lambda a: math.pow(2.0, a) * _LN2),    # 2^a - 1
}

# Two-operand x87 instructions written as f(st1, st0) -> (d/d st1, d/d st0).
X87_BINARY = {
    "fpatan": _safe(_atan2_d),                                          # atan2(st1, st0)
    "fyl2x": _safe(lambda y, x: (_log2_safe(x), _div(y, x * _LN2))),   # st1 * log2(st0)
    "fyl2xp1": _safe(lambda y, x: (_log1p2_safe(x), _div(y, (1.0 + x) * _LN2))),
}


def fscale_d(n: int) -> float:
    """d(st0 * 2^n)/d st0 with n = trunc(st1) (exact integer); d/d st1 is 0 (steps)."""
    try:
        return math.ldexp(1.0, n)
    except OverflowError:
        return INF


def fprem_d(q: float) -> tuple[float, float]:
    """st0 - q*st1 (fprem, fprem1; q the integer quotient used): (d/d st0, d/d st1)."""
    return 1.0, -q
