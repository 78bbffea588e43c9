"""rv.load / lib.function / rv.grad & co. on real libraries and executables built here.

Values are compared with native calls through ctypes (bit for bit), derivatives with
analytic formulas and with central finite differences of the native functions.
"""

from __future__ import annotations

import ctypes
import pickle
import warnings

import numpy as np
import pytest
from tests.buildcache import build, have

import revad_emu as rv
from revad_emu.functions.prototype import PrototypeError

SO = ("-shared", "-fPIC")
D = ctypes.c_double
PD = ctypes.POINTER(ctypes.c_double)


def _lib(flags=("-O2",)):
    return build("funcs/funcs.c", (*flags, *SO))


@pytest.fixture(scope="module", params=["-O0", "-O2", "-O3"])
def clib(request):
    path = _lib((request.param,))
    return rv.load(path), ctypes.CDLL(str(path))


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.c_void_p)


def test_issue_code_block():
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    assert f(np.array([1.0, 2.0]), 2) == 5.0
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    u = np.array([0.3, -0.7, 1.1])
    v = np.zeros(3)
    assert step(u, v, 0.1, 3) is None
    native = ctypes.CDLL(str(_lib()))
    w = np.zeros(3)
    native.step(_ptr(u), _ptr(w), D(0.1), ctypes.c_int(3))
    assert np.array_equal(v, w) and np.all(v != 0)


def test_values_match_native(clib):
    lib, nat = clib
    rng = np.random.default_rng(1)
    x = rng.normal(size=10)
    nat.energy.restype = D
    f = lib.function("energy", "double energy(const double *x, int n)")
    assert f(x, 10) == nat.energy(_ptr(x), ctypes.c_int(10))
    nat.fnorm2.restype = ctypes.c_float
    xf = x.astype(np.float32)
    g = lib.function("fnorm2", "float fnorm2(const float *x, size_t n)")
    assert g(xf, 10) == nat.fnorm2(_ptr(xf), ctypes.c_size_t(10))
    y0 = rng.normal(size=10)
    y, yn = y0.copy(), y0.copy()
    lib.function("axpy", "void(double a, const double *x, double *y, long n)")(2.5, x, y, 10)
    nat.axpy(D(2.5), _ptr(x), _ptr(yn), ctypes.c_long(10))
    assert np.array_equal(y, yn)
    nat.many.restype = D
    m = lib.function("many", "double many(double a, double b, double c, double d, double e, "
                     "double f, double g, double h, double i, double j, int k1, int k2, "
                     "int k3, int k4, int k5, int k6, int k7, int k8)")
    args = [0.5 * i for i in range(10)] + list(range(1, 9))
    cargs = [D(a) for a in args[:10]] + [ctypes.c_int(k) for k in args[10:]]
    assert m(*args) == nat.many(*cargs) == 11 * 0.5 * sum(i * (i + 1) for i in range(10)) / 11 \
        + 21 * 0.5 + 700 + 8000
    a = np.array([3, -1, 7], dtype=np.int32)
    assert lib.function("isum", "long isum(const int *a, int n, char c)")(a, 3, -5) == 4
    pos = lib.function("positive", "_Bool positive(double x)")
    assert pos(2.0) is True and pos(-1.0) is False


def test_long_double(clib):
    lib, nat = clib
    f = lib.function("lpoly", "long double lpoly(long double x, const long double *c, int n)")
    c = np.array([1.0, -2.0, 0.5, 1 / 3], dtype=np.longdouble)
    x = np.longdouble(1.1)
    want = np.longdouble(0)
    for ci in c[::-1]:  # the same Horner steps in 80-bit arithmetic (ctypes rounds to double)
        want = want * x + ci
    got = f(x, c, 4)
    assert isinstance(got, np.longdouble) and got == want
    nat.lpoly.restype = ctypes.c_longdouble
    assert float(got) == nat.lpoly(ctypes.c_longdouble(x), _ptr(c), ctypes.c_int(4))
    g = rv.grad(f, (0, 1))(x, c, 4)
    xx = float(x)
    cc = c.astype(float)
    assert g[0] == pytest.approx(cc[1] + 2 * cc[2] * xx + 3 * cc[3] * xx ** 2, rel=1e-14)
    np.testing.assert_allclose(g[1], [1, xx, xx ** 2, xx ** 3], rtol=1e-14)


def test_gradients_analytic_and_fd(clib):
    lib, nat = clib
    x = np.array([0.3, -1.2, 2.0, 0.7])
    f = lib.function("energy", "double energy(const double *x, int n)")
    g = rv.grad(f)(x, 4)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x, rtol=1e-15)
    v, g2 = rv.value_and_grad(f)(x, 4)
    assert v == pytest.approx(np.sum(x * x)) and np.array_equal(g, g2)
    # a libm-using function: Jacobian vs FD of the native function
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    J, Jdt = rv.jacobian(step, (0, 2))(x, np.zeros(4), 0.25, 4)
    assert J.shape == (4, 4) and Jdt.shape == (4,)
    d = np.sin(x) * np.exp(-x * x)
    dd = np.cos(x) * np.exp(-x * x) - 2 * x * d
    np.testing.assert_allclose(J, np.diag(1 + 0.25 * dd), rtol=1e-13)
    np.testing.assert_allclose(Jdt, d, rtol=1e-13)

    def native(u):
        out = np.zeros(4)
        nat.step(_ptr(np.ascontiguousarray(u)), _ptr(out), D(0.25), ctypes.c_int(4))
        return out

    h = 1e-6
    fd = np.stack([(native(x + h * e) - native(x - h * e)) / (2 * h) for e in np.eye(4)], 1)
    np.testing.assert_allclose(J, fd, rtol=1e-7, atol=1e-9)


def test_vjp_jvp_structure():
    lib = rv.load(_lib())
    axpy = lib.function("axpy", "void axpy(double a, const double *x, double *y, long n)")
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([0.5, 0.25, -1.0])
    out, pullback = rv.vjp(axpy, 2.0, x, y, 3)
    np.testing.assert_array_equal(out, 2.0 * x + y)
    np.testing.assert_array_equal(y, [0.5, 0.25, -1.0])  # transforms do not write in place
    for ybar in (np.ones(3), np.array([1.0, -2.0, 0.5])):  # one recording, many seeds
        abar, xbar, ybar_in, nbar = pullback(ybar)
        assert abar == pytest.approx(ybar @ x) and isinstance(abar, float)
        np.testing.assert_allclose(xbar, 2.0 * ybar)
        np.testing.assert_allclose(ybar_in, ybar)  # y's entry values are read
        assert nbar is None
    out2, tan = rv.jvp(axpy, (2.0, x, y, 3), (1.0, np.zeros(3), np.ones(3), None))
    np.testing.assert_allclose(tan, x + 1)
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    _, pb = rv.vjp(step, x, np.zeros(3), 0.1, 3)
    ubar, vbar, dtbar, nbar = pb(np.ones(3))
    assert vbar is None and nbar is None  # v is output-only: its entry values are never read
    assert ubar.shape == (3,) and isinstance(dtbar, float)
    f = lib.function("energy", "double energy(const double *x, int n)")
    assert rv.jacobian(f)(x, 3).shape == (3,)
    with pytest.raises(TypeError, match="scalar output"):
        rv.grad(step)(x, np.zeros(3), 0.1, 3)
    with pytest.raises(TypeError, match="not floating-point"):
        rv.grad(f, 1)(x, 3)


def test_state_and_constructor():
    lib = rv.load(_lib())
    count = lib.function("count", "int count(void)")
    assert [count(), count()] == [101, 101]  # constructor ran; calls start from loaded state
    kept = lib.function("count", "int count(void)", keep_state=True)
    assert [kept(), kept(), kept()] == [101, 102, 103]
    assert count() == 101


def test_errors_leave_library_usable():
    path = _lib(("-O0",))
    lib = rv.load(path)
    crash = lib.function("crash", "double crash(const double *x, int n)")
    with pytest.raises(rv.CallError, match=r"crash\(\) crashed.*0x0.*funcs\.c:\d+"):
        crash(np.array([1.0]), 0)
    with pytest.raises(rv.CallError, match=r"crash"):
        rv.grad(crash)(np.array([1.0]), 0)
    spin = lib.function("spin", "double spin(double x)", max_instructions=20_000)
    with pytest.raises(rv.CallError, match=r"spin\(\) exceeded its instruction budget.*funcs\.c"):
        spin(1.0)
    f = lib.function("energy", "double energy(const double *x, int n)")
    assert f(np.array([3.0]), 1) == 9.0
    np.testing.assert_array_equal(rv.grad(f)(np.array([3.0]), 1), [6.0])
    assert isinstance(rv.CallError("x"), rv.RevadError)


def test_argument_errors():
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    for bad in [(np.ones(2),), (np.ones(2), 2, 3), ("ab", 2), (np.ones(2), 2.5),
                (np.ones(2), "2"), (np.ones(2, complex), 2)]:
        with pytest.raises(TypeError):
            f(*bad)
    with pytest.raises(TypeError, match="dtype float64"):
        step(np.ones(2), np.zeros(2, np.float32), 0.1, 2)
    with pytest.raises(TypeError, match="C-contiguous"):
        step(np.ones(2), np.zeros((2, 2))[:, 0], 0.1, 2)
    assert f([1, 2], 2) == 5.0  # lists and int arrays convert for const pointers
    with pytest.raises(AttributeError, match="no symbol"):
        lib.function("nope", "double nope(double)")
    with pytest.raises(PrototypeError):
        lib.function("energy", "double energy(struct s *x)")


@pytest.mark.parametrize("kind", ["pie", "nopie", "static", "static-pie"])
def test_executables(kind):
    flags = {"pie": ("-O2",), "nopie": ("-O2", "-no-pie"), "static": ("-O2",),
             "static-pie": ("-O2", "-static-pie")}[kind]
    exe = build("funcs/funcs_main.c", flags, static=kind == "static")
    lib = rv.load(exe)
    f = lib.function("energy", "double energy(const double *x, int n)")
    x = np.array([1.5, -2.0])
    assert f(x, 2) == 6.25
    np.testing.assert_array_equal(rv.grad(f)(x, 2), 2 * x)
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    J = rv.jacobian(step)(x, np.zeros(2), 0.5, 2)
    d = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    np.testing.assert_allclose(J, np.diag(1 + 0.5 * d), rtol=1e-13)
    assert lib.function("count", "int count(void)")() == 101


def test_cpp():
    path = build("funcs/funcs_cpp.cc", ("-O2", *SO))
    lib = rv.load(path)
    nat = ctypes.CDLL(str(path))
    nat.rosen.restype = D
    rosen = lib.function("rosen", "double rosen(const double *x, int n)")
    x = np.array([0.5, -0.3, 1.2, 0.9])
    assert rosen(x, 4) == nat.rosen(_ptr(x), ctypes.c_int(4))
    g = rv.grad(rosen)(x, 4)
    want = np.zeros(4)
    for i in range(3):
        a = x[i + 1] - x[i] ** 2
        want[i] += -400 * a * x[i] - 2 * (1 - x[i])
        want[i + 1] += 200 * a
    np.testing.assert_allclose(g, want, rtol=1e-13)
    sm = lib.function("softmax", "void softmax(const double *x, double *y, int n)")
    J = rv.jacobian(sm)(x, np.zeros(4), 4)
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p), atol=1e-15)


@pytest.mark.skipif(not have("gfortran"), reason="gfortran not installed")
@pytest.mark.parametrize("opt", ["-O0", "-O3"])
def test_fortran(opt):
    path = build("funcs/funcs_f.f90", (opt, *SO), libs=())
    lib = rv.load(path)
    x = np.array([0.2, 0.4, -0.1])
    y = np.array([1.0, -2.0, 0.5])
    wdot = lib.function("wdot", "double wdot(const double *x, const double *y, int n)")
    gx, gy = rv.grad(wdot, (0, 1))(x, y, 3)
    assert wdot(x, y, 3) == pytest.approx(np.sum(x * y * np.exp(x)), rel=1e-15)
    np.testing.assert_allclose(gx, y * np.exp(x) * (1 + x), rtol=1e-14)
    np.testing.assert_allclose(gy, x * np.exp(x), rtol=1e-14)
    fe = lib.function("fenergy_", "double(const double *x, const int *n)")
    n = np.array(3, dtype=np.int32)
    assert fe(x, n) == pytest.approx(np.sum(x ** 2) + np.prod(np.cos(x)), rel=1e-15)
    assert fe(x, 3) == fe(x, n)  # a Python scalar for a pointer goes into guest memory
    g = rv.grad(fe)(x, 3)
    want = 2 * x - np.sin(x) * np.prod(np.cos(x)) / np.cos(x)
    np.testing.assert_allclose(g, want, rtol=1e-13)
    sqr = lib.function("sqr_", "void sqr_(const double *x, double *y, const int *n)")
    out = np.zeros(3)
    xp = np.abs(x)
    sqr(xp, out, 3)
    np.testing.assert_allclose(out, xp ** 2 + np.sqrt(xp), rtol=1e-15)
    np.testing.assert_allclose(rv.jacobian(sqr)(xp, out, 3),
                               np.diag(2 * xp + 0.5 / np.sqrt(xp)), rtol=1e-13)


def test_pickling_round_trip():
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    g = rv.grad(f)
    x = np.array([1.0, -3.0])
    f2, g2, lib2 = pickle.loads(pickle.dumps((f, g, lib)))
    assert f2(x, 2) == f(x, 2) == 10.0
    np.testing.assert_array_equal(g2(x, 2), [2.0, -6.0])
    assert lib2.path == lib.path
    import os

    cwd = os.getcwd()
    try:
        os.chdir(_lib().parent)
        rel = rv.load(_lib().name)
    finally:
        os.chdir(cwd)
    assert pickle.loads(pickle.dumps(rel)).path == str(_lib())  # usable from any directory
    g(x, 2)
    fast = lib.image.machine.fast
    kept = len(fast._keep)
    for _ in range(5):  # copies share the process image and its one recorder
        gg = pickle.loads(pickle.dumps(g))
        np.testing.assert_array_equal(gg(x, 2), [2.0, -6.0])
        assert gg.fn.library.image is lib.image
        assert len(fast._keep) == kept
    blob = pickle.dumps(rv.jacobian(f, 0))
    assert b"funcs" in blob and len(blob) < 2000  # path + prototype, not a process image


def test_pickled_in_process_pool():
    import concurrent.futures
    import multiprocessing

    lib = rv.load(_lib())
    g = rv.grad(lib.function("energy", "double energy(const double *x, int n)"))
    pts = [np.array([float(i), 1.0]) for i in range(4)]
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        res = list(ex.map(g, pts, [2] * 4))
    for p, r in zip(pts, res, strict=True):
        np.testing.assert_array_equal(r, 2 * p)


def test_no_warning_on_clean_function():
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rv.grad(f)(np.ones(3), 3)


def test_recorded_and_plain_calls_interleave():
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(size=5)
        assert f(x, 5) == pytest.approx(np.sum(x * x), rel=1e-15)
        np.testing.assert_allclose(rv.grad(f)(x, 5), 2 * x, rtol=1e-15)


def _cli(*args):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ)
    src = str(Path(rv.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "revad_emu", "call", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_call(tmp_path):
    import json

    lib = _lib()
    np.save(tmp_path / "u.npy", np.array([0.5, -1.0]))
    r = _cli(lib, "step", "void step(const double *u, double *v, double dt, int n)",
             f"@{tmp_path / 'u.npy'}", "0,0", "-0.5", "2", "--jacobian", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    u = np.array([0.5, -1.0])
    d = np.sin(u) * np.exp(-u * u)
    dd = np.cos(u) * np.exp(-u * u) - 2 * u * d
    np.testing.assert_allclose(rep["arrays"]["v"], u - 0.5 * d, rtol=1e-15)
    np.testing.assert_allclose(rep["jacobian"]["v"]["u"], np.diag(1 - 0.5 * dd), rtol=1e-13)
    np.testing.assert_allclose(rep["jacobian"]["v"]["dt"], d, rtol=1e-13)
    r = _cli(lib, "energy", "double energy(const double *x, int n)", "1,-2,3", "3", "--grad")
    assert r.returncode == 0 and r.stdout.splitlines() == ["result: 14.0",
                                                           'grad: {"x": [2.0, -4.0, 6.0]}']
    r = _cli(lib, "energy", "double energy(const double *x, int n)", "1,2")
    assert r.returncode == 2 and "takes 2 arguments" in r.stderr
    r = _cli(lib, "crash", "double crash(const double *x, int n)", "1", "0")
    assert r.returncode == 125 and "crash() crashed" in r.stderr and "Traceback" not in r.stderr
    r = _cli(tmp_path / "missing.so", "f", "double f(double)", "1")
    assert r.returncode == 127 and r.stderr.count("\n") == 1


def test_dropped_derivative_warns():
    lib = rv.load(_lib(("-O0",)))
    f = lib.function("nudgebits", "double nudgebits(double x)")
    assert f(1.5) == np.nextafter(1.5, 2.0)
    with pytest.warns(rv.DerivativeWarning, match="nudgebits.*bit"):
        rv.grad(f)(1.5)
    # A sign flip through the integer bits is recognised: exact, no warning.
    neg = lib.function("negbits", "double negbits(double x)")
    assert neg(1.5) == -1.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", rv.DerivativeWarning)
        assert rv.grad(neg)(1.5) == -1.0


def test_recorder_renewal(monkeypatch):
    from revad_emu.functions import library

    monkeypatch.setattr(library, "RENEW_NODES", 30)
    monkeypatch.setattr(library, "RENEW_FACTOR", 1)
    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    fast = lib.image.machine.fast
    recorders = []  # kept alive, so their ids stay distinct
    for k in range(12):
        x = np.arange(k + 3.0)
        np.testing.assert_array_equal(rv.grad(f)(x, k + 3), 2 * x)
        recorders.append(lib.image.rec)
        if k == 0:
            kept = len(fast._keep)
        assert len(fast._keep) == kept  # old recorders' hooks are removed, not piling up
    assert len({id(r) for r in recorders}) >= 3
    assert f(np.ones(4), 4) == 4.0


@pytest.mark.parametrize("kind", ["float", "long double"])
def test_inplace_float_and_long_double(kind):
    lib = rv.load(_lib())
    name = "fscale" if kind == "float" else "lscale"
    dt = np.float32 if kind == "float" else np.longdouble
    f = lib.function(name, f"void {name}({kind} *y, {kind} a, int n)")
    y0 = np.array([0.5, -1.25, 2.0], dtype=dt)
    y = y0.copy()
    f(y, dt(3), 3)
    assert y.dtype == dt and np.array_equal(y, dt(3) * y0 * y0)
    Jy, Ja = rv.jacobian(f, (0, 1))(y0, dt(3), 3)
    yy = y0.astype(float)
    np.testing.assert_allclose(Jy, np.diag(6 * yy), rtol=1e-15)
    np.testing.assert_allclose(Ja, yy * yy, rtol=1e-15)


def test_guest_output_reaches_stdout(capfd):
    lib = rv.load(_lib())
    f = lib.function("shout", "double shout(double x)")
    assert f(1.5) == 3.0
    assert rv.grad(f)(1.5) == 2.0
    assert capfd.readouterr().out == "shout 1.500\nshout 1.500\n"


def test_unsupported_instruction_names_function():
    lib = rv.load(build("funcs/funcs.c", ("-O3", "-mavx512f", "-mprefer-vector-width=512",
                                          *SO)))
    axpy = lib.function("axpy", "void axpy(double a, const double *x, double *y, long n)")
    y = np.zeros(16)
    with pytest.raises(rv.CallError, match=r"axpy\(\) hit an unsupported instruction.*"
                                           r"axpy\+0x[0-9a-f]+, funcs\.c:\d+"):
        axpy(2.0, np.ones(16), y, 16)
    assert lib.function("count", "int count(void)")() == 101  # still usable


@pytest.mark.parametrize("n", [50, 40_000])  # brk-sized and mmap-sized blocks
def test_heap_inside_calls(n):
    lib = rv.load(_lib())
    f = lib.function("heap_sum", "double heap_sum(const double *x, int n, int copies)")
    x = np.linspace(0, 1, n)
    regions = None
    for _ in range(4):
        assert f(x, n, 3) == pytest.approx(6 * x.sum(), rel=1e-12)
        now = [(r.start, r.end) for r in lib.image.machine.mem.regions]
        regions = now if regions is None else regions
        assert now == regions  # the call's mappings are undone by the next call's restore
    np.testing.assert_allclose(rv.grad(f)(x[:50], 50, 2), np.full(50, 3.0), rtol=1e-15)


def test_threads_share_a_library():
    from concurrent.futures import ThreadPoolExecutor

    lib = rv.load(_lib())
    f = lib.function("energy", "double energy(const double *x, int n)")
    g = rv.grad(f)
    with ThreadPoolExecutor(4) as ex:  # calls on one image are serialised, shapes per call
        res = list(ex.map(lambda k: (g(np.arange(k + 1.0), k + 1), f(np.ones(k), k)),
                          range(1, 25)))
    for k, (grad, val) in enumerate(res, start=1):
        np.testing.assert_array_equal(grad, 2 * np.arange(k + 1.0))
        assert val == k


def test_dependencies_and_load_errors(tmp_path):
    import subprocess

    (tmp_path / "g.c").write_text("double g(double x) { return 2 * x * x; }\n")
    (tmp_path / "h.c").write_text("double g(double);\ndouble h(double x) { return g(x) + x; }\n")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", str(tmp_path / "g.c"), "-o",
                    str(tmp_path / "libg.so")], check=True)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", str(tmp_path / "h.c"), "-o",
                    str(tmp_path / "libh.so"), f"-L{tmp_path}", "-lg"], check=True)
    with pytest.raises(rv.RevadError, match=r"libh\.so: loading failed: .*libg\.so: cannot "
                                            r"open shared object file"):
        rv.load(tmp_path / "libh.so")
    lib = rv.load(tmp_path / "libh.so", env={"LD_LIBRARY_PATH": str(tmp_path)})
    h = lib.function("h", "double h(double x)")
    assert h(1.5) == 6.0 and rv.grad(h)(1.5) == 7.0  # through the call into libg.so
    with pytest.raises(rv.RevadError, match="no such file"):
        rv.load(tmp_path / "nope.so")
    (tmp_path / "text.so").write_text("not an ELF")
    with pytest.raises(rv.RevadError, match="not an ELF"):
        rv.load(tmp_path / "text.so")
