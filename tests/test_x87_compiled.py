"""The compiled x87 path (`_hot_x87.c`) against the pure-Python x87 handlers (isa/x87.py).

Real programs: double code built with -mfpmath=387 (-O0: memory operands everywhere, -O2:
values kept on the register stack), long double C, std::complex<long double> in C++,
gfortran real(10), inline-asm x87 instructions, and a program that drives the hand-overs
(a non-default control word, extended denormals, infinities, integer and float memory
operands). Both recorders must give the same tape node for node, the same 80-bit patterns
(`bits80`) and the same warnings; the compiled path must take the steady state of the
loops itself; and the Jacobians of the new programs match finite differences of the native
binaries.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from buildcache import CACHE, INCLUDE, build, have, run_native
from fdcheck import assert_jacobian_close, fd_jacobian, format_arg, parse_outputs
from revad_emu.ad.recorder import _hot
from test_ad_programs import BY_NAME
from test_compiled import assert_same, recorders
from test_compiled import record_both as compiled_and_python

pytestmark = [pytest.mark.skipif(_hot is None, reason="the compiled extension is not built"),
              pytest.mark.skipif(not have("gcc"), reason="gcc missing")]


def _args(x) -> list[str]:
    return [format_arg(v) for v in x]


def record_both(monkeypatch, exe, argv):
    """(Python recording, compiled recording, the compiled Recorder)."""
    seen = recorders(monkeypatch)
    out = compiled_and_python(monkeypatch, exe, argv)
    py_rec, c_rec = seen[-2], seen[-1]
    assert py_rec.hot is None and c_rec.hot is not None
    assert_same(*out)
    b_py, b_c = py_rec.bits80, c_rec.bits80
    assert len(b_py) == len(b_c)
    assert all(b_c.get(k) == v for k, v in b_py.items()), "80-bit patterns differ"
    return out[0], out[1], c_rec


def _fortran(source: str, flags: tuple[str, ...]):
    if not have("gfortran"):
        pytest.skip("gfortran missing")
    moddir = CACHE / "fortran-modules"
    moddir.mkdir(parents=True, exist_ok=True)
    return build(INCLUDE / "revad.f90", (*flags, f"-J{moddir}"), static=True,
                 extra_sources=(source, str(INCLUDE / "revad_fortran.c")))


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("name", ["ode_rk4", "linsolve", "newton"])
def test_mfpmath_387_programs(monkeypatch, name, opt):
    prog = BY_NAME[name]
    exe = build(prog.source, (opt, "-mfpmath=387"), static=True)
    py, c, rec = record_both(monkeypatch, exe, _args(prog.x0))
    assert c.tape.parents.shape[0] > 10
    assert rec.hot.n_c > rec.hot.n_py  # the steady state runs in C


@pytest.mark.parametrize("source,flags,x0", [
    ("x87/ld_ops.c", ("-O0",), (1.3, 0.7, 2.1)),
    ("x87/ld_ops.c", ("-O2",), (1.3, 0.7, 2.1)),
    ("x87/ld_asm.c", ("-O2",), (0.7, 1.9)),
    ("x87/ld_edge.c", ("-O2",), (0.9, 2.3)),
    ("ad/x87_longdouble.c", ("-O1",), (1.7, 0.6)),
], ids=["ld_ops-O0", "ld_ops-O2", "ld_asm", "ld_edge", "x87_longdouble"])
def test_long_double_programs(monkeypatch, source, flags, x0):
    exe = build(source, flags, static=True)
    py, c, _ = record_both(monkeypatch, exe, _args(x0))
    assert c.tape.parents.shape[0] > 4


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # FD of the inf rows
def test_hand_overs(monkeypatch):
    """Control word, denormals, infinities, integer/float memory operands: the C path hands
    these to Python, which gives the same tape; the smooth outputs match FD."""
    x0 = (1.3, 0.7)
    exe = build("x87/ld_modes.c", ("-O2",), static=True)
    py, c, rec = record_both(monkeypatch, exe, _args(x0))
    assert c.warnings == []
    got = parse_outputs(c.stdout)
    assert got.size == 6 and np.isfinite(got[[0, 1, 4]]).all()
    native = parse_outputs(run_native(exe, _args(x0)).stdout)
    np.testing.assert_allclose(got[[0, 1, 4]], native[[0, 1, 4]], rtol=1e-15)
    J = c.jacobian()
    F = fd_jacobian(exe, x0)
    assert_jacobian_close(J[[0, 1]], F[[0, 1]], what="ld_modes vs FD")
    assert np.abs(J[[0, 1, 4]]).min() > 0


def test_complex_long_double(monkeypatch):
    if not have("g++"):
        pytest.skip("g++ missing")
    x0 = (0.6, -0.4)
    exe = build("x87/ld_complex.cc", ("-O2",), static=True)
    py, c, rec = record_both(monkeypatch, exe, _args(x0))
    assert c.warnings == []
    assert rec.hot.n_c > rec.hot.n_py
    native = parse_outputs(run_native(exe, _args(x0)).stdout)
    np.testing.assert_allclose(parse_outputs(c.stdout), native, rtol=1e-15)
    assert_jacobian_close(c.jacobian(), fd_jacobian(exe, x0), what="complex<long double> vs FD")


@pytest.mark.skipif(shutil.which("gfortran") is None, reason="gfortran missing")
@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_fortran_real10(monkeypatch, opt):
    from buildcache import PROGRAMS

    x0 = (2.0, 0.3)
    exe = _fortran(str(PROGRAMS / "x87" / "real10.f90"), (opt,))
    py, c, rec = record_both(monkeypatch, exe, _args(x0))
    assert c.warnings == []
    assert rec.hot.n_c > rec.hot.n_py
    assert_jacobian_close(c.jacobian(), fd_jacobian(exe, x0), what="real(10) vs FD")


def test_bits80_mapping():
    """Tape.bits80 (C): the Python handlers' node -> 80-bit pattern mapping, including a
    pattern set later for an older node (a size-less mark decided by its first read)."""
    tape = _hot.Tape()
    b = tape.bits80
    one = 0x3FFF_8000_0000_0000_0000  # 1.0L
    third = 0x3FFD_AAAA_AAAA_AAAA_AAAB  # 1/3 rounded
    n1 = tape.add(0, 0.0, 0, 0.0, 1.0, one, 10, 0x1000, 2)
    n2 = tape.add(n1, 1.0, 0, 0.0, 0.5, 0, 8, 0x1004, 2)  # a double: no pattern
    nodes = [tape.add(n1, 1.0, 0, 0.0, 1 / 3, third + k, 10, 0x1008, 2) for k in range(200)]
    assert b.get(n1) == one and b[n1] == one and n1 in b
    assert n2 not in b and b.get(n2) is None and b.get(n2, 0) == 0
    with pytest.raises(KeyError):
        b[n2]
    assert [b[n] for n in nodes] == [third + k for k in range(200)]
    assert len(b) == 201
    b[n2] = third  # older than the newest node: kept beside the log
    b[n1] = third + 7  # an update of a logged node
    assert b[n2] == third and b[n1] == third + 7 and len(b) == 202
    with pytest.raises(TypeError):
        del b[n1]


@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_complex_long_double_calls(monkeypatch, static):
    """cabsl gets hypotl's rule; cexpl (no rule, argument in memory) warns instead of
    silently dropping the derivative. Both recorders agree."""
    x0 = (0.4, 1.1)
    exe = build("x87/ld_cexp.c", ("-O2",), static=static)
    py, c, _ = record_both(monkeypatch, exe, _args(x0))
    assert any("no derivative rule" in w and "cexp" in w for w in c.warnings), c.warnings
    J = c.jacobian()
    r = np.hypot(*x0)
    np.testing.assert_allclose(J[1], [x0[0] / r, x0[1] / r], rtol=1e-12)
