"""Derivgrind's size-less marks (issue 9): DG_SET_INDEX/DG_GET_INDEX carry no width, so the
first floating-point read of the marked location decides it (4, 8 or 10 bytes).

Reproduces the three failure classes of the issue with real programs: long double marked
with DG_INPUTF (C and C++; -O0, -O2, -mfpmath=387), a float 0.0 followed by zero bytes (which
looks like a double 0.0), and Fortran real(4)/real(8)/real(10) marked through a
Derivgrind-shaped module that passes only the address (`dg_inputf(c_loc(x))`); both modes
(b: recorded Jacobian, d: dot values), checked against analytic values.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from buildcache import build, run_native
from revad_emu.api import Emulator

SHIM = str(Path(__file__).parent / "include" / "dg_fortran_shim.c")

# (language, optimisation flags, type, a, z): C at two points, C++ at the point
C_CASES = [
    (lang, opt, t, a, z)
    for lang, points in (("c", ((1.0, 0.0), (0.75, 0.5))), ("c++", ((1.0, 0.0),)))
    for t in ("float", "double", "long double")
    for opt in (("-O0",), ("-O2",), ("-O2", "-mfpmath=387"))
    for a, z in points
]


def _c_exe(lang: str, opt: tuple[str, ...], t: str) -> Path:
    flags = (*opt, f"-DT={t}") + (("-x", "c++") if lang == "c++" else ())
    return build("widths/dg_widths.c", flags,
                 libs=("-lm", "-lstdc++") if lang == "c++" else ("-lm",))


def _expected(a: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Jacobian of (c, s) = (a + a², sin z + z a) by (a, z), and its product with (1, 2)."""
    J = np.array([[1 + 2 * a, 0.0], [z, math.cos(z) + a]])
    return J, J @ np.array([1.0, 2.0])


@pytest.mark.parametrize("lang,opt,t,a,z", C_CASES,
                         ids=[f"{lang}-{' '.join(o)}-{t}-{a}-{z}" for lang, o, t, a, z in C_CASES])
def test_c_sizeless_marks(lang, opt, t, a, z):
    exe = _c_exe(lang, opt, t)
    argv = [repr(a), repr(z)]
    native = run_native(exe, argv).stdout.split()
    J_want, dots_want = _expected(a, z)
    rtol = 1e-6 if t == "float" else 1e-12
    rec = Emulator(str(exe), argv=argv).record(dg_mode="b")
    assert rec.exit_code == 0 and rec.stdout.split() == native
    assert rec.warnings == [], rec.warnings
    assert [v for _, v in rec.inputs] == pytest.approx([a, z], rel=rtol)
    assert [v for _, v in rec.outputs] == pytest.approx([float(x) for x in native], rel=rtol)
    np.testing.assert_allclose(rec.jacobian(), J_want, rtol=rtol, atol=1e-300)
    fwd = Emulator(str(exe), argv=argv).record(dg_mode="d")
    out = [float(x) for x in fwd.stdout.split()]
    assert fwd.exit_code == 0 and fwd.warnings == []
    np.testing.assert_allclose(out[2:], dots_want, rtol=rtol)


needs_gfortran = pytest.mark.skipif(shutil.which("gfortran") is None, reason="no gfortran")


@needs_gfortran
@pytest.mark.parametrize("opt", [("-O0",), ("-O2",), ("-O3",)], ids=lambda o: o[0])
def test_fortran_sizeless_marks(opt):
    exe = build("widths/dg_fortran_widths.f90", opt, extra_sources=(SHIM,))
    a4, a8, a10 = 1.5, 2.0, 0.5
    native = [float(x) for x in run_native(exe).stdout.split()]
    rec = Emulator(str(exe), argv=[]).record(dg_mode="b")
    assert rec.exit_code == 0
    assert rec.warnings == [], rec.warnings
    assert [float(x) for x in rec.stdout.split()] == native
    # The requests carried 8 raw bytes as the value; the marks report the variables'.
    assert [v for _, v in rec.inputs] == [a4, a8, a10, 0.0]
    assert [v for _, v in rec.outputs] == pytest.approx(native, rel=1e-7)
    J = rec.jacobian()
    np.testing.assert_allclose(J, np.diag([1 + 2 * a4, 1 + 2 * a8, 1 + 2 * a10, 1.0 + 3.0]),
                               rtol=1e-7)
    fwd = Emulator(str(exe), argv=[]).record(dg_mode="d")
    assert fwd.exit_code == 0 and fwd.warnings == []
    dots = [float(x) for x in fwd.stdout.split()[4:]]
    np.testing.assert_allclose(dots, [(1 + 2 * a4) * 1, (1 + 2 * a8) * 2, (1 + 2 * a10) * 3,
                                      4.0 * 4], rtol=1e-7)


def test_untracked_change_after_a_sizeless_mark_warns():
    """The width is decided at the first read only if the bytes are still the marked ones:
    a double whose upper half (not covered by the mark's entries) was overwritten by an
    integer store is never taken for the marked value."""
    exe = build("widths/dg_overwrite.c", ("-O2",))
    rec = Emulator(str(exe), argv=[]).record()
    assert rec.exit_code == 0 and float(rec.stdout) == 9.0
    J = rec.jacobian()
    assert J.shape == (1, 1) and J[0, 0] == 0.0
    assert any("changed before its first floating-point read" in w for w in rec.warnings), \
        rec.warnings


ATAN2 = [("double", ()), ("float", ("-DT_IS_FLOAT",)), ("long double", ("-DT_IS_LONG",))]


@pytest.mark.parametrize("t,defs", ATAN2, ids=[t for t, _ in ATAN2])
@pytest.mark.parametrize("a,b", [(3.0, 4.0), (-0.7, 0.2)], ids=["3-4", "m07-02"])
def test_atan2_partials_not_swapped(t, defs, a, b):
    """d atan2(a, b)/da = b/(a²+b²), d/db = -a/(a²+b²): analytic and central differences of
    the native binary agree with revad_emu (Derivgrind's wrapper swaps the two, and its
    suite's expected numbers follow it; docs/derivatives.md)."""
    from fdcheck import assert_jacobian_close, fd_jacobian

    exe = build("widths/dg_atan2.c", ("-O2", f"-DT={t}", *defs))
    rec = Emulator(str(exe), argv=[repr(a), repr(b)]).record()
    assert rec.exit_code == 0 and rec.warnings == []
    J = rec.jacobian()
    r2 = a * a + b * b
    prec = "float" if t == "float" else "double"
    np.testing.assert_allclose(J, [[b / r2, -a / r2]], rtol=1e-6 if t == "float" else 1e-12)
    assert_jacobian_close(J, fd_jacobian(exe, [a, b], precision=prec), prec)


@needs_gfortran
@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_packaged_revad_fortran_module(opt, tmp_path):
    """The `revad` module shipped next to revad.h: exact widths for real(4), real(8) and
    real(10), scalars and arrays, names optional."""
    from buildcache import INCLUDE

    exe = build(INCLUDE / "revad.f90", (opt, f"-J{tmp_path}"),
                extra_sources=(str(Path(__file__).parent / "programs" / "widths" /
                                   "revad_module.f90"), str(INCLUDE / "revad_fortran.c")))
    rec = Emulator(str(exe), argv=[]).record()
    assert rec.exit_code == 0 and rec.stdout.split()[-1] == b"T"
    assert [n for n, _ in rec.inputs] == ["a4[0]", "a4[1]", "a8", "x3"]
    assert [v for _, v in rec.inputs] == [1.5, 2.0, 0.5, 2.0]
    assert [n for n, _ in rec.outputs] == ["y4", "y8[0]", "y8[1]", "y8[2]", "y8[3]", "y10"]
    assert rec.stats["complete"] is True
    want = np.zeros((6, 4))
    want[0, :2] = [2.0, 1.5]
    want[1:4, 2] = [1.0, 2.0, 2 * 0.5]
    want[5, 3] = 3 * 2.0**2
    np.testing.assert_array_equal(rec.jacobian(), want)


@pytest.mark.parametrize("t", ["float", "double", "long double"])
@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_copies_before_the_first_read(t, opt):
    """memcpy and integer registers between a size-less mark and its first read."""
    exe = build("widths/dg_copies.c", (opt, f"-DT={t}"))
    rec = Emulator(str(exe), argv=["1.25"]).record()
    assert rec.exit_code == 0 and float(rec.stdout) == 1.25**2 + 1.25
    assert rec.warnings == [], rec.warnings
    np.testing.assert_array_equal(rec.jacobian(), [[2 * 1.25 + 1]])


@pytest.mark.parametrize("opt", [("-O3", "-Og"), ("-O2",), ("-O0",)], ids=["Og", "O2", "O0"])
@pytest.mark.parametrize("t,defs", [("double", ()), ("float", ("-DT_IS_FLOAT",))],
                         ids=["double", "float"])
@pytest.mark.parametrize("a,b", [(3.14, -1.0), (-0.5, 2.0)], ids=["pos-neg", "neg-pos"])
def test_copysign_masks_decide_the_width(opt, t, defs, a, b):
    exe = build("widths/dg_copysign.c", (*opt, f"-DT={t}", *defs))
    rec = Emulator(str(exe), argv=[repr(a), repr(b)]).record()
    assert rec.exit_code == 0 and rec.warnings == [], rec.warnings
    assert [v for _, v in rec.inputs] == pytest.approx([a, b])
    np.testing.assert_array_equal(rec.jacobian(),
                                  [[math.copysign(1, a) * math.copysign(1, b), 0.0]])
