"""x87 instructions (isa/x87.py): real programs with long double arithmetic, inline-asm x87
instructions and double programs built with -mfpmath=387, recorded Jacobians against central
finite differences of the native binaries (fdcheck) and analytic derivatives.

Long double derivatives are binary64 partials: compared with rtol 1e-6 against FD and tighter
against analytic values.  Unicorn computes the x87 transcendentals and fprem in double
precision, so programs using them print results that differ from native runs in the last bits.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from buildcache import build, have, run_native
from fdcheck import assert_jacobian_close, fd_jacobian, format_arg, parse_outputs
from test_ad_programs import BY_NAME, HAVE_RECORDER, Emulator

pytestmark = [pytest.mark.skipif(not have("gcc"), reason="gcc missing"),
              pytest.mark.skipif(not HAVE_RECORDER, reason="no recorder")]


def _args(x) -> list[str]:
    return [format_arg(v) for v in x]


@cache
def _record(source: str, flags: tuple[str, ...], static: bool, x: tuple[float, ...]):
    exe = build(source, flags, static=static)
    return exe, Emulator(str(exe), argv=_args(x)).record()


@cache
def _fd(source: str, flags: tuple[str, ...], static: bool, x: tuple[float, ...]):
    return fd_jacobian(build(source, flags, static=static), x)


def _op_names(rec) -> set[str]:
    return set(rec.tape.op_names())


# --------------------------------------------------------------------- long double arithmetic

LD_OPS_X0 = (1.3, 0.7, 2.1)
VARIANTS = [(("-O0",), True), (("-O2",), True), (("-O2",), False)]
VARIANT_IDS = ["O0-static", "O2-static", "O2-dyn"]


def _ld_ops_row2(x, y, z):
    """out[2] = fx*z + dz*x - fx/dz with fx = (float)(x*y), dz = (double)(z/y)."""
    fx, dz = x * y, z / y
    ddz_dy = -z / y**2
    return np.array([
        y * z + dz - y / dz,
        x * z + x * ddz_dy - (x * dz - fx * ddz_dy) / dz**2,
        fx + x / y + fx / (y * dz**2),
    ])


@pytest.mark.parametrize("flags,static", VARIANTS, ids=VARIANT_IDS)
def test_long_double_ops(flags, static):
    exe, rec = _record("x87/ld_ops.c", flags, static, LD_OPS_X0)
    native = run_native(exe, _args(LD_OPS_X0))
    assert rec.exit_code == 0
    assert rec.stdout == native.stdout
    assert rec.warnings == []
    J = rec.jacobian()
    assert J.shape == (12, 3)
    F = _fd("x87/ld_ops.c", flags, static, LD_OPS_X0)
    rows = [i for i in range(12) if i != 2]  # row 2 rounds to float: FD is too noisy there
    assert_jacobian_close(J[rows], F[rows], "long double")
    assert_jacobian_close(J[2], _ld_ops_row2(*LD_OPS_X0), rtol=1e-6)


# ------------------------------------------------------------------ inline-asm instructions

LD_ASM_X0 = (0.9, 2.3)


def _ld_asm_analytic(x, y) -> np.ndarray:
    """Rows 0-15 of ld_asm.c."""
    ln2 = math.log(2.0)
    r = math.sqrt(x * y)
    t = math.tan(x / y)
    p = 2 ** (x * y / 4) * ln2 / 4
    u = 1 + x / 8
    return np.array([
        [y * math.cos(x * y), x * math.cos(x * y)],
        [-math.sin(x + y)] * 2,
        [math.cos(x - y), -math.cos(x - y)],
        [-math.sin(x - y), math.sin(x - y)],
        [(1 + t * t) / y, -(1 + t * t) * x / y**2],
        [-y / (x * x + y * y), x / (x * x + y * y)],
        [p * y, p * x],
        [y / (x * ln2), math.log2(x)],
        [y / (8 * u * ln2), math.log2(u)],
        [8 * y, 8 * x],                              # 2^trunc(y + 1) = 8
        [1000.0, -math.trunc(1000 * x / y)],          # fprem: q = 391
        [7.0, -round(7 * x / y)],                     # fprem1: q = 3
        [1.0, 0.0],                                   # frndint(...) + x
        [100 * y / 128, 100 * x / 128],               # significand of 207
        [7.0, 0.0],                                   # exponent * x
        [y / (2 * r) + 1, x / (2 * r) - 1],           # sqrt(xy) - |x - y|, x < y
    ])


@pytest.mark.parametrize("flags", [("-O0",), ("-O2",)], ids=["O0", "O2"])
def test_inline_asm_instructions(flags):
    exe, rec = _record("x87/ld_asm.c", flags, True, LD_ASM_X0)
    native = parse_outputs(run_native(exe, _args(LD_ASM_X0)).stdout)
    assert rec.exit_code == 0
    assert rec.warnings == []
    got = parse_outputs(rec.stdout)
    assert got.size == native.size == 28
    np.testing.assert_allclose(got, native, rtol=1e-12, atol=1e-15)
    J = rec.jacobian()
    assert_jacobian_close(J, _fd("x87/ld_asm.c", flags, True, LD_ASM_X0), "long double")
    assert_jacobian_close(J[:16], _ld_asm_analytic(*LD_ASM_X0), rtol=1e-9)
    assert {"sin", "cos", "tan", "fpatan", "f2xm1", "fyl2x", "fyl2xp1", "fscale", "fprem",
            "fxtract", "sqrt", "neg", "abs", "cvt", "subr", "divr"} <= _op_names(rec)


def test_edge_cases_out_of_range_and_bit_trick():
    x0 = (0.9, 2.3)
    exe, rec = _record("x87/ld_edge.c", ("-O2",), True, x0)
    assert rec.stdout == run_native(exe, _args(x0)).stdout
    J = rec.jacobian()
    np.testing.assert_allclose(J[0], [1.0, 1.0], rtol=1e-12)  # fsin left ST0 unchanged (C2)
    np.testing.assert_array_equal(J[1], [0.0, 0.0])
    assert len(rec.warnings) == 1 and "fild" in rec.warnings[0], rec.warnings
    assert "read as an integer" in rec.warnings[0]


# ------------------------------------------------- glibc's x87 long double code, not intercepted

LD_LIBM_X0 = (0.8, 1.9)
POWL_ROW = 5


def test_glibc_x87_code_without_interception(monkeypatch):
    from revad_emu.ad.mathcalls import MathCalls

    # No interception at all: not at function entries, not at call sites, nothing untraced.
    monkeypatch.setattr(MathCalls, "spec_at", lambda self, addr: None)
    monkeypatch.setattr(MathCalls, "target_info", lambda self, target: None)
    monkeypatch.setattr(MathCalls, "untraced_regions", lambda self: [])
    exe = build("x87/ld_libm.c", ("-O2",), static=True)
    rec = Emulator(str(exe), argv=_args(LD_LIBM_X0)).record()
    assert rec.exit_code == 0
    assert "libm:exp" not in _op_names(rec)
    assert {"f2xm1", "fscale", "fyl2x", "fpatan", "fprem"} <= _op_names(rec)
    J = rec.jacobian()
    F = fd_jacobian(exe, LD_LIBM_X0)
    rows = [i for i in range(7) if i != POWL_ROW]
    assert_jacobian_close(J[rows], F[rows], "long double")
    # powl builds values from frexpl's integer bit tricks: the loss is reported, not silent.
    assert any("bit trick" in w and "powl" in w for w in rec.warnings), rec.warnings


def test_glibc_long_double_intercepted():
    exe, rec = _record("x87/ld_libm.c", ("-O2",), True, LD_LIBM_X0)
    assert rec.warnings == []
    F = _fd("x87/ld_libm.c", ("-O2",), True, LD_LIBM_X0)
    assert_jacobian_close(rec.jacobian(), F, "long double")


# -------------------------------------------------------- double programs with -mfpmath=387

FPMATH_PROGRAMS = ["arith", "loops", "newton", "ode_rk4", "linsolve", "memops"]


@pytest.mark.parametrize("opt", ["-O2", "-O0"])
@pytest.mark.parametrize("name", FPMATH_PROGRAMS)
def test_mfpmath_387_corpus(name, opt):
    prog = BY_NAME[name]
    flags = (opt, "-mfpmath=387")
    exe, rec = _record(prog.source, flags, True, prog.x0)
    native = run_native(exe, _args(prog.x0))
    assert rec.exit_code == 0
    assert rec.stdout == native.stdout
    assert rec.warnings == []
    J = rec.jacobian()
    assert_jacobian_close(J, _fd(prog.source, flags, True, prog.x0), what=f"{name} vs FD")
    if prog.analytic is not None:
        assert_jacobian_close(J, prog.analytic(np.array(prog.x0)), rtol=1e-9,
                              what=f"{name} vs analytic")
