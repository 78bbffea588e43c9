"""Native tests of revad.h and dg_requests.h, and a check of the finite-difference harness.

* revad.h compiles without warnings as C99, C11, C++11 and C++17 (-Wall -Wextra -pedantic
  -Werror), also included from two translation units linked together; natively every mark is
  a no-op and REVAD_RUNNING() is 0; the 19-byte special instruction is in the binary.
* The request ABI is checked by running freestanding code that uses the macros on Unicorn
  directly (independent of revad_emu's emulator): a hook at each special instruction reads the
  six-word request block, plays the tool and checks what the program sees afterwards.  For
  dg_requests.h this confirms the Derivgrind request sequence of DG_INPUTF / DG_OUTPUTF.
* fd_jacobian reproduces analytic Jacobians of a few corpus programs natively.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from buildcache import INCLUDE, build, have, run_native
from fdcheck import assert_jacobian_close, fd_jacobian, native_outputs

TESTS = Path(__file__).resolve().parent
DG_INCLUDE = TESTS / "include"
SPECIAL = bytes.fromhex("48C1C703 48C1C70D 48C1C73D 48C1C733 4887DB")
REVAD_BASE = 0x52410000
DG_BASE = 0x44470000
WARN = ["-Wall", "-Wextra", "-pedantic", "-Werror"]

MAIN_SRC = r"""
#include <stdio.h>
#include <string.h>
#include "revad.h"

double helper(double v);

int main(void)
{
    double x = 1.25, a[3] = {1.0, -2.0, 0.5};
    float f = 0.75f, fa[2] = {3.0f, 4.0f};
    long double l = 2.5L;
    const double cx = 4.0;
    REVAD_INPUT(x);
    REVAD_INPUT(f);
    REVAD_INPUT(l);
    REVAD_INPUT(cx);
    REVAD_INPUT_ARRAY(a, 3);
    REVAD_INPUT_ARRAY(fa, 2);
    REVAD_INPUT_NAMED("named", a, 3);
    double y = helper(x) + a[0] * a[1] * a[2] + f + fa[1] + (double)l + cx;
    REVAD_OUTPUT(y);
    REVAD_OUTPUT_ARRAY(a, 3);
    REVAD_OUTPUT_NAMED("y again", &y, 1);
    unsigned long long r = REVAD_INPUT(x);
    printf("%d %llu %d %d %d %.17g\n", REVAD_RUNNING(), r, REVAD_KIND_OF(f),
           REVAD_KIND_OF(x), REVAD_KIND_OF(l), y);
    return 0;
}
"""

HELPER_SRC = r"""
#include "revad.h"

double helper(double v);

double helper(double v)
{
    double w = v * 2.0;
    REVAD_OUTPUT(w);
    return w + (double)REVAD_RUNNING();
}
"""

# x*2 + (1 * -2 * 0.5) + 0.75 + 4 + 2.5 + 4
EXPECTED_Y = 1.25 * 2 - 1.0 + 0.75 + 4.0 + 2.5 + 4.0

STANDARDS = [("gcc", "c99", ".c"), ("gcc", "c11", ".c"), ("gcc", "gnu17", ".c"),
             ("g++", "c++11", ".cc"), ("g++", "c++17", ".cc")]


def _compile(compiler: str, sources: list[Path], out: Path, flags: list[str]) -> None:
    libs = [] if "-nostdlib" in flags else ["-lm"]
    cmd = [compiler, *flags, f"-I{INCLUDE}", f"-I{DG_INCLUDE}", *map(str, sources), "-o",
           str(out), *libs]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
    assert res.stderr == "", res.stderr


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("compiler,std,ext", STANDARDS, ids=[s[1] for s in STANDARDS])
def test_revad_h_compiles_clean_and_is_native_noop(tmp_path, compiler, std, ext, opt):
    main = tmp_path / f"main{ext}"
    helper = tmp_path / f"helper{ext}"
    main.write_text(MAIN_SRC)
    helper.write_text(HELPER_SRC)
    exe = tmp_path / "prog"
    _compile(compiler, [main, helper], exe, [f"-std={std}", opt, *WARN])
    res = run_native(exe)
    assert res.returncode == 0
    running, r, kf, kd, kl, y = res.stdout.decode().split()
    assert (running, r) == ("0", "0")
    assert (kf, kd, kl) == ("1", "0", "2")
    assert float(y) == EXPECTED_Y
    data = exe.read_bytes()
    # one copy per translation unit at -O0, one per call site when inlined
    assert data.count(SPECIAL) >= 2


@pytest.mark.parametrize("compiler,std,ext", STANDARDS, ids=[s[1] for s in STANDARDS])
def test_dg_requests_h_compiles_clean(tmp_path, compiler, std, ext):
    src = tmp_path / f"dg{ext}"
    src.write_text(r"""
#include <stdio.h>
#include "dg_requests.h"
#include "revad.h"
int main(void)
{
    double x = 1.5, dot = 1.0, got = -1.0;
    float f = 2.0f;
    DG_INPUTF(x);
    DG_INPUTF(f);
    double y = x * x;
    DG_OUTPUTF(y);
    DG_SET_DOTVALUE(&x, &dot, sizeof x);
    DG_GET_DOTVALUE(&y, &got, sizeof y);
    DG_DISABLE(1, 0);
    DG_DISABLE(0, 1);
    unsigned long long i = DG_INPUT(x), o = DG_OUTPUT(y);
    printf("%llu %llu %llu %llu %.17g %.17g\n", DG_GET_MODE, DG_RUNNING_ON_VALGRIND, i, o,
           got, y);
    return 0;
}
""")
    exe = tmp_path / "dg"
    _compile(compiler, [src], exe, [f"-std={std}", "-O2", *WARN])
    res = run_native(exe)
    assert res.returncode == 0
    assert res.stdout.decode().split() == ["0", "0", "0", "0", "-1", "2.25"]
    assert SPECIAL in exe.read_bytes()


def test_revad_disable_compiles_marks_away(tmp_path):
    src = tmp_path / "off.c"
    src.write_text('#define REVAD_DISABLE\n#include "revad.h"\n'
                   "int main(void) { double x = 1; REVAD_INPUT(x); return REVAD_RUNNING(); }\n")
    exe = tmp_path / "off"
    _compile("gcc", [src], exe, ["-std=c99", "-O2", *WARN])
    assert run_native(exe).returncode == 0
    assert SPECIAL not in exe.read_bytes()


# --------------------------------------------------------------------------------------------
# The request ABI, checked on Unicorn with freestanding code.

class RequestTracer:
    """Run a function of a freestanding static ELF on Unicorn and serve client requests."""

    STACK_TOP = 0x7FF0_0000
    SENTINEL = 0x1000_0000

    def __init__(self, path: Path):
        from elftools.elf.elffile import ELFFile
        from unicorn import UC_ARCH_X86, UC_HOOK_CODE, UC_MODE_64, Uc
        from unicorn import x86_const as x86

        self.x86 = x86
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.symbols: dict[str, int] = {}
        sites = []
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                lo = seg["p_vaddr"] & ~0xFFF
                hi = (seg["p_vaddr"] + seg["p_memsz"] + 0xFFF) & ~0xFFF
                self.uc.mem_map(lo, hi - lo)
                data = seg.data()
                self.uc.mem_write(seg["p_vaddr"], data)
                start = 0
                while (pos := data.find(SPECIAL, start)) >= 0:
                    sites.append(seg["p_vaddr"] + pos + 16)  # the xchg %rbx,%rbx
                    start = pos + 1
            for sym in elf.get_section_by_name(".symtab").iter_symbols():
                if sym.name:
                    self.symbols[sym.name] = sym["st_value"]
        assert sites, "no special instruction in the binary"
        self.uc.mem_map(self.STACK_TOP - 0x10_0000, 0x10_0000)
        self.uc.mem_map(self.SENTINEL, 0x1000)
        for site in sites:
            self.uc.hook_add(UC_HOOK_CODE, self._on_request, begin=site, end=site)
        self.requests: list[tuple[int, ...]] = []
        self.handler = lambda req, args: 0

    def u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.uc.mem_read(addr, 8))[0]

    def f64(self, addr: int) -> float:
        return struct.unpack("<d", self.uc.mem_read(addr, 8))[0]

    def put_u64(self, addr: int, value: int) -> None:
        self.uc.mem_write(addr, struct.pack("<Q", value))

    def put_f64(self, addr: int, value: float) -> None:
        self.uc.mem_write(addr, struct.pack("<d", value))

    def cstr(self, addr: int) -> str | None:
        if addr == 0:
            return None
        raw = bytes(self.uc.mem_read(addr, 256))
        return raw[: raw.index(b"\0")].decode()

    def _on_request(self, uc, address, size, user_data):
        block = self.uc.reg_read(self.x86.UC_X86_REG_RAX)
        words = struct.unpack("<6Q", self.uc.mem_read(block, 48))
        self.requests.append(words)
        default = self.uc.reg_read(self.x86.UC_X86_REG_RDX)
        result = self.handler(words[0], words[1:])
        self.uc.reg_write(self.x86.UC_X86_REG_RDX, default if result is None else result)

    def call(self, name: str) -> None:
        rsp = self.STACK_TOP - 0x1000
        rsp -= 8
        self.put_u64(rsp, self.SENTINEL)
        self.uc.reg_write(self.x86.UC_X86_REG_RSP, rsp)
        self.uc.emu_start(self.symbols[name], self.SENTINEL, count=1_000_000)


def _freestanding(tmp_path: Path, source: str, opt: str) -> Path:
    src = tmp_path / "probe.c"
    src.write_text(source)
    exe = tmp_path / f"probe{opt}"
    _compile("gcc", [src], exe, [opt, "-std=c11", *WARN, "-static", "-nostdlib", "-no-pie",
                                 "-fno-pic", "-fno-stack-protector", "-fcf-protection=none",
                                 "-Wl,-e,run", "-Wl,--build-id=none"])
    return exe


REVAD_PROBE = r"""
#include "revad.h"
void run(void);
double gx = 1.5, out_local, out_y;
float gf[3] = {1.0f, 2.0f, 3.0f};
long double gl = 2.5L;
int running_result;
void run(void)
{
    running_result = REVAD_RUNNING();
    double loc = gx * 2.0;
    REVAD_INPUT(loc);            /* the tool rewrites the value: the program must reload it */
    out_local = loc + 1.0;
    REVAD_INPUT(gx);
    REVAD_INPUT_ARRAY(gf, 3);
    REVAD_INPUT(gl);
    out_y = gx * (double)gf[1];
    REVAD_OUTPUT(out_y);
    REVAD_OUTPUT_NAMED("named", &out_y, 1);
}
"""


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_revad_request_abi_on_unicorn(tmp_path, opt):
    tracer = RequestTracer(_freestanding(tmp_path, REVAD_PROBE, opt))
    seen = []

    def handler(req, args):
        ptr, count, kind, name = args[:4]
        if req == REVAD_BASE:
            return 1
        entry = (req - REVAD_BASE, count, kind, tracer.cstr(name))
        if entry[3] == "loc":
            assert tracer.f64(ptr) == 3.0  # stored to memory before the request
            tracer.put_f64(ptr, 100.0)
            seen.append((entry, "stack"))
        else:
            seen.append((entry, ptr))
        return None

    tracer.handler = handler
    tracer.call("run")
    sym = tracer.symbols
    assert [r[0] for r in tracer.requests] == [REVAD_BASE] + [REVAD_BASE + 1] * 4 + \
        [REVAD_BASE + 2] * 2
    assert seen == [
        ((1, 1, 0, "loc"), "stack"),
        ((1, 1, 0, "gx"), sym["gx"]),
        ((1, 3, 1, "gf"), sym["gf"]),
        ((1, 1, 2, "gl"), sym["gl"]),
        ((2, 1, 0, "out_y"), sym["out_y"]),
        ((2, 1, 0, "named"), sym["out_y"]),
    ]
    assert struct.unpack("<i", tracer.uc.mem_read(sym["running_result"], 4))[0] == 1
    assert tracer.f64(sym["out_local"]) == 101.0
    assert tracer.f64(sym["out_y"]) == 3.0


DG_PROBE = r"""
#include "dg_requests.h"
void run(void);
double dx = 1.25, dy, dot_seed = 1.0, dot_got;
unsigned long long mode;
void run(void)
{
    mode = DG_GET_MODE;
    DG_INPUTF(dx);
    dy = dx * 3.0;
    DG_OUTPUTF(dy);
    DG_SET_DOTVALUE(&dx, &dot_seed, sizeof dx);
    DG_GET_DOTVALUE(&dy, &dot_got, sizeof dy);
    DG_DISABLE(1, 0);
    DG_DISABLE(0, 1);
}
"""


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_dg_request_sequence_matches_derivgrind(tmp_path, opt):
    """DG_INPUTF = NEW_INDEX_NOACTIVITYANALYSIS, SET_INDEX, INDEX_TO_FILE(0);
    DG_OUTPUTF = GET_INDEX, NEW_INDEX_NOACTIVITYANALYSIS (copy node, partial 1), INDEX_TO_FILE(1).
    """
    tracer = RequestTracer(_freestanding(tmp_path, DG_PROBE, opt))
    sym = tracer.symbols
    log = []
    next_index = [41]
    shadow = {}

    def handler(req, args):
        op = req - DG_BASE
        if op == 8:
            log.append(("GET_MODE",))
            return ord("b")
        if op == 6:
            tbi = [tracer.u64(args[0] + 8 * k) for k in range(6)]
            i1, i2 = tracer.u64(tbi[0]), tracer.u64(tbi[1])
            d1, d2 = tracer.f64(tbi[2]), tracer.f64(tbi[3])
            value = tracer.f64(tbi[5])
            next_index[0] += 1
            tracer.put_u64(tbi[4], next_index[0])
            log.append(("NEW_INDEX_NOAA", i1, i2, d1, d2, value, next_index[0]))
            return 1
        if op == 4:
            shadow[args[0]] = tracer.u64(args[1])
            log.append(("SET_INDEX", args[0], shadow[args[0]]))
            return 1
        if op == 3:
            shadow.setdefault(args[0], 7)  # pretend dy was computed as node 7
            tracer.put_u64(args[1], shadow[args[0]])
            log.append(("GET_INDEX", args[0]))
            return 1
        if op == 7:
            log.append(("INDEX_TO_FILE", args[0], tracer.u64(args[1])))
            return None
        if op in (0, 1):
            name = "GET_DOTVALUE" if op == 0 else "SET_DOTVALUE"
            log.append((name, args[0], args[1], args[2]))
            if op == 0:
                tracer.put_f64(args[1], 3.0)
            return 1
        if op == 2:
            log.append(("DISABLE", args[0], args[1]))
            return 1
        raise AssertionError(f"unexpected request {req:#x}")

    tracer.handler = handler
    tracer.call("run")
    assert log == [
        ("GET_MODE",),
        ("NEW_INDEX_NOAA", 0, 0, 0.0, 0.0, 1.25, 42),
        ("SET_INDEX", sym["dx"], 42),
        ("INDEX_TO_FILE", 0, 42),
        ("GET_INDEX", sym["dy"]),
        ("NEW_INDEX_NOAA", 7, 0, 1.0, 0.0, 3.75, 43),
        ("INDEX_TO_FILE", 1, 43),
        ("SET_DOTVALUE", sym["dx"], sym["dot_seed"], 8),
        ("GET_DOTVALUE", sym["dy"], sym["dot_got"], 8),
        ("DISABLE", 1, 0),
        ("DISABLE", 0, 1),
    ]
    assert tracer.u64(sym["mode"]) == ord("b")
    assert tracer.f64(sym["dot_got"]) == 3.0


# --------------------------------------------------------------------------------------------
# The finite-difference harness against analytic Jacobians (native runs only).

def _newton_jacobian(a: float, b: float) -> np.ndarray:
    s = 1.0
    for _ in range(60):
        s -= (s**3 + a * s - b) / (3 * s * s + a)
    d = 3 * s * s + a
    return np.array([[0.5 / np.sqrt(a), 0.0], [0.0, 1.0 / (3.0 * np.cbrt(b) ** 2)],
                     [-s / d, 1.0 / d]])


def _linsolve_jacobian(x0: np.ndarray) -> np.ndarray:
    A, b = x0[:16].reshape(4, 4), x0[16:]
    Ainv = np.linalg.inv(A)
    x = Ainv @ b
    JA = -np.einsum("ki,j->kij", Ainv, x).reshape(4, 16)
    return np.hstack([JA, Ainv])


LINSOLVE_X0 = np.array([0.5, 2.0, 1.0, -1.0, 3.0, 1.0, -0.5, 2.0, 1.0, -2.5, 4.0, 0.5,
                        -1.5, 0.5, 1.0, 3.5, 1.0, -2.0, 0.5, 3.0])


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_fd_harness_newton(method):
    exe = build("ad/newton.c", ("-O2",))
    x0 = [2.0, 5.0]
    J = fd_jacobian(exe, x0, method=method)
    assert_jacobian_close(J, _newton_jacobian(*x0), rtol=1e-7 if method == "central" else 1e-9)


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_fd_harness_linsolve(method):
    exe = build("ad/linsolve.c", ("-O2",))
    J = fd_jacobian(exe, LINSOLVE_X0, method=method)
    assert J.shape == (4, 20)
    assert_jacobian_close(J, _linsolve_jacobian(LINSOLVE_X0), rtol=1e-7)


def test_fd_harness_float_program():
    exe = build("ad/float_arith.c", ("-O2",))
    x, y, z = 1.25, 0.75, 2.125  # exact in float32
    J = fd_jacobian(exe, [x, y, z], precision="float", method="richardson")
    assert J.shape == (6, 3)
    mix = [y - z / x**2, x - 1 / z, 1 / x + y / z**2]
    q = 1 + z * z
    ratio = [2 * x / q, -2 * y / q, -(x * x - y * y) * 2 * z / q**2]
    assert_jacobian_close(J[[0, 5]], np.array([mix, ratio]), precision="float")
    assert_jacobian_close(J[2], np.array([0.0, z, y]), precision="float")


def test_native_outputs_parse_and_round_trip():
    exe = build("ad/arith.c", ("-O2",))
    out = native_outputs(exe, [1.3, 0.7, 2.1])
    assert out.shape == (6,)
    assert out[2] == pytest.approx(0.7 * 2.1, rel=1e-15)


@pytest.mark.skipif(not have("gfortran"), reason="gfortran not installed")
def test_fortran_example_builds_and_runs(tmp_path):
    examples = TESTS.parent / "examples"
    exe = tmp_path / "fex"
    cmd = ["gfortran", "-O2", f"-J{tmp_path}", f"-I{INCLUDE}", str(INCLUDE / "revad.f90"),
           str(examples / "fortran_example.f90"), str(INCLUDE / "revad_fortran.c"), "-o",
           str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    out = run_native(exe, ["2", "3"])
    assert out.returncode == 0
    assert float(out.stdout.split()[0]) == pytest.approx(2.0**2 * 3 + 3 / 2, rel=1e-15)


@pytest.mark.parametrize("name,compiler", [("example.c", "gcc"), ("example.cc", "g++")])
def test_c_examples_build_and_run(tmp_path, name, compiler):
    exe = tmp_path / "ex"
    _compile(compiler, [TESTS.parent / "examples" / name], exe, ["-O2", *WARN])
    out = run_native(exe)
    assert out.returncode == 0
    assert len(out.stdout.split()) >= 1
