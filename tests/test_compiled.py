"""The compiled hot path (`revad_emu._hot`) against the pure-Python reference recorder.

Both recorders run the same binary; the C code hook takes the happy path of each instruction
and hands everything unusual to the Python handler, so the two tapes must be identical node
for node (parents, partials, values, addresses, operations) and give the same warnings. The
cases cover every descriptor kind: data moves through GPRs, the stack and memory (memcpy,
qsort, struct copies), SSE scalar and packed arithmetic, sqrt/conversions, integer
instructions on active bits (bit tricks, with their warnings), x87 code (more of it in
test_x87_compiled.py), intercepted and unrecognised math-library calls, static and dynamic
builds.
"""

from __future__ import annotations

import numpy as np
import pytest

import test_libm
import test_stress
from buildcache import build
from revad_emu import Emulator
from revad_emu.ad.recorder import _hot

pytestmark = pytest.mark.skipif(_hot is None, reason="the compiled extension is not built")

STRESS_CASES = [
    ("matmul_lu", "O3-static"), ("float_vec", "O3-static"), ("reduce_stats", "O2x87-static"),
    ("cpp_stl", "O2-static"), ("cpp_valarray", "O3-dyn"), ("particles", "O2-dyn"),
    ("memblock", "O3-dyn"), ("spline_tab", "O2fm-static"), ("newton_libm", "O2-static"),
    ("pendulum", "O2-dyn"), ("scanf_stdin", "O0-static"), ("longdouble", "O2-static"),
    ("adapt_simpson", "O3-static"), ("piecewise", "O2fm-static"), ("complex_c99", "O2-dyn"),
    ("variadic_misc", "O0-static"), ("vector_libm", "O3-static"),
    ("float_pair_return", "O2-static"), ("float_pair_arg", "O1-static"),
    ("plt_passive_call", "O2-dyn"), ("calls_mix", "O2-dyn"), ("calls_mix", "O3-static"),
    ("calls_mix", "O0-static"), ("cpp_mix", "O2-dyn"), ("c_misc", "O2x87-static"),
    ("c_misc", "O3-dyn"),
]


def record_both(monkeypatch, exe, argv, stdin=b""):
    out = []
    for pure in ("1", "0"):
        monkeypatch.setenv("REVAD_PURE_PYTHON", pure)
        out.append(Emulator(exe, argv=argv, stdin=stdin).record())
    return out


def recorders(monkeypatch) -> list:
    """Every Recorder built from now on in this test, in order of construction (to look at
    the compiled recorder's counters or state after `record_both`)."""
    from revad_emu.ad import recorder

    seen = []
    init = recorder.Recorder.__init__

    def spy(self, *a, **kw):
        init(self, *a, **kw)
        seen.append(self)

    monkeypatch.setattr(recorder.Recorder, "__init__", spy)
    return seen


def assert_same(py, c) -> None:
    assert c.exit_code == py.exit_code
    assert c.stdout == py.stdout
    assert c.warnings == py.warnings
    a, b = py.tape, c.tape
    assert len(a.parents) == len(b.parents), "different number of tape nodes"
    for name in ("parents", "partials", "values", "addr", "op", "depth"):
        x, y = getattr(a, name), getattr(b, name)
        bad = np.flatnonzero(~((x == y) | ((x != x) & (y != y))).reshape(len(x), -1).all(1))
        assert not bad.size, (f"{name} differ first at node {bad[0]} "
                              f"(addr {int(a.addr[bad[0]]):#x}): {x[bad[0]]} vs {y[bad[0]]}")
    assert a.inputs == b.inputs and a.outputs == b.outputs
    np.testing.assert_array_equal(py.jacobian(), c.jacobian())


@pytest.mark.parametrize("name,variant", STRESS_CASES, ids=[f"{n}-{v}" for n, v in STRESS_CASES])
def test_stress_program(monkeypatch, name, variant):
    prog = test_stress.BY_NAME[name]
    if variant not in [f"{lvl}-{ln}" for lvl in prog.levels for ln in ("static", "dyn")]:
        pytest.skip("variant not built for this program")
    try:
        exe = test_stress.binary(name, variant)
    except Exception as e:  # noqa: BLE001 - e.g. gfortran missing
        pytest.skip(f"cannot build: {e}")
    py, c = record_both(monkeypatch, exe, test_stress.argv_of(prog), test_stress.stdin_of(prog))
    assert_same(py, c)
    assert c.tape.parents.shape[0] > 1


@pytest.mark.parametrize("precision,variant", [("double", "O2-static"), ("float", "O2-static"),
                                               ("double", "O2-dyn"), ("float", "O0-static"),
                                               ("long double", "O2-static")])
def test_libm_functions(monkeypatch, precision, variant):
    """Every function of libm.RULES at several points (test_libm's program): the compiled
    hook takes the scalar double/float/long double calls itself (through PLT stubs in
    dynamic builds)."""
    seen = recorders(monkeypatch)
    exe = test_libm.gen_binary(precision, variant)
    py, c = record_both(monkeypatch, exe, test_libm.argv_of(precision))
    assert_same(py, c)
    assert seen[-1].hot.n_calls > 40  # the compiled path really took the calls


@pytest.mark.parametrize("source", [test_libm.BITTRICK, "libm/textround.c"])
def test_bit_trick_warnings(monkeypatch, source):
    exe = build(source, ("-O2", "-g"), static=True)
    py, c = record_both(monkeypatch, exe, ["1.25"])
    assert_same(py, c)
    assert any("bit trick" in w for w in c.warnings)


def test_machine_code_of_libm(monkeypatch):
    """Interception off: glibc's exp/sin differentiated through their machine code (magic
    rounding constants, integer tricks on the bits, table lookups)."""
    from revad_emu.ad.mathcalls import MathCalls

    exe = test_libm.gen_binary("double", "O2-static")
    monkeypatch.setattr(MathCalls, "spec_at", lambda self, addr: None)
    monkeypatch.setattr(MathCalls, "target_info", lambda self, target: None)
    monkeypatch.setattr(MathCalls, "untraced_regions", lambda self: [])
    py, c = record_both(monkeypatch, exe, test_libm.argv_of("double"))
    assert_same(py, c)
    assert c.warnings


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("program,extra", [("intrinsics", []), ("intrinsics2", ["split"])])
def test_sse_intrinsics(monkeypatch, opt, program, extra):
    exe = build(f"sse/{program}.c", (opt, "-msse4.1"), static=True)
    import test_sse_rules as t

    py, c = record_both(monkeypatch, exe, [repr(v) for v in t.A + t.F] + extra)
    assert_same(py, c)


def test_without_the_extension():
    """Without the compiled module at all (no C compiler at install time) the package falls
    back to the Python recorder and block hook, with the same Jacobian."""
    import subprocess
    import sys

    exe = build("ad/libm_mix.c", ("-O2",), static=False)
    code = ("import sys; sys.modules['revad_emu._hot'] = None\n"
            "from revad_emu import Emulator, compiled\n"
            "assert compiled._hot is None and not compiled.available()\n"
            f"r = Emulator({str(exe)!r}, ['0.5', '1.5']).record()\n"
            "print(repr(r.jacobian().tolist()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    J = Emulator(exe, ["0.5", "1.5"]).record().jacobian()
    assert eval(out.stdout) == J.tolist()  # noqa: S307 - our own repr of a list of floats
    assert np.abs(J).sum() > 0


@pytest.mark.parametrize("source,flags,argv", [
    ("widths/gpr_tricks.c", ("-O0", "-DT=double"), ["1.5", "-0.25", "drop"]),
    ("widths/gpr_tricks.c", ("-O2", "-DT=float", "-DT_IS_FLOAT"), ["-3.25", "2.0", "drop"]),
    ("widths/dg_widths.c", ("-O2", "-DT=long double"), ["1.0", "0.0"]),
    ("widths/dg_widths.c", ("-O0", "-DT=float"), ["0.75", "0.5"]),
], ids=["tricks-O0-double", "tricks-O2-float", "dg-O2-long-double", "dg-O0-float"])
def test_widths_and_gpr_tricks(monkeypatch, source, flags, argv):
    """Size-less marks decided at the first read, and the integer-register bit tricks
    (issue 9): both recorders give the same tape and warnings."""
    exe = build(source, flags)
    py, c = record_both(monkeypatch, exe, argv)
    assert_same(py, c)
    assert c.tape.parents.shape[0] > 4


def test_fortran_sizeless_marks(monkeypatch):
    """Derivgrind-shaped Fortran marks: raw bytes converted to a debugging value (a taint
    through cvtsi2sd/addsd), widths decided at the first read; same tapes."""
    import shutil
    from pathlib import Path

    if shutil.which("gfortran") is None:
        pytest.skip("no gfortran")
    shim = str(Path(__file__).parent / "include" / "dg_fortran_shim.c")
    exe = build("widths/dg_fortran_widths.f90", ("-O0",), extra_sources=(shim,))
    py, c = record_both(monkeypatch, exe, [])
    assert_same(py, c)
    assert c.warnings == []


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_passive_code_fast_exit(monkeypatch, opt):
    """Passive code after a mark (benchmark (d)'s program, small): the C hook's fast exit
    skips almost every instruction of the relaxation loop (nothing it touches is active,
    memory operands outside the active bounds), yet the tape, the warnings and the
    derivative are those of the Python reference, which runs every instruction's rule."""
    from pathlib import Path

    seen = recorders(monkeypatch)
    src = Path(__file__).resolve().parent.parent / "benchmarks" / "programs" / "passive_loop.c"
    exe = build(src, (opt,), static=True)
    py, c = record_both(monkeypatch, exe, ["0.3", "40", "30"])
    assert_same(py, c)
    hot = seen[-1].hot
    assert hot.n_skip > hot.n_c // 2  # the loop really took the fast exit
    y = float(c.stdout.split()[0])
    assert c.gradient()[0] == pytest.approx(y / 0.3, rel=1e-12)  # y = x * a[n/2]
