"""Differentiating unmodified programs: inputs and outputs chosen from outside (issue 11).

The programs in tests/programs/outside have no marks. Inputs are the numbers they parse
(argv, stdin, a file; strtod, scanf, iostream, Fortran READ), their globals, the arguments of
their functions, or raw addresses; outputs are the values they print (stdout, stderr, a
string, a file; printf, iostream, Fortran WRITE), globals, results and pointed-to arrays.
Derivatives are checked against central differences of the native binary (perturbing the
text it reads) or against a Python model of the program whose values are first checked
against the native run.
"""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

from buildcache import build, have, run_native
from revad_emu import Emulator
from revad_emu.cli import main as cli_main
from revad_emu.outside import SelectorError

pytestmark = pytest.mark.skipif(not have("gcc"), reason="gcc is needed")


def fd_check(J: np.ndarray, f, x0: list[float], rtol: float = 1e-5,
             float_cols: tuple[int, ...] = ()) -> None:
    """Compare J with central differences of f (a native run) at x0. Inputs the program
    reads as float (`float_cols`) are perturbed to float32 values, dividing by the step
    really taken."""
    x0 = np.asarray(x0, dtype=float)
    cols = []
    for i in range(len(x0)):
        h = 1e-5 * max(1.0, abs(x0[i]))
        xp, xm = x0.copy(), x0.copy()
        xp[i] += h
        xm[i] -= h
        if i in float_cols:
            xp[i], xm[i] = float(np.float32(xp[i])), float(np.float32(xm[i]))
        cols.append((np.asarray(f(xp)) - np.asarray(f(xm))) / (xp[i] - xm[i]))
    fd = np.stack(cols, axis=1)
    scale = max(1.0, float(np.abs(fd).max()))
    np.testing.assert_allclose(J, fd, rtol=rtol, atol=rtol * scale)


def numbers(text: bytes) -> list[float]:
    out = []
    for tok in text.split():
        try:
            out.append(float(tok.replace(b"D", b"E").replace(b"d", b"e")))
        except ValueError:
            pass
    return out


# -- C: argv, stdin, a file; stdout, stderr, a string, a file --------------------------------
TEXT_IO = [(("-O0",), False), (("-O2",), False), (("-O3",), False), (("-O2",), True)]


@pytest.mark.parametrize("flags,static", TEXT_IO,
                         ids=[f"{f[0]}-{'static' if s else 'dyn'}" for f, s in TEXT_IO])
def test_c_text_io_parsed_printed(tmp_path, flags, static):
    exe = build("outside/text_io.c", flags, static=static)
    data, out = tmp_path / "w.txt", tmp_path / "out" / "o.txt"
    out.parent.mkdir()
    x0 = [1.25, 2.5, 0.5, 0.75]  # argv, stdin (2 numbers), file

    def native(x) -> list[float]:
        x = [float(v) for v in x]
        data.write_text(f"{x[3]!r}\n")
        r = run_native(exe, [repr(x[0]), str(data), str(out)], f"{x[1]!r} {x[2]!r}\n".encode())
        assert r.returncode == 0
        return numbers(r.stdout) + numbers(r.stderr) + numbers(out.read_bytes())

    data.write_text("0.75\n")
    rec = Emulator(exe, [repr(x0[0]), str(data), str(out)], stdin=b"2.5 0.5\n",
                   allow_write=[out.parent], inputs=["parsed"], outputs=["printed"]).record()
    assert rec.exit_code == 0
    names_in = rec.input_names
    assert names_in == ["parsed[0]=1.25 (argv[1])", "parsed[1]=2.5 (stdin line 1)",
                        "parsed[2]=0.5 (stdin line 1)", "parsed[3]=0.75 (w.txt line 1)"]
    outs = rec.output_names
    assert outs[0].startswith('printed[0]="3.6044') and outs[0].endswith("(stdout line 1)")
    assert outs[1].endswith("(stderr line 1)")
    assert outs[2].startswith('printed[2]="1.118067') and outs[2].endswith("(o.txt line 1)")
    assert outs[3] == 'printed[3]="1.375" (o.txt line 2)'
    fd_check(rec.jacobian(), native, x0, rtol=1e-6, float_cols=(2,))  # z: scanf %f
    np.testing.assert_allclose(rec.jacobian()[:, 2], [math.cos(0.5), 0, -2.5 * math.exp(-1.25)
                                                      / (1 + 1.25**2), -1], rtol=1e-6)


def test_selected_ranges_and_order(tmp_path):
    exe = build("outside/text_io.c", ("-O2",))
    (tmp_path / "w.txt").write_text("0.75")
    rec = Emulator(exe, ["1.25", str(tmp_path / "w.txt"), str(tmp_path / "o.txt")],
                   stdin=b"2.5 0.5\n", allow_write=[tmp_path], inputs=["parsed:0-1"],
                   outputs=["printed:0", "strtod:ret"]).record()
    assert rec.exit_code == 0
    assert [n.split(" ")[0] for n in rec.input_names] == ["parsed[0]=1.25", "parsed[1]=2.5"]
    # strtod's result (the wrapper tail-jumps into the converter hooked for `parsed`: the
    # input is marked before the result is read) comes before the printf, in run order
    assert rec.output_names == ["strtod#0:ret", 'printed[0]="3.604425538604203" (stdout line 1)']
    np.testing.assert_allclose(rec.jacobian(), [[1, 0], [2.5, 1.25]], rtol=1e-15)


# -- many inputs: a readable table ----------------------------------------------------------
def test_hundred_inputs_table_csv_json(tmp_path, capsys):
    exe = build("outside/many.c", ("-O2",))
    vals = [0.5 + 0.01 * i for i in range(100)]
    stdin = tmp_path / "in.txt"
    stdin.write_text("\n".join(repr(v) for v in vals) + "\n")
    rc = cli_main(["--input", "parsed", "--output", "printed", "--stdin", str(stdin),
                   str(exe)])
    assert rc == 0
    err = capsys.readouterr().err
    table = [ln for ln in err.splitlines() if ln.startswith("  /d parsed[")]
    assert len(table) == 100  # transposed: one line per input
    assert "parsed[99]=1.49 (stdin line 100)" in table[99]
    assert max(len(ln) for ln in table) < 160
    csv_path = tmp_path / "j.csv"
    rc = cli_main(["--input", "parsed", "--output", "printed", "--stdin", str(stdin),
                   "--format", "csv", "--report", str(csv_path), str(exe)])
    assert rc == 0
    import csv

    rows = list(csv.reader(csv_path.open()))
    assert rows[0][:3] == ["output", "value", "parsed[0]=0.5 (stdin line 1)"]
    assert len(rows[0]) == 102 and len(rows) == 4
    np.testing.assert_allclose([float(v) for v in rows[2][2:]], [1.0] * 100)
    np.testing.assert_allclose([float(v) for v in rows[3][2:]], [2 * v for v in vals])
    js = tmp_path / "r.json"
    assert cli_main(["--input", "parsed:0-1", "--output", "printed", "--stdin", str(stdin),
                     "--format", "json", "-o", str(js), str(exe)]) == 0
    rep = json.loads(js.read_text())
    assert [i["name"] for i in rep["inputs"]] == ["parsed[0]=0.5 (stdin line 1)",
                                                  "parsed[1]=0.51 (stdin line 2)"]
    assert rep["outputs"][1]["name"].endswith("(stdout line 2)")
    np.testing.assert_allclose(rep["jacobian"], [[1, 1], [1.0, 1.02]])


# -- C++ iostream ---------------------------------------------------------------------------
@pytest.mark.skipif(not have("g++"), reason="g++ is needed")
@pytest.mark.parametrize("static", [False, True], ids=["dyn", "static"])
def test_cpp_iostream(static):
    exe = build("outside/cpp_stream.cc", ("-O2",), static=static)

    def native(x):
        x = [float(v) for v in x]
        r = run_native(exe, [repr(x[0])], f"{x[1]!r} {x[2]!r}\n".encode())
        return numbers(r.stdout)

    x0 = [0.25, 2.0, 0.5]
    rec = Emulator(exe, ["0.25"], stdin=b"2 0.5\n", inputs=["parsed"],
                   outputs=["printed"]).record()
    assert rec.input_names == ["parsed[0]=0.25 (argv[1])", "parsed[1]=2 (stdin line 1)",
                               "parsed[2]=0.5 (stdin line 1)"]
    assert rec.output_names == ['printed[0]="2.148721271" (stdout line 1)',
                                'printed[1]="4.031128874" (stdout line 2)']
    a, b, c = x0
    r = math.hypot(a, b)
    J = [[b, a, math.exp(c)], [a / r / c, b / r / c, -r / c**2]]
    np.testing.assert_allclose(rec.jacobian(), J, rtol=1e-12)
    fd_check(rec.jacobian(), native, x0, rtol=1e-4)  # 10 printed digits


# -- Fortran formatted and list-directed I/O ------------------------------------------------
@pytest.mark.skipif(not have("gfortran"), reason="gfortran is needed")
@pytest.mark.parametrize("static", [False, True], ids=["dyn", "static"])
def test_fortran_read_write(static):
    try:
        exe = build("outside/fortran_io.f90", ("-O2",), static=static, libs=())
    except RuntimeError as e:
        pytest.skip(f"cannot build: {e}")
    rec = Emulator(exe, ["0.25"], stdin=b"2.0 0.5\n", inputs=["parsed"],
                   outputs=["printed"]).record()
    assert rec.stdout == run_native(exe, ["0.25"], b"2.0 0.5\n").stdout
    assert [n.split(" (")[1] for n in rec.input_names] == ["stdin line 1)", "stdin line 1)",
                                                           "argv[1])"]
    assert [n.rsplit(" (", 1)[1] for n in rec.output_names] == [
        "stdout line 1)", "stdout line 2)", "stdout line 3)"]
    assert rec.output_names[0] == 'printed[0]="1.250000" (stdout line 1)'  # as written
    x, y, z = 2.0, 0.5, 0.25
    J = [[y, x, 1], [math.cos(x) * z, 0, math.sin(x)], [0, 1 / z, -y / z**2]]
    np.testing.assert_allclose(rec.jacobian(), J, rtol=1e-12)


@pytest.mark.skipif(not have("gfortran"), reason="gfortran is needed")
def test_cli_fortran_csv(tmp_path, capfd):
    """The issue's command line, on a Fortran program, with the CSV report."""
    try:
        exe = build("outside/fortran_io.f90", ("-O2",), libs=())
    except RuntimeError as e:
        pytest.skip(f"cannot build: {e}")
    (tmp_path / "in.txt").write_text("2.0 0.5\n")
    rep = tmp_path / "j.csv"
    assert cli_main(["--input", "parsed", "--output", "printed", "--stdin",
                     str(tmp_path / "in.txt"), "--format", "csv", "--report", str(rep),
                     str(exe), "0.25"]) == 0
    assert capfd.readouterr().out.split() == ["1.250000", "0.22732435670642043",
                                               "2.000000E+00"]
    import csv

    rows = list(csv.reader(rep.open()))
    J = np.array([[float(v) for v in r[2:]] for r in rows[2:]])
    x, y, z = 2.0, 0.5, 0.25
    np.testing.assert_allclose(J, [[y, x, 1], [math.cos(x) * z, 0, math.sin(x)],
                                   [0, 1 / z, -y / z**2]], rtol=1e-12)


# -- globals, function arguments/results, pointers, raw addresses --------------------------
def model(gain=1.5, coef=(0.5, -1.0, 2.0), scale=0.25, x0=0.3, hs=(0.01,) * 5, w=0.5):
    """funcs.c in Python (double arithmetic; scale_f is a float, w a long double)."""
    x = x0
    steps = []
    for k in range(5):
        x = x + hs[k] * (coef[k % 3] * x * x + gain)
        steps.append(x)
    v = [x, x * scale]
    v = [vi * w + math.sin(vi) for vi in v]
    return {"x": x, "steps": steps, "v": v, "result": [v[0] + v[1], v[0] * v[0] * gain]}


def fd_model(f, x0, h=1e-6):
    x0 = np.asarray(x0, dtype=float)
    cols = []
    for i in range(len(x0)):
        xp, xm = x0.copy(), x0.copy()
        xp[i] += h
        xm[i] -= h
        cols.append((np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * h))
    return np.stack(cols, axis=1)


@pytest.fixture(scope="module")
def funcs():
    exe = build("outside/funcs.c", ("-O2",))
    got = numbers(run_native(exe, ["0.3"]).stdout)
    m = model()
    assert got == pytest.approx([m["x"], *m["result"]], rel=1e-13)  # the model is right
    return exe


def test_globals(funcs):
    rec = Emulator(funcs, ["0.3"], inputs=["gain", "coef", "scale_f"],
                   outputs=["result"]).record()
    assert rec.input_names == ["gain", "coef[0]", "coef[1]", "coef[2]", "scale_f"]
    assert rec.output_names == ["result[0]", "result[1]"]
    fd = fd_model(lambda p: model(gain=p[0], coef=p[1:4], scale=p[4])["result"],
                  [1.5, 0.5, -1.0, 2.0, 0.25])
    np.testing.assert_allclose(rec.jacobian(), fd, rtol=1e-6, atol=1e-9)


def test_function_calls_and_pointer(funcs):
    rec = Emulator(funcs, ["0.3"], inputs=["step#0:arg0", "step:arg1"],
                   outputs=["step#4:ret", "step#1-2:ret", "smooth:*arg0[2]"]).record()
    assert rec.input_names == ["step#0:arg0"] + [f"step#{k}:arg1" for k in range(5)]
    assert rec.output_names == ["step#1:ret", "step#2:ret", "step#4:ret",
                                "smooth#0:*arg0[0]", "smooth#0:*arg0[1]"]

    def f(p):
        m = model(x0=p[0], hs=p[1:6])
        return [m["steps"][1], m["steps"][2], m["steps"][4], *m["v"]]

    fd = fd_model(f, [0.3] + [0.01] * 5)
    np.testing.assert_allclose(rec.jacobian(), fd, rtol=1e-6, atol=1e-9)
    assert rec.jacobian()[0, 4] == 0.0  # step#1 does not depend on the 4th call's h


def test_long_double_argument_and_result(funcs):
    rec = Emulator(funcs, ["0.3"], inputs=["smooth:arg0"],
                   outputs=["result", "lstep:ret"]).record()
    assert rec.input_names == ["smooth#0:arg0"]  # the long double on the stack
    # rows in the order met: lstep's return (during the run), then the globals (at exit)
    assert rec.output_names == ["lstep#0:ret", "result[0]", "result[1]"]
    fd = fd_model(lambda p: [model(w=p[0])["result"][1], *model(w=p[0])["result"]], [0.5])
    np.testing.assert_allclose(rec.jacobian(), fd, rtol=1e-6)


def test_stripped_raw_addresses(funcs, tmp_path):
    syms = {}
    for line in subprocess.run(["nm", str(funcs)], capture_output=True, text=True).stdout \
            .splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    stripped = tmp_path / "funcs_stripped"
    subprocess.run(["strip", "-o", str(stripped), str(funcs)], check=True)
    rec = Emulator(stripped, ["0.3"],
                   inputs=[f"{syms['gain']:#x}:double", f"{syms['coef']:#x}:double[3]"],
                   outputs=[f"{syms['result']:#x}:double[2]"]).record()
    assert rec.input_names == [f"{syms['gain']:#x}"] + [f"{syms['coef']:#x}[{i}]"
                                                        for i in range(3)]
    ref = Emulator(funcs, ["0.3"], inputs=["gain", "coef"], outputs=["result"]).record()
    np.testing.assert_array_equal(rec.jacobian(), ref.jacobian())
    with pytest.raises(SelectorError, match="stripped"):
        Emulator(stripped, ["0.3"], inputs=["gain"]).record()


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    (["--input", "gian"], "closest: gain"),
    (["--input", "gain:quad"], "unknown type 'quad'"),
    (["--input", "step:arg2"], "only 2 floating-point argument"),
    (["--input", "step:arg[1]"], "not a floating-point value"),
    (["--input", "printed"], "only be selected with --output"),
    (["--output", "coef[7]"], "has 3 double element"),
    (["--input", "stpe:arg0"], "closest: step"),
    (["--input", "parsed:5", "--output", "result"], "the program parsed 1 floating-point"),
    (["--input", "step#9:arg0", "--output", "result"], "step was called 5 time"),
    (["--input", "what?"], "cannot parse selector"),
    (["--output", "report.json"], "-o/--report FILE"),
    (["--output", "sin:ret"], "math-library function"),
])
def test_bad_selectors_are_usage_errors(funcs, capsys, args, message):
    assert cli_main([*args, str(funcs), "0.3"]) == 2
    assert message in capsys.readouterr().err


def test_combines_with_compiled_marks():
    """REVAD_INPUT marks in the program, outputs chosen from outside: the printed values'
    rows equal the rows of the program's own REVAD_OUTPUT marks of the same values."""
    exe = build("ad/arith.c", ("-O2",))
    plain = Emulator(exe, ["1.5", "0.7", "2.1"]).record()
    both = Emulator(exe, ["1.5", "0.7", "2.1"], outputs=["printed"]).record()
    assert both.input_names == plain.input_names
    n = len(plain.outputs)
    assert both.output_names[:n] == plain.output_names
    assert [o.split(" (")[1] for o in both.output_names[n:]] == [
        f"stdout line {k + 1})" for k in range(n)]
    np.testing.assert_array_equal(both.jacobian()[n:], plain.jacobian())
    np.testing.assert_array_equal(both.jacobian()[:n], plain.jacobian())


def test_compiled_and_python_recorders_agree(monkeypatch, tmp_path):
    test_compiled = pytest.importorskip("test_compiled")
    exe = build("outside/funcs.c", ("-O2",))
    out = []
    for pure in ("1", "0"):
        monkeypatch.setenv("REVAD_PURE_PYTHON", pure)
        out.append(Emulator(exe, ["0.3"], inputs=["gain", "step:arg1", "smooth:arg0"],
                            outputs=["printed", "smooth:*arg0[2]", "lstep:ret"]).record())
    test_compiled.assert_same(*out)


@pytest.mark.parametrize("static", [False, True], ids=["dyn", "static"])
def test_precisions_hex_and_strings(static):
    """strtof/strtold/sscanf %Lf inputs; %a, %La, %Lg outputs; a string never printed."""
    exe = build("outside/formats.c", ("-O2",), static=static)
    rec = Emulator(exe, ["1.5", "2.5"], inputs=["parsed"], outputs=["printed"]).record()
    assert rec.stdout == run_native(exe, ["1.5", "2.5"]).stdout
    assert rec.input_names == ["parsed[0]=1.5 (argv[1])", "parsed[1]=2.5 (argv[2])",
                               "parsed[2]=1.5 (argv[1])", "parsed[3]=0.125 (string)"]
    assert rec.output_names == [
        'printed[0]="0x1.2p+1" (stdout line 1)', 'printed[1]="0xc.8p-1" (stdout line 1)',
        'printed[2]="0.9375" (stdout line 2)', 'printed[3]="2.25" (stdout line 2)',
        'printed[4]="3.750e+00" (string)']
    x, y, t = 1.5, 2.5, 0.125
    J = [[2 * x, 0, 0, 0], [0, 2 * y, 0, 0], [0, 3 * t, 0, 3 * y], [0, 0, 2 * x, 0],
         [y, x, 0, 0]]
    np.testing.assert_allclose(rec.jacobian(), J, rtol=1e-15)


def test_arg_any_class_needs_dwarf(funcs, tmp_path, capsys):
    nodebug = tmp_path / "funcs_nodebug"
    subprocess.run(["strip", "--strip-debug", "-o", str(nodebug), str(funcs)], check=True)
    assert cli_main(["--input", "smooth:arg[2]", str(nodebug), "0.3"]) == 2
    assert "needs DWARF" in capsys.readouterr().err
    with_dwarf = Emulator(funcs, ["0.3"], inputs=["smooth:arg[2]"], outputs=["result"]).record()
    by_fp_index = Emulator(funcs, ["0.3"], inputs=["smooth:arg0"], outputs=["result"]).record()
    assert with_dwarf.input_names == ["smooth#0:arg[2]"]
    np.testing.assert_array_equal(with_dwarf.jacobian(), by_fp_index.jacobian())


@pytest.mark.skipif(not have("g++") or not have("c++filt"), reason="g++ and c++filt needed")
def test_cpp_function_names(capsys):
    """C++ functions by their demangled names: a namespace function, one overload by its
    parameter list, a member function's argument by DWARF (after `this`), a namespace
    global; an overloaded name alone is ambiguous."""
    exe = build("outside/cpp_funcs.cc", ("-O2",))
    rec = Emulator(exe, ["2", "3"],
                   inputs=["phys::damping", "parsed", "phys::Body::momentum:arg[1]"],
                   outputs=["phys::energy:ret", "phys::scale(float):ret",
                            "phys::Body::momentum:ret"]).record()
    assert rec.input_names == ["phys::damping", "parsed[0]=2 (argv[1])",
                               "parsed[1]=3 (argv[2])", "phys::Body::momentum#0:arg[1]"]
    assert rec.output_names == ["phys::energy#0:ret", "phys::energy#1:ret",
                                "phys::energy#2:ret", "phys::scale(float)#0:ret",
                                "phys::Body::momentum#0:ret"]
    d, m, v, dt = 0.1, 2.0, 3.0, 0.5
    q = 1 - d
    rows = [[-0.5 * m * v * v * 2 * k * q ** (2 * k - 1), 0.5 * v * v * q ** (2 * k),
             m * v * q ** (2 * k), 0] for k in range(3)]
    rows.append([-1.5 * v * q**2, 0, 0.5 * q**3, 0])
    e = math.exp(-dt)
    rows.append([-3 * m * v * q**2 * e, v * q**3 * e, m * q**3 * e, -m * v * q**3 * e])
    np.testing.assert_allclose(rec.jacobian(), rows, rtol=1e-6, atol=1e-12)
    assert cli_main(["--output", "phys::scale:ret", str(exe), "2", "3"]) == 2
    assert "names 2 functions" in capsys.readouterr().err
