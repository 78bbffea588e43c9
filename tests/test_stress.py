"""Stress corpus (tests/programs/stress/): realistic numerical programs the emulator was not
developed against, recorded at several optimisation levels and link modes.

For every program and build variant the recorded run must reproduce the native run (stdout,
exit code, the marked output values bit for bit), raise no warnings, and its Jacobian must
match central/Richardson finite differences of the native binary.

By default each program runs a representative subset of its variants (the whole file stays
under about two minutes); REVAD_STRESS_MATRIX=full runs every variant of every program.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from buildcache import CACHE, INCLUDE, PROGRAMS, build, have, run_native
from fdcheck import (
    assert_jacobian_close,
    fd_jacobian,
    format_arg,
    jacobian_mismatch,
    parse_outputs,
    round_to,
)

try:
    from revad_emu import Emulator
except ImportError:  # pragma: no cover - the package is installed with pip install -e .
    Emulator = None

ROOT = Path(__file__).resolve().parent.parent
STRESS = PROGRAMS / "stress"

pytestmark = pytest.mark.skipif(Emulator is None, reason="revad_emu is not importable")

# name -> (flags, static)
VARIANTS: dict[str, tuple[tuple[str, ...], bool]] = {}
for _lvl, _flags in {
    "O0": ("-O0",),
    "O1": ("-O1",),
    "O2": ("-O2",),
    "O3": ("-O3",),
    "O2fm": ("-O2", "-ffast-math"),
    "O3fm": ("-O3", "-ffast-math"),
    "O2x87": ("-O2", "-mfpmath=387"),
}.items():
    VARIANTS[f"{_lvl}-static"] = (_flags, True)
    VARIANTS[f"{_lvl}-dyn"] = (_flags, False)

ALL_C = ("O0", "O2", "O3", "O2fm", "O2x87")
NO_X87 = ("O0", "O2", "O3", "O2fm")


@dataclass(frozen=True)
class Prog:
    name: str
    source: str
    x0: tuple[float, ...]
    levels: tuple[str, ...] = ALL_C
    # the subset run by default: variant names (level-static / level-dyn)
    default: tuple[str, ...] = ("O0-static", "O2-dyn", "O3-static", "O2fm-static")
    precision: str = "double"          # argv formatting and FD rounding
    fd_method: str = "central"
    rtol: float | None = None
    value_rtol: float = 0.0            # rec.outputs vs printed values
    stdout_rtol: float = 0.0           # 0: emulated stdout must equal native byte for byte
    stdin: Callable[[np.ndarray], bytes] | None = None   # inputs on stdin instead of argv
    language: str = "c"
    # variant -> xfail reason (true emulator bugs)
    xfail: dict[str, str] = field(default_factory=dict)

    def variants(self) -> list[str]:
        if os.environ.get("REVAD_STRESS_MATRIX") == "full":
            return [f"{lvl}-{link}" for lvl in self.levels for link in ("static", "dyn")]
        return list(self.default)


def _scanf_stdin(x: np.ndarray) -> bytes:
    *v, scale = (repr(float(t)) for t in x)
    return f"{len(v)}\n{' '.join(v)}\n{scale}\n".encode()


MATMUL_X0 = tuple(float(v) for v in np.round(
    np.random.default_rng(7).uniform(-1.0, 1.0, 42), 3))
FVEC_X0 = (0.75,) + tuple(0.5 + 0.125 * i for i in range(16)) + tuple(
    1.0 - 0.0625 * (i * i % 7) for i in range(16))

# A program that hits an emulator bug gets `xfail={variant: reason}` (strict): none today.
CORPUS = [
    Prog("matmul_lu", "matmul_lu.c", MATMUL_X0),
    Prog("float_vec", "float_vec.c", FVEC_X0, precision="float", fd_method="richardson",
         rtol=1e-3, default=("O0-static", "O3-static", "O2fm-dyn")),
    Prog("reduce_stats", "reduce_stats.c",
         (1.1, 0.7, 1.9, 1.45, 0.95, 1.6, 1.25, 0.8, 1.3, 1.05, 1.75, 0.6),
         default=("O2-static", "O3-dyn", "O2fm-static", "O2x87-static")),
    Prog("cpp_stl", "cpp_stl.cc", (0.3, -1.2, 2.5, 0.9, -0.6, 1.7, -2.2, 0.45, 0.8),
         levels=NO_X87, language="c++", default=("O0-dyn", "O2-static", "O3-static")),
    Prog("cpp_valarray", "cpp_valarray.cc",
         (0.5, 1.25, -0.75, 2.0, 0.3, 1.1, 1.5, 0.4, 0.9, -1.3, 2.2, 0.7), levels=NO_X87,
         language="c++", default=("O2-static", "O3-dyn", "O2fm-static")),
    Prog("particles", "particles.c", (0.0, 1.1, 0.2, 1.4, 0.7, 0.0, 0.1, 1.2, 1.0, 0.55, 1.3),
         default=("O0-static", "O2-dyn", "O3-static", "O2x87-static")),
    Prog("memblock", "memblock.c", (1.5, -0.25, 2.0, 0.75, -1.25, 0.5),
         default=("O0-static", "O2-static", "O3-dyn", "O2fm-static")),
    Prog("spline_tab", "spline_tab.c", (0.0, 0.4, 1.1, 1.5, 1.6, 2.4, 3.9, 4.0, 2.3, 3.7, 5.45),
         default=("O0-static", "O2-dyn", "O3-static", "O2x87-static")),
    Prog("newton_libm", "newton_libm.c", (0.4, 3.0, 2.0),
         default=("O0-dyn", "O2-static", "O2fm-dyn", "O2x87-static")),
    Prog("pendulum", "pendulum.c", (0.8, 0.1, 9.81, 0.15),
         default=("O2-static", "O2-dyn", "O2x87-dyn")),
    Prog("scanf_stdin", "scanf_stdin.c", (0.3, 1.2, 0.8, 2.1, 2.6, 3.3, 0.5),
         stdin=_scanf_stdin, default=("O0-static", "O2-dyn", "O3-static")),
    Prog("longdouble", "longdouble.c", (1.25, 0.75, 2.5), levels=("O0", "O2", "O3", "O2fm"),
         precision="long double", value_rtol=1e-15,
         default=("O0-static", "O2-static", "O2-dyn")),
    # libgfortran's matmul dispatches on the CPU (an FMA kernel natively, SSE2 under the
    # emulator's plain x86-64 CPUID), so the -O0 values may differ in the last bits.
    Prog("fortran_intrinsics", "fortran_intrinsics.f90",
         tuple(float(v) for v in np.round(np.random.default_rng(3).uniform(-1, 1, 20), 3)
               + np.r_[np.eye(4).ravel() * 2.0, np.zeros(4)]),
         levels=("O0", "O2", "O3", "O2fm"), language="fortran", value_rtol=1e-14,
         stdout_rtol=1e-14, default=("O0-static", "O2-static", "O3-dyn")),
    Prog("adapt_simpson", "adapt_simpson.c", (0.2, 1.7, 0.9),
         default=("O0-dyn", "O2-static", "O3-static", "O2x87-dyn")),
    Prog("piecewise", "piecewise.c", (0.35, -0.6, 0.8, 1.3, 2.1, -0.4),
         default=("O0-static", "O2-static", "O3-dyn", "O2fm-static")),
    Prog("complex_c99", "complex_c99.c", (0.6, -0.4, 1.3, 0.9),
         default=("O0-static", "O2-static", "O2-dyn", "O2fm-static")),
    Prog("variadic_misc", "variadic_misc.c", (1.75, -0.625, 3.25, 0.8125), precision="float",
         fd_method="richardson", rtol=1e-3, default=("O0-static", "O2-static")),
    Prog("ldouble_libm", "ldouble_libm.c", (0.7, 1.9), levels=("O0", "O2", "O2fm"),
         precision="long double", value_rtol=2e-14, stdout_rtol=2e-14,
         default=("O2-static", "O2-dyn")),
    Prog("vector_libm", "vector_libm.c",
         tuple(-0.9 + 0.25 * i for i in range(8)) + tuple(0.125 * i - 0.375 for i in range(8))
         + (1.25,),
         levels=("O2", "O3", "O3fm"), precision="float", fd_method="richardson", rtol=1e-3,
         default=("O3-static", "O3fm-static")),
    # Minimal reproducers of the bugs above.
    Prog("float_pair_return", "float_pair_return.c", (1.5,), precision="float",
         fd_method="richardson", rtol=1e-3, default=("O0-static", "O2-static")),
    Prog("float_pair_arg", "float_pair_arg.c", (0.5, 0.75), levels=("O0", "O1", "O2"),
         precision="float", fd_method="richardson", rtol=1e-3,
         default=("O0-static", "O1-static", "O2-dyn")),
    Prog("plt_passive_call", "plt_passive_call.c", (1.5,), default=("O2-static", "O2-dyn")),
    Prog("csqrt_static", "csqrt_static.c", (0.6, -0.4), default=("O2-static", "O2-dyn")),
    Prog("cpp_mix", "cpp_mix.cc", (0.7, 1.4, -0.3, 2.2), levels=NO_X87, language="c++",
         default=("O0-dyn", "O2-static", "O3-dyn")),
    Prog("c_misc", "c_misc.c", (0.8, -1.7, 2.6),
         default=("O0-static", "O2-dyn", "O3-static", "O2x87-static")),
    Prog("mlp_softmax", "mlp_softmax.c", (0.3, -0.5, 0.8, 0.1),
         default=("O2-static", "O3-dyn", "O2x87-static")),
    Prog("cholesky", "cholesky.c", (0.3, -0.8, 1.1), default=("O0-dyn", "O3-static")),
    Prog("fft_complex", "fft_complex.c", (0.4, 1.2, -0.7),
         default=("O2-dyn", "O3-static", "O2fm-static")),
    Prog("implicit_euler", "implicit_euler.f90", (0.04, 3.0), levels=("O0", "O2", "O3", "O2fm"),
         language="fortran", default=("O2-static", "O3-dyn")),
    Prog("cpp_iostream", "cpp_iostream.cc", (0.5, 1.5, -0.25), levels=NO_X87, language="c++",
         default=("O2-dyn", "O3-static")),
    Prog("float_reduce", "float_reduce.c", (0.75, -0.5), precision="float",
         fd_method="richardson", rtol=1e-3, default=("O3-static", "O2fm-dyn")),
    Prog("calls_mix", "calls_mix.c", (0.6, 1.3, -0.4),
         default=("O0-static", "O2-dyn", "O3-static", "O2fm-static", "O2x87-dyn")),
]
BY_NAME = {p.name: p for p in CORPUS}


def _tool(prog: Prog) -> str:
    return {"c": "gcc", "c++": "g++", "fortran": "gfortran"}[prog.language]


@cache
def binary(name: str, variant: str) -> Path:
    prog = BY_NAME[name]
    flags, static = VARIANTS[variant]
    if prog.language == "fortran":
        moddir = CACHE / "fortran-modules"
        moddir.mkdir(parents=True, exist_ok=True)
        return build(INCLUDE / "revad.f90", (*flags, f"-J{moddir}"), static=static,
                     extra_sources=(str(STRESS / prog.source),
                                    str(INCLUDE / "revad_fortran.c")))
    return build(STRESS / prog.source, flags, static=static)


def _fmt(prog: Prog) -> str:
    return "float" if prog.precision == "float" else "double"


def argv_of(prog: Prog, x=None) -> list[str]:
    x = prog.x0 if x is None else x
    if prog.stdin is not None:
        return []
    return [format_arg(v, _fmt(prog)) for v in x]


def stdin_of(prog: Prog, x=None) -> bytes:
    x = np.asarray(prog.x0 if x is None else x, dtype=np.float64)
    return prog.stdin(x) if prog.stdin is not None else b""


@cache
def native(name: str, variant: str):
    prog = BY_NAME[name]
    res = run_native(binary(name, variant), argv_of(prog), stdin=stdin_of(prog))
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res


def _fd_stdin(prog: Prog, exe: Path) -> np.ndarray:
    """Central differences for a program that reads its inputs from stdin."""
    x0 = np.asarray(prog.x0, dtype=np.float64)

    def f(x):
        res = run_native(exe, [], stdin=prog.stdin(x))
        assert res.returncode == 0
        return parse_outputs(res.stdout)

    cols = []
    for i in range(x0.size):
        h = 1e-6 * max(1.0, abs(x0[i]))
        xp, xm = x0.copy(), x0.copy()
        xp[i] += h
        xm[i] -= h
        cols.append((f(xp) - f(xm)) / (xp[i] - xm[i]))
    return np.stack(cols, axis=1)


@cache
def fd(name: str, variant: str) -> np.ndarray:
    prog = BY_NAME[name]
    exe = binary(name, variant)
    if prog.stdin is not None:
        return _fd_stdin(prog, exe)
    return fd_jacobian(exe, prog.x0, method=prog.fd_method, precision=_fmt(prog))


@cache
def record(name: str, variant: str):
    prog = BY_NAME[name]
    return Emulator(str(binary(name, variant)), argv=argv_of(prog),
                    stdin=stdin_of(prog)).record()


def _flat_values(pairs) -> np.ndarray:
    vals: list[float] = []
    for _, v in pairs:
        vals.extend(np.atleast_1d(np.asarray(v, dtype=np.float64)).ravel().tolist())
    return np.array(vals, dtype=np.float64)


def _cases():
    out = []
    for prog in CORPUS:
        for variant in prog.variants():
            marks = []
            if not have(_tool(prog)):
                marks.append(pytest.mark.skip(reason="compiler missing"))
            if variant in prog.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=prog.xfail[variant]))
            out.append(pytest.param(prog.name, variant, id=f"{prog.name}-{variant}",
                                    marks=marks))
    return out


@pytest.mark.parametrize("name,variant", _cases())
def test_stress(name, variant):
    prog = BY_NAME[name]
    nat = native(name, variant)
    printed = parse_outputs(nat.stdout)
    rec = record(name, variant)
    ctx = f"{name} [{variant}]"

    assert rec.exit_code == 0, ctx
    if prog.stdout_rtol:
        np.testing.assert_allclose(parse_outputs(bytes(rec.stdout)), printed,
                                   rtol=prog.stdout_rtol, atol=0, err_msg=ctx)
    else:
        assert bytes(rec.stdout) == nat.stdout, ctx
    assert list(rec.warnings) == [], f"{ctx}: {list(rec.warnings)[:4]}"

    ins = _flat_values(rec.inputs)
    x0 = round_to(np.array(prog.x0), _fmt(prog))
    np.testing.assert_allclose(ins, x0, rtol=1e-15 if prog.value_rtol else 0, atol=0,
                               err_msg=ctx)
    outs = _flat_values(rec.outputs)
    np.testing.assert_allclose(outs, printed, rtol=prog.value_rtol, atol=0, err_msg=ctx)

    J = np.asarray(rec.jacobian(), dtype=np.float64)
    assert J.shape == (printed.size, len(prog.x0)), ctx
    assert np.all(np.isfinite(J)), ctx
    precision = "float" if prog.precision == "float" else "double"
    assert_jacobian_close(J, fd(name, variant), precision, rtol=prog.rtol, what=f"{ctx} vs FD")


def test_float128_soft_float_is_flagged():
    """__float128 arithmetic runs as integer soft-float code in libgcc: the derivative is either
    right or the run says it is not (never silently wrong)."""
    if not have("gcc"):
        pytest.skip("gcc missing")
    exe = build(STRESS / "quad128.c", ("-O2",), static=True)
    x0 = (1.5, 0.8)
    argv = [format_arg(v) for v in x0]
    rec = Emulator(str(exe), argv=argv).record()
    assert bytes(rec.stdout) == run_native(exe, argv).stdout
    J = np.asarray(rec.jacobian(), dtype=np.float64)
    assert jacobian_mismatch(J, fd_jacobian(exe, x0)) is None or list(rec.warnings)
