"""The AD corpus (tests/programs/ad/): recorded Jacobians against finite differences, analytic
Jacobians and the programs' own native outputs.

Every program reads its inputs from argv, marks them (revad.h or the Derivgrind-style
dg_requests.h), computes, marks its outputs and prints each output with %.17g.  For each program
and build variant:

* test_native: the program builds and runs natively, and its finite-difference Jacobian matches
  the analytic one where there is one (validates the program, the build and the harness).
* test_recording: ``Emulator(binary, argv=args).record()`` reproduces the native stdout, exit
  code, input values and output values; ``rec.jacobian()`` matches finite differences and the
  analytic Jacobian; ``rec.jvp``/``rec.vjp`` agree with the Jacobian and pass the dot-product
  test ``w @ jvp(v) == vjp(w) @ v``.
* test_dg_twin: a program marked with DG_INPUTF/DG_OUTPUTF records the same Jacobian as its
  revad.h twin.

The recording tests skip while ``revad_emu.Emulator`` has no ``record`` method.

Variants: by default -O0, -O2 and -O2 -ffast-math linked statically, and -O2 linked
dynamically.  REVAD_AD_MATRIX=full adds -O0 and -O2 -ffast-math dynamic builds.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from buildcache import CACHE, INCLUDE, PROGRAMS, build, have, run_native
from fdcheck import (
    RTOL,
    assert_jacobian_close,
    default_atol,
    fd_jacobian,
    format_arg,
    holomorphic_block,
    parse_outputs,
    round_to,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _load_emulator():
    """(revad_emu.Emulator or None, why not).  Imports from src/ if not installed."""
    try:
        module = importlib.import_module("revad_emu")
    except ModuleNotFoundError as exc:
        if exc.name != "revad_emu":
            return None, f"revad_emu fails to import: {exc}"
        sys.path.insert(0, str(ROOT / "src"))
        try:
            module = importlib.import_module("revad_emu")
        except ImportError as exc2:
            return None, f"revad_emu fails to import: {exc2}"
    except ImportError as exc:
        return None, f"revad_emu fails to import: {exc}"
    emulator = getattr(module, "Emulator", None)
    if emulator is None or not hasattr(emulator, "record"):
        return None, "revad_emu.Emulator.record is not available yet"
    return emulator, ""


Emulator, _WHY_NO_RECORDER = _load_emulator()
HAVE_RECORDER = Emulator is not None
needs_recorder = pytest.mark.skipif(not HAVE_RECORDER, reason=_WHY_NO_RECORDER)


# --------------------------------------------------------------------------------------------
# Analytic Jacobians (rows = outputs in print order, columns = inputs in argv order).

def j_arith(p):
    x, y, z = p
    r = math.sqrt(x * x + y * y + z)
    q = 1 + z * z
    return np.array([
        [y - z / x**2, x - 1 / z, 1 / x + y / z**2],
        [x / r, y / r, 0.5 / r],
        [0.0, z, y],            # fmin(x, y) = y, fmax(y, z) = z
        [-1.0, -1.0, 1.0],      # |x - z| = z - x
        [-z, -1.0, -x],         # copysign(y, x - z) = -y
        [2 * x / q, -2 * y / q, -(x * x - y * y) * 2 * z / q**2],
    ])


def j_loops(p):
    c, x = np.asarray(p[:4]), p[4]
    k = np.arange(4)
    dp_dc = x**k
    dp_dx = np.sum(k[1:] * c[1:] * x ** (k[1:] - 1))
    ddp_dc = np.where(k > 0, k * x ** np.maximum(k - 1, 0), 0.0)
    ddp_dx = np.sum(k[2:] * (k[2:] - 1) * c[2:] * x ** (k[2:] - 2))
    dseries_dx = sum(x ** (j - 1) for j in range(1, 21))
    factors = 1 + c * x
    prod = np.prod(factors)
    dprod_dc = x * prod / factors
    dprod_dx = np.sum(c * prod / factors)
    return np.array([
        [*dp_dc, dp_dx],
        [*ddp_dc, ddp_dx],
        [0, 0, 0, 0, dseries_dx],
        [*dprod_dc, dprod_dx],
    ])


def j_newton(p):
    a, b = p
    s = 1.0
    for _ in range(60):
        s -= (s**3 + a * s - b) / (3 * s * s + a)
    d = 3 * s * s + a
    return np.array([[0.5 / math.sqrt(a), 0.0], [0.0, 1 / (3 * np.cbrt(b) ** 2)],
                     [-s / d, 1 / d]])


def _duffing(p, dt=0.01, steps=300):
    """Python port of ode_rk4.c (works on complex numbers for the complex-step method)."""
    y0, v0, k, c = p
    eps = 0.5

    def rhs(s):
        return [s[1], -c * s[1] - k * s[0] - eps * s[0] ** 3]

    s = [y0, v0]
    for _ in range(steps):
        k1 = rhs(s)
        k2 = rhs([s[i] + 0.5 * dt * k1[i] for i in range(2)])
        k3 = rhs([s[i] + 0.5 * dt * k2[i] for i in range(2)])
        k4 = rhs([s[i] + dt * k3[i] for i in range(2)])
        s = [s[i] + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) for i in range(2)]
    y, v = s
    return [y, v, 0.5 * v * v + 0.5 * k * y * y + 0.25 * eps * y**4]


def complex_step(f: Callable, p, h=1e-30) -> np.ndarray:
    """Jacobian of an analytic Python function by the complex-step method (exact to rounding)."""
    p = [complex(v) for v in p]
    cols = []
    for i in range(len(p)):
        q = list(p)
        q[i] += 1j * h
        cols.append([complex(v).imag / h for v in f(q)])
    return np.array(cols).T


def j_ode(p):
    return complex_step(_duffing, p)


def _lotka_volterra(p):
    """Python port of euler_float.c (in double/complex arithmetic)."""
    alpha, beta, x, y = p
    delta, gamma, dt = 0.1, 0.4, 0.02
    for _ in range(50):
        dx = alpha * x - beta * x * y
        dy = delta * x * y - gamma * y
        x, y = x + dt * dx, y + dt * dy
    return [x, y]


def j_euler(p):
    return complex_step(_lotka_volterra, p)


def j_linsolve(p):
    p = np.asarray(p)
    A, b = p[:16].reshape(4, 4), p[16:]
    Ainv = np.linalg.inv(A)
    x = Ainv @ b
    return np.hstack([-np.einsum("ki,j->kij", Ainv, x).reshape(4, 16), Ainv])


def j_memops(p):
    v = np.asarray(p)
    J = np.zeros((8, 5))
    J[0, 0], J[0, 1] = v[1], v[0]
    for k, i in enumerate(np.argsort(v)):
        J[1 + k, i] = 1.0
    J[6, 2] = 3.0
    J[7, 3], J[7, 4] = 1.0, -1.0
    return J


def j_storage(p):
    x, y, z = p
    harmonic = sum(1.0 / (i + 1) for i in range(16))
    dtls = np.array([10 * y * z, 10 * x * z, 10 * x * y + 8 * z])
    return np.array([
        [50 * y, 50 * x, 20.0],
        dtls,
        harmonic * dtls,
        [1.0, z, y],
        [y, x - z, -y],
    ])


def j_recursion(p):
    x, a, b = p
    c, dc = 1.0, 0.0
    for _ in range(25):
        c, dc = 1 + x / c, 1 / c - x * dc / c**2
    g = (a + b) * b
    H = math.sqrt(g * g + b * b)
    return np.array([
        [7 * x**6, 0, 0],
        [dc, 0, 0],
        [0, g * b / H, (g * (a + 2 * b) + b) / H - 1],
    ])


def _skew(a):
    """[a]_x with [a]_x b = a x b."""
    return np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])


def j_multi_io(p):
    u, w, s = np.asarray(p[:3]), np.asarray(p[3:6]), p[6]
    J = np.zeros((8, 7))
    J[0:3, 0:3] = -s * _skew(w)
    J[0:3, 3:6] = s * _skew(u)
    J[0:3, 6] = np.cross(u, w)
    J[3, 0:3], J[3, 3:6] = w, u
    J[4, 0:3] = u / np.linalg.norm(u)
    d, ww = u @ w, w @ w
    J[5:8, 0:3] = np.outer(w, w) / ww
    J[5:8, 3:6] = (np.outer(w, u) + d * np.eye(3)) / ww - 2 * d * np.outer(w, w) / ww**2
    return J


def j_x87(p):
    x, y = p
    r = math.sqrt(x * y)
    den = x * y + 1
    num = x * x - y * y
    return np.array([
        [2 * x * y + y / x**2 + y / (2 * r), x * x - 1 / x + x / (2 * r)],
        [(2 * x * den - num * y) / den**2, (-2 * y * den - num * x) / den**2],
    ])


def j_libm_mix(p):
    x, y = p
    t = math.tanh(x * y)
    return np.array([
        [math.cos(x) * math.exp(y), math.sin(x) * math.exp(y)],
        [-math.sin(x), 1 / y],
        [y * x ** (y - 1), x**y * math.log(x)],
        [-y / (x * x + y * y), x / (x * x + y * y)],
        [(1 - t * t) * y, (1 - t * t) * x],
    ])


def j_libm_float(p):
    x, y = p
    return np.array([
        [math.cos(x) * math.exp(y), math.sin(x) * math.exp(y)],
        [-y, 1 / y - x],
        [y * x ** (y - 1), x**y * math.log(x)],
    ])


def j_vector_sort(p):
    v = np.asarray(p, dtype=float)
    n = v.size
    w = v * v - 0.5 * v
    dw = 2 * v - 0.5
    perm = np.argsort(w)
    J = np.zeros((n + 3, n))
    for k, i in enumerate(perm):
        J[k, i] = dw[i]
    J[n] = dw
    for k, i in enumerate(perm):  # inner = sum_k v_k w_perm[k]
        J[n + 1, k] += w[i]
        J[n + 1, i] += v[k] * dw[i]
    grads = [(2 * w[i], 2 * dw[i] * np.eye(n)[i]) for i in range(n)]
    grads += [(v[i], np.eye(n)[i]) for i in range(n)]
    hi = max(grads, key=lambda t: t[0])
    lo = min(grads, key=lambda t: t[0])
    J[n + 2] = hi[1] - lo[1]
    return J


def j_dual_vec(p):
    x, P, Q = p[0], np.asarray(p[1:4]), np.asarray(p[4:7])
    J = np.zeros((6, 7))
    J[0, 0] = 3 * x * x + 2 + 1 / (x + 3) ** 2
    J[1, 0] = 6 * x - 2 / (x + 3) ** 3
    J[2:5, 1:4] = -2 * _skew(Q) + np.eye(3)
    J[2:5, 4:7] = 2 * _skew(P)
    J[5, 1:4] = Q - 2 * P
    J[5, 4:7] = P
    return J


def j_complex(p):
    z, w = complex(p[0], p[1]), complex(p[2], p[3])
    J = np.zeros((7, 4))
    J[0:2, 0:2], J[0:2, 2:4] = holomorphic_block(w), holomorphic_block(z)
    J[2:4, 0:2], J[2:4, 2:4] = holomorphic_block(1 / w), holomorphic_block(-z / w**2)
    s = z * z + w
    for col, ds in ((0, 2 * z), (1, 2j * z), (2, 1.0), (3, 1j)):
        J[4, col] = 2 * (s.conjugate() * ds).real
    t, dt = 0j, 0j
    for _ in range(6):
        t, dt = t * t + 0.3 * z, 2 * t * dt + 0.3
    J[5:7, 0:2] = holomorphic_block(dt)
    return J


def j_fortran(p):
    x, w = np.asarray(p[:5]), p[5]
    n = 5
    M = np.zeros((n, n))
    dM = np.zeros((n, n))
    M[0, :2], dM[0, :2] = [1 - w, w], [-1, 1]
    for k in range(1, n - 1):
        M[k, k - 1:k + 2], dM[k, k - 1:k + 2] = [w, 1 - 2 * w, w], [1, -2, 1]
    M[n - 1, n - 2:], dM[n - 1, n - 2:] = [w, 1 - w], [1, -1]
    y = M @ x
    s = np.linalg.norm(y)
    J = np.zeros((6, 6))
    J[:5, :5], J[:5, 5] = M, dM @ x
    J[5, :5], J[5, 5] = y @ M / s, y @ (dM @ x) / s
    return J


# --------------------------------------------------------------------------------------------
# The corpus.

@dataclass(frozen=True)
class Prog:
    name: str
    source: str                      # relative to tests/programs
    x0: tuple[float, ...]
    analytic: Callable | None = None
    precision: str = "double"        # of inputs and outputs: double, float, long double
    names: tuple[str, ...] | None = None  # expected name prefix per input (None: unchecked)
    twin: str | None = None          # the revad.h program a DG-macro program mirrors
    libm: bool = False               # calls libm transcendentals (needs interception)
    fd_method: str = "central"
    language: str = "c"

    @property
    def dg(self) -> bool:
        return self.twin is not None


LINSOLVE_X0 = (0.5, 2.0, 1.0, -1.0, 3.0, 1.0, -0.5, 2.0, 1.0, -2.5, 4.0, 0.5, -1.5, 0.5, 1.0,
               3.5, 1.0, -2.0, 0.5, 3.0)

CORPUS = [
    Prog("arith", "ad/arith.c", (1.3, 0.7, 2.1), j_arith, names=("x", "y", "z")),
    Prog("loops", "ad/loops.c", (0.5, -1.2, 0.8, 0.3, 0.9), j_loops,
         names=("c",) * 4 + ("x",)),
    Prog("newton", "ad/newton.c", (2.0, 5.0), j_newton, names=("a", "b")),
    Prog("ode_rk4", "ad/ode_rk4.c", (1.0, 0.0, 2.0, 0.3), j_ode,
         names=("y0", "v0", "k", "c")),
    Prog("linsolve", "ad/linsolve.c", LINSOLVE_X0, j_linsolve, names=("A",) * 16 + ("b",) * 4),
    Prog("memops", "ad/memops.c", (0.9, -1.7, 2.3, 0.4, 1.1), j_memops, names=("v",) * 5),
    Prog("storage", "ad/storage.c", (0.8, 1.7, -0.6), j_storage, names=("x", "y", "z")),
    Prog("recursion_fnptr", "ad/recursion_fnptr.c", (0.8, 1.5, 0.6), j_recursion,
         names=("x", "a", "b")),
    Prog("multi_io", "ad/multi_io.c", (0.4, -1.1, 2.0, 1.5, 0.3, -0.7, 0.9), j_multi_io,
         names=("u",) * 3 + ("w",) * 3 + ("s",)),
    Prog("float_arith", "ad/float_arith.c", (1.25, 0.75, 2.125), j_arith, precision="float",
         names=("x", "y", "z"), fd_method="richardson"),
    Prog("euler_float", "ad/euler_float.c", (1.1, 0.4, 2.0, 1.0), j_euler, precision="float",
         names=("alpha",) * 4, fd_method="richardson"),
    Prog("x87_longdouble", "ad/x87_longdouble.c", (1.7, 0.6), j_x87, precision="long double",
         names=("x", "y")),
    Prog("cpp_vector_sort", "ad/cpp_vector_sort.cc", (0.3, -1.2, 2.5, 0.9, -0.6),
         j_vector_sort, names=("v",) * 5, language="c++"),
    Prog("cpp_dual_vec", "ad/cpp_dual_vec.cc", (0.7, 1.0, -0.5, 2.0, 0.3, 1.2, -0.8),
         j_dual_vec, names=("x",) + ("p",) * 3 + ("q",) * 3, language="c++"),
    Prog("cpp_complex", "ad/cpp_complex.cc", (0.6, -0.4, 1.3, 0.9), j_complex,
         names=("a,b,c,d",) * 4, language="c++"),
    Prog("fortran_arrays", "ad/fortran_arrays.f90", (0.3, -1.1, 2.0, 0.7, -0.4, 0.25),
         j_fortran, names=("x",) * 5 + ("w",), language="fortran"),
    Prog("dg_arith", "ad/dg_arith.c", (1.3, 0.7, 2.1), j_arith, twin="arith"),
    Prog("dg_ode_rk4", "ad/dg_ode_rk4.c", (1.0, 0.0, 2.0, 0.3), j_ode, twin="ode_rk4"),
    Prog("dg_linsolve", "ad/dg_linsolve.c", LINSOLVE_X0, j_linsolve, twin="linsolve"),
    Prog("libm_mix", "ad/libm_mix.c", (0.7, 1.9), j_libm_mix, names=("x", "y"),
         libm=True),
    Prog("libm_float", "ad/libm_float.c", (0.75, 1.5), j_libm_float, precision="float",
         names=("x", "y"), libm=True, fd_method="richardson"),
]
BY_NAME = {p.name: p for p in CORPUS}

VARIANTS = {
    "O0-static": (("-O0",), True),
    "O2-static": (("-O2",), True),
    "O2fm-static": (("-O2", "-ffast-math"), True),
    "O2-dyn": (("-O2",), False),
}
if os.environ.get("REVAD_AD_MATRIX") == "full":
    VARIANTS["O0-dyn"] = (("-O0",), False)
    VARIANTS["O2fm-dyn"] = (("-O2", "-ffast-math"), False)

# Tolerances of the recorded Jacobian against the analytic one (tighter than against FD).
ANALYTIC_RTOL = {"double": 1e-9, "long double": 1e-9, "float": 1e-4}


def _available(prog: Prog) -> bool:
    tool = {"c": "gcc", "c++": "g++", "fortran": "gfortran"}[prog.language]
    return have(tool)


@cache
def binary(name: str, variant: str) -> Path:
    prog = BY_NAME[name]
    flags, static = VARIANTS[variant]
    if prog.language == "fortran":
        # The module must be compiled before the program: build revad.f90 first in line.
        moddir = CACHE / "fortran-modules"
        moddir.mkdir(parents=True, exist_ok=True)
        return build(INCLUDE / "revad.f90", (*flags, f"-J{moddir}"), static=static,
                     extra_sources=(str(PROGRAMS / prog.source), str(INCLUDE / "revad_fortran.c")))
    return build(prog.source, flags, static=static)


def args_of(prog: Prog, x=None) -> list[str]:
    x = prog.x0 if x is None else x
    fmt = "float" if prog.precision == "float" else "double"
    return [format_arg(v, fmt) for v in x]


def x0_of(prog: Prog) -> np.ndarray:
    return round_to(np.array(prog.x0), "float" if prog.precision == "float" else "double")


@cache
def native_run(name: str, variant: str):
    prog = BY_NAME[name]
    res = run_native(binary(name, variant), args_of(prog))
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res


@cache
def fd_of(name: str, variant: str) -> np.ndarray:
    prog = BY_NAME[name]
    fmt = "float" if prog.precision == "float" else "double"
    return fd_jacobian(binary(name, variant), prog.x0, method=prog.fd_method, precision=fmt)


def _cases(predicate=lambda p: True):
    out = []
    for prog in CORPUS:
        if not predicate(prog):
            continue
        for variant in VARIANTS:
            marks = [] if _available(prog) else [pytest.mark.skip(reason="compiler missing")]
            out.append(pytest.param(prog.name, variant, id=f"{prog.name}-{variant}",
                                    marks=marks))
    return out


# --------------------------------------------------------------------------------------------
# Native checks (no emulator needed).

@pytest.mark.parametrize("name,variant", _cases())
def test_native(name, variant):
    prog = BY_NAME[name]
    outputs = parse_outputs(native_run(name, variant).stdout)
    assert outputs.size >= 1 and np.all(np.isfinite(outputs))
    J_fd = fd_of(name, variant)
    assert J_fd.shape == (outputs.size, len(prog.x0))
    if prog.analytic is not None:
        J_an = prog.analytic(x0_of(prog))
        assert_jacobian_close(J_fd, J_an, prog.precision, what=f"{name} FD vs analytic")


def test_dg_twins_print_the_same_outputs():
    for prog in CORPUS:
        if prog.dg:
            dg = native_run(prog.name, "O2-static").stdout
            assert dg == native_run(prog.twin, "O2-static").stdout, prog.name


# --------------------------------------------------------------------------------------------
# Recordings.

@cache
def record(name: str, variant: str, args: tuple[str, ...] | None = None):
    """Record a corpus program.  `argv` holds the arguments after the program name."""
    prog = BY_NAME.get(name)
    argv = list(args) if args is not None else args_of(prog)
    return Emulator(str(binary(name, variant)), argv=argv).record()


def _flatten(pairs) -> tuple[list, np.ndarray]:
    """(names, values) from a list of (name, value) where value may be an array."""
    names, values = [], []
    for name, value in pairs:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
        names.extend([name] * arr.size)
        values.extend(arr.tolist())
    return names, np.array(values, dtype=np.float64)


def _value_rtol(precision: str) -> float:
    # long double values are printed rounded to double
    return 1e-15 if precision == "long double" else 0.0


@needs_recorder
@pytest.mark.parametrize("name,variant", _cases())
def test_recording(name, variant):
    prog = BY_NAME[name]
    native = native_run(name, variant)
    rec = record(name, variant)
    context = f"{name} [{variant}] warnings={list(rec.warnings)[:5]}"

    assert rec.exit_code == 0, context
    assert bytes(rec.stdout) == native.stdout, context
    printed = parse_outputs(native.stdout)
    n_in, n_out = len(prog.x0), printed.size

    in_names, in_values = _flatten(rec.inputs)
    assert in_values.size == n_in, context
    np.testing.assert_allclose(in_values, x0_of(prog), rtol=_value_rtol(prog.precision),
                               atol=0, err_msg=context)
    if prog.names is not None:
        for got, want in zip(in_names, prog.names, strict=True):
            assert str(got).startswith(want), f"{context}: input name {got!r}, want {want!r}"

    out_names, out_values = _flatten(rec.outputs)
    assert out_values.size == n_out, context
    np.testing.assert_allclose(out_values, printed, rtol=_value_rtol(prog.precision), atol=0,
                               err_msg=context)

    J = np.asarray(rec.jacobian(), dtype=np.float64)
    assert J.shape == (n_out, n_in), context
    assert np.all(np.isfinite(J)), context
    assert_jacobian_close(J, fd_of(name, variant), prog.precision, what=f"{context} vs FD")
    if prog.analytic is not None:
        assert_jacobian_close(J, prog.analytic(x0_of(prog)), prog.precision,
                              rtol=ANALYTIC_RTOL[prog.precision],
                              what=f"{context} vs analytic")

    # jvp / vjp agree with the Jacobian and with each other (dot-product test).
    rng = np.random.default_rng(1234)
    v = rng.standard_normal(n_in)
    w = rng.standard_normal(n_out)
    jv = np.asarray(rec.jvp(v), dtype=np.float64)
    wj = np.asarray(rec.vjp(w), dtype=np.float64)
    assert jv.shape == (n_out,) and wj.shape == (n_in,), context
    scale = default_atol(J, 1e-12) * max(1.0, float(np.abs(v).sum() * np.abs(w).sum()))
    np.testing.assert_allclose(jv, J @ v, rtol=1e-10, atol=scale, err_msg=context)
    np.testing.assert_allclose(wj, w @ J, rtol=1e-10, atol=scale, err_msg=context)
    lhs, rhs = float(w @ jv), float(wj @ v)
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), abs(rhs)) + scale, (context, lhs, rhs)


@needs_recorder
@pytest.mark.parametrize("name,variant", _cases(lambda p: p.dg))
def test_dg_twin(name, variant):
    prog = BY_NAME[name]
    J_dg = np.asarray(record(name, variant).jacobian(), dtype=np.float64)
    J_twin = np.asarray(record(prog.twin, variant).jacobian(), dtype=np.float64)
    assert_jacobian_close(J_dg, J_twin, rtol=1e-12, atol=1e-14,
                          what=f"{name} vs {prog.twin} [{variant}]")


DG_FORWARD_X = (1.2, 0.8, 1.0, 0.5)  # x y xdot ydot


def _dg_forward_expected():
    x, y, xd, yd = DG_FORWARD_X
    J = np.array([[y * y + 1 / y, 2 * x * y - x / y**2],
                  [0.5 / math.sqrt(x + y) - 3, 0.5 / math.sqrt(x + y)]])
    return J, J @ np.array([xd, yd])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dg_forward_native(variant):
    exe = build("ad/dg_forward.c", VARIANTS[variant][0], static=VARIANTS[variant][1])
    argv = [format_arg(v) for v in DG_FORWARD_X]
    out = parse_outputs(run_native(exe, argv).stdout)
    assert out.size == 4 and out[2] == 0.0 and out[3] == 0.0  # natively no dot values
    J_fd = fd_jacobian(exe, DG_FORWARD_X[:2], extra_args=argv[2:])[:2]
    assert_jacobian_close(J_fd, _dg_forward_expected()[0])


@needs_recorder
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dg_forward_recording(variant):
    flags, static = VARIANTS[variant]
    exe = build("ad/dg_forward.c", flags, static=static)
    argv = [format_arg(v) for v in DG_FORWARD_X]
    native = parse_outputs(run_native(exe, argv).stdout)
    rec = Emulator(str(exe), argv=argv).record()
    assert rec.exit_code == 0
    out = parse_outputs(rec.stdout)
    assert out.size == 4
    assert out[0] == native[0] and out[1] == native[1]
    np.testing.assert_allclose(out[2:], _dg_forward_expected()[1], rtol=1e-12, atol=1e-14)


def test_running_native():
    exe = build("ad/running.c", ("-O2",), static=True)
    assert run_native(exe).stdout.split() == [b"0", b"0", b"0"]


@needs_recorder
@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_running_recording(static):
    exe = build("ad/running.c", ("-O2",), static=static)
    rec = Emulator(str(exe), argv=[]).record()
    assert rec.exit_code == 0
    assert rec.stdout.split()[0] == b"1"
    assert len(rec.inputs) == 0 and len(rec.outputs) == 0


def test_rtol_table_covers_corpus():
    assert {p.precision for p in CORPUS} <= set(RTOL)
