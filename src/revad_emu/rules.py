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
    "copy": lambda a: 1.0,
}
