"""Math-library functions: recognised by symbol, recorded as one node with analytic partials.

glibc computes sin, exp, pow... with integer bit tricks and rounding constants, so
differentiating their machine code is slow and often wrong (DESIGN §6). The recorder lets
the real code compute the value with recording suppressed, then records one node per result
with the partials below (a line per function). Each rule gets the argument values and the
result the program actually computed, and returns one partial per floating-point argument.

Kinks (documented in docs/derivatives.md): fabs'(0) = +1; fmin/fmax pass the derivative of
the argument they return (ties: the first); floor, ceil, trunc, round, rint, nearbyint have
derivative 0; fmod/remainder treat the quotient as constant.
"""

from __future__ import annotations

import cmath
import math

LN2 = math.log(2.0)
LN10 = math.log(10.0)
INF = math.inf


def _d(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        return math.nan if x == 0 or x != x else math.copysign(INF, x) * math.copysign(1, y)


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan


def _digamma(x: float) -> float:
    from scipy.special import digamma

    return float(digamma(x))


def _pow_dx(x: float, y: float, r: float) -> float:
    if y == 0:
        return 0.0
    if x == 0:
        return 0.0 if y > 1 else (math.copysign(INF, 1.0) if y < 1 else 1.0)
    return y * _d(r, x)


def _pow_dy(x: float, y: float, r: float) -> float:
    if x > 0:
        return r * math.log(x)
    if x == 0 and y > 0:
        return 0.0
    return math.nan if x < 0 else 0.0


# name: (number of floating-point arguments, rule(args..., result) -> partials)
RULES = {
    "sin": (1, lambda x, r: (math.cos(x),)),
    "cos": (1, lambda x, r: (-math.sin(x),)),
    "tan": (1, lambda x, r: (1.0 + r * r,)),
    "asin": (1, lambda x, r: (_d(1.0, _sqrt(1.0 - x * x)),)),
    "acos": (1, lambda x, r: (-_d(1.0, _sqrt(1.0 - x * x)),)),
    "atan": (1, lambda x, r: (1.0 / (1.0 + x * x),)),
    "atan2": (2, lambda y, x, r: (_d(x, x * x + y * y), _d(-y, x * x + y * y))),
    "sinh": (1, lambda x, r: (math.cosh(x) if abs(x) < 710 else abs(r),)),
    "cosh": (1, lambda x, r: (math.sinh(x) if abs(x) < 710 else math.copysign(r, x),)),
    "tanh": (1, lambda x, r: (1.0 - r * r,)),
    "asinh": (1, lambda x, r: (_d(1.0, math.hypot(x, 1.0)),)),
    "acosh": (1, lambda x, r: (_d(1.0, _sqrt(x - 1.0) * _sqrt(x + 1.0)),)),
    "atanh": (1, lambda x, r: (_d(1.0, 1.0 - x * x),)),
    "exp": (1, lambda x, r: (r,)),
    "exp2": (1, lambda x, r: (r * LN2,)),
    "exp10": (1, lambda x, r: (r * LN10,)),
    "expm1": (1, lambda x, r: (r + 1.0,)),
    "log": (1, lambda x, r: (_d(1.0, x),)),
    "log2": (1, lambda x, r: (_d(1.0, x * LN2),)),
    "log10": (1, lambda x, r: (_d(1.0, x * LN10),)),
    "log1p": (1, lambda x, r: (_d(1.0, 1.0 + x),)),
    "pow": (2, lambda x, y, r: (_pow_dx(x, y, r), _pow_dy(x, y, r))),
    "sqrt": (1, lambda x, r: (_d(0.5, r),)),
    "cbrt": (1, lambda x, r: (_d(1.0, 3.0 * r * r),)),
    "hypot": (2, lambda x, y, r: (_d(x, r), _d(y, r))),
    "erf": (1, lambda x, r: (2.0 / math.sqrt(math.pi) * math.exp(-x * x),)),
    "erfc": (1, lambda x, r: (-2.0 / math.sqrt(math.pi) * math.exp(-x * x),)),
    "lgamma": (1, lambda x, r: (_digamma(x),)),
    "tgamma": (1, lambda x, r: (r * _digamma(x),)),
    "fabs": (1, lambda x, r: (1.0 if x >= 0 else -1.0,)),
    "fmin": (2, lambda x, y, r: (1.0, 0.0) if (x <= y or y != y) else (0.0, 1.0)),
    "fmax": (2, lambda x, y, r: (1.0, 0.0) if (x >= y or y != y) else (0.0, 1.0)),
    "fdim": (2, lambda x, y, r: (1.0, -1.0) if x > y else (0.0, 0.0)),
    "fmod": (2, lambda x, y, r: (1.0, -float(math.trunc(x / y)) if y and math.isfinite(x / y)
                                 else 0.0)),
    "remainder": (2, lambda x, y, r: (1.0, -_d(x - r, y) if y else 0.0)),
    "copysign": (2, lambda x, y, r: (math.copysign(1.0, x) * math.copysign(1.0, y), 0.0)),
    "floor": (1, lambda x, r: (0.0,)),
    "ceil": (1, lambda x, r: (0.0,)),
    "trunc": (1, lambda x, r: (0.0,)),
    "round": (1, lambda x, r: (0.0,)),
    "rint": (1, lambda x, r: (0.0,)),
    "nearbyint": (1, lambda x, r: (0.0,)),
    "roundeven": (1, lambda x, r: (0.0,)),
    # x * 2^n: the integer argument is passive; derivative is the scale factor r/x.
    "ldexp": (1, lambda x, r: (_d(r, x) if x else 0.0,)),
    "scalbn": (1, lambda x, r: (_d(r, x) if x else 0.0,)),
    "frexp": (1, lambda x, r: (_d(r, x) if x else 0.0,)),
    "modf": (1, lambda x, r: (1.0,)),   # fractional part; the integer part goes out passive
    "sincos": (1, lambda x, r: (math.cos(x),)),  # r = sin; the cos output gets -sin (below)
    "fma": (3, None),  # two nodes: product, then sum (see recorder)
}

# Functions with extra (non-floating) arguments or pointer results.
POINTER_RESULTS = {"sincos", "frexp", "modf"}
INT_SECOND_ARG = {"ldexp", "scalbn"}

VARIANTS = ("sse2", "fma", "avx2", "sse41", "fma4", "avx", "c", "sse4_1")


def candidate_names(base: str) -> list[str]:
    """Symbol names under which glibc defines `base` (a function name with its f/l suffix)."""
    out = [base, f"__{base}", f"__ieee754_{base}", f"__{base}_finite"]
    for v in VARIANTS:
        out += [f"__{base}_{v}", f"__ieee754_{base}_{v}"]
    return out


def spec_table() -> dict[str, tuple[str, str]]:
    """Symbol name → (function, precision 'd'/'f'/'l') for every recognised name, including
    the C23/TS 18661 _FloatN aliases (sinf32 = sinf, sinf64 = sinf32x = sin, sinf64x = sinl)."""
    table: dict[str, tuple[str, str]] = {}
    for fn in RULES:
        for suffix, prec in (("", "d"), ("f", "f"), ("l", "l"), ("f32", "f"), ("f64", "d"),
                             ("f32x", "d"), ("f64x", "l")):
            for name in candidate_names(fn + suffix):
                table.setdefault(name, (fn, prec))
    return table


# glibc's libmvec: gcc -ffast-math vectorises calls to these (x86-64 vector ABI, SSE 'b'
# variants: 2 doubles or 4 floats per xmm register). Precision 'd2'/'f4' = lanes.
VECTOR_FUNCTIONS = ("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "cos",
                    "cosh", "erf", "erfc", "exp", "exp10", "exp2", "expm1", "hypot", "log",
                    "log10", "log1p", "log2", "pow", "sin", "sinh", "tan", "tanh")


def vector_table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for fn in VECTOR_FUNCTIONS:
        v = "v" * RULES[fn][0]
        for name, prec in ((f"_ZGVbN2{v}_{fn}", "d2"), (f"_ZGVbN4{v}_{fn}f", "f4"),
                           # AVX ('c') and AVX2 ('d'): one ymm register per argument
                           (f"_ZGVcN4{v}_{fn}", "d4"), (f"_ZGVcN8{v}_{fn}f", "f8"),
                           (f"_ZGVdN4{v}_{fn}", "d4"), (f"_ZGVdN8{v}_{fn}f", "f8")):
            for variant in ("", *(f"_{x}" for x in (*VARIANTS, "sse4"))):
                table[name + variant] = (fn, prec)
    return table


# C99 complex functions, double complex ('z': z in xmm0/xmm1, result in xmm0/xmm1) and float
# complex ('y': z packed in xmm0, result packed in xmm0). Holomorphic ones give f'(z) from z
# and the result r; cabs and carg have real results and give (∂/∂x, ∂/∂y).
COMPLEX = {
    "cexp": lambda z, r: r, "clog": lambda z, r: 1 / z, "csqrt": lambda z, r: 0.5 / r,
    "csin": lambda z, r: cmath.cos(z), "ccos": lambda z, r: -cmath.sin(z),
    "ctan": lambda z, r: 1 + r * r, "csinh": lambda z, r: cmath.cosh(z),
    "ccosh": lambda z, r: cmath.sinh(z), "ctanh": lambda z, r: 1 - r * r,
    "casin": lambda z, r: 1 / cmath.sqrt(1 - z * z),
    "cacos": lambda z, r: -1 / cmath.sqrt(1 - z * z),
    "catan": lambda z, r: 1 / (1 + z * z), "casinh": lambda z, r: 1 / cmath.sqrt(z * z + 1),
    "cacosh": lambda z, r: 1 / (cmath.sqrt(z - 1) * cmath.sqrt(z + 1)),
    "catanh": lambda z, r: 1 / (1 - z * z),
}
COMPLEX_REAL = {
    "cabs": lambda x, y, r: (_d(x, r), _d(y, r)),
    "carg": lambda x, y, r: (_d(-y, x * x + y * y), _d(x, x * x + y * y)),
}


def complex_table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for fn in (*COMPLEX, *COMPLEX_REAL):
        for name, prec in ((fn, "z"), (fn + "f", "y"), (fn + "f64", "z"), (fn + "f32", "y"),
                           (fn + "f32x", "z")):
            for cand in (name, f"__{name}"):
                table[cand] = (fn, prec)
    return table


SYMBOLS = {**spec_table(), **vector_table(), **complex_table()}
