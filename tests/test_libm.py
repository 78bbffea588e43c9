"""Math-library calls: every function of `libm.RULES` recorded against analytic derivatives
and finite differences, glibc's aliases and CPU variants, stripped binaries, bit tricks and
sign-mask idioms.

* test_functions: one run of programs/libm/libm_gen.c per precision (double, float, long
  double) and build (-O0 / -O2 static, -O2 dynamic) evaluates every function at several
  points; one recording gives all Jacobian rows at once.  Each case's block must match the
  analytic derivative (Python's math), the central finite differences of the native
  program (for float: of the double program at the float-rounded point), and every other
  entry must be exactly zero.  A call the compiler emitted (objdump: `call` from main to
  any glibc name of the function) must be recorded as one `libm:<name>` node; functions gcc
  inlined (fabs, copysign, rint at -O2...) are differentiated through their instructions.
* test_static_variants / test_direct_variant_calls: every CPU-variant name of a math
  function in a static binary (`__sin_sse2`, `__ieee754_exp_fma`...) is in `libm.SYMBOLS`;
  IFUNC'd functions are intercepted; programs/libm/variants.c calls the SSE2 variants by
  name.  test_floatn_*: the TS 18661-3 names (sinf64, expf32, logf64x...).
* test_stripped_static: without symbols nothing can be intercepted; glibc's own code is
  differentiated, and the result must be right or come with a warning.
* test_bit_trick: an integer add of 1 on a double's bits (no rule) warns with
  `bittrick.c:<line>`, and `record(strict=True)` raises DerivativeError.
* test_sign_masks: |x|, -x, copysign, -|x| done with and/xor/or masks are exact and silent,
  also with -ffast-math and with SSE2 intrinsics (pand/pxor/por).

"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from buildcache import PROGRAMS, build, have, run_native
from fdcheck import fd_jacobian, format_arg, jacobian_mismatch, parse_outputs, round_to

revad_emu = pytest.importorskip("revad_emu")
from revad_emu import Emulator  # noqa: E402
from revad_emu.ad.libm import RULES, SYMBOLS, candidate_names  # noqa: E402
from revad_emu.errors import DerivativeError  # noqa: E402

pytestmark = pytest.mark.skipif(not have("gcc"), reason="gcc missing")

GEN = "libm/libm_gen.c"
PRECISIONS = {  # name: (compile flags, function-name suffix, rtol vs analytic, rtol vs FD)
    "double": ((), "", 1e-12, 1e-6),
    "float": (("-DGEN_FLOAT",), "f", 1e-5, 1e-5),
    "long double": (("-DGEN_LONG",), "l", 1e-12, 1e-6),
}
VARIANTS = {"O0-static": (("-O0",), True), "O2-static": (("-O2",), True),
            "O2-dyn": (("-O2",), False)}
# Functions sharing one entry point in glibc: the op may carry either name.
ALIASES = {"ldexp": {"ldexp", "scalbn"}, "scalbn": {"ldexp", "scalbn"}}


# --------------------------------------------------------------------------------------------
# The cases and their analytic derivatives.

@dataclass(frozen=True)
class Case:
    fn: str
    args: tuple[float, ...]
    n: int | None = None  # the integer argument of ldexp / scalbn
    fd: bool = True       # finite differences are meaningful here

    @property
    def spec(self) -> str:
        return self.fn if self.n is None else f"{self.fn}:{self.n}"

    @property
    def nout(self) -> int:
        return 2 if self.fn in ("sincos", "modf") else 1


def _c(fn, *points, **kw):
    return [Case(fn, p if isinstance(p, tuple) else (p,), **kw) for p in points]


ROUNDING = ("floor", "ceil", "trunc", "round", "rint", "nearbyint", "roundeven")
CASES: list[Case] = [
    *_c("sin", 0.5, -2.3, 10.7), *_c("cos", 0.5, -2.3, 4.1), *_c("tan", 0.4, -1.2),
    *_c("asin", 0.3, -0.7), *_c("acos", 0.3, -0.7), *_c("atan", 0.6, -3.5),
    *_c("atan2", (0.5, -0.3), (-1.2, 2.0), (0.7, 0.9)),
    *_c("sinh", 0.8, -2.1), *_c("cosh", 0.8, -2.1), *_c("tanh", 0.5, -1.3),
    *_c("asinh", 0.7, -3.0), *_c("acosh", 1.5, 4.0), *_c("atanh", 0.4, -0.6),
    *_c("exp", 0.7, -3.2, 12.3), *_c("exp2", 1.3, -2.7), *_c("exp10", 0.4, -1.3),
    *_c("expm1", 0.002, -0.8), *_c("log", 0.7, 5.3), *_c("log2", 0.3, 9.1),
    *_c("log10", 0.3, 250.0), *_c("log1p", 0.25, -0.4),
    *_c("pow", (1.7, 2.3), (0.6, -1.4), (2.5, 0.5)),
    Case("pow", (-1.5, 3.0), fd=False),  # x < 0: d/dy undefined (nan)
    *_c("sqrt", 2.0, 0.3), *_c("cbrt", 2.5, -0.7), *_c("hypot", (3.0, -4.0), (-0.5, 1.2)),
    *_c("erf", 0.4, -1.1), *_c("erfc", 0.4, -1.1),
    *_c("lgamma", 2.5, 0.3, -2.5), *_c("tgamma", 2.5, 0.3, -1.5),
    *_c("fabs", 1.3, -0.6), *_c("fmin", (0.3, 0.8), (2.0, -1.0)),
    *_c("fmax", (0.3, 0.8), (2.0, -1.0)), *_c("fdim", (2.0, 0.5), (0.5, 2.0)),
    *_c("fmod", (5.3, 1.2), (-5.3, 1.2), (7.1, -2.2)),
    *_c("remainder", (5.3, 1.2), (-5.0, 1.5)),
    *_c("copysign", (1.5, -2.0), (-0.7, 3.0), (2.0, 1.0)),
    *[c for fn in ROUNDING for c in _c(fn, 2.3, -1.7)],
    Case("ldexp", (1.3,), 3), Case("ldexp", (-0.7,), -2),
    Case("scalbn", (1.3,), -2), Case("scalbn", (-0.7,), 5),
    *_c("frexp", 5.5, -0.3), *_c("modf", 3.7, -2.25), *_c("sincos", 0.6, -2.0),
    *_c("fma", (1.5, -2.0, 0.7), (-0.3, 0.4, 2.0)),
]
SPEC = ",".join(c.spec for c in CASES)


def _digamma(x: float) -> float:
    from scipy.special import digamma

    return float(digamma(x))


def _sign(x: float) -> float:
    return math.copysign(1.0, x)


def analytic(c: Case, a: tuple[float, ...]) -> list[list[float]]:
    """Rows (one per result) of partials (one per floating-point argument) at a."""
    x = a[0]
    y = a[1] if len(a) > 1 else math.nan
    f = {
        "sin": lambda: math.cos(x), "cos": lambda: -math.sin(x),
        "tan": lambda: 1 / math.cos(x) ** 2, "asin": lambda: 1 / math.sqrt(1 - x * x),
        "acos": lambda: -1 / math.sqrt(1 - x * x), "atan": lambda: 1 / (1 + x * x),
        "sinh": lambda: math.cosh(x), "cosh": lambda: math.sinh(x),
        "tanh": lambda: 1 / math.cosh(x) ** 2, "asinh": lambda: 1 / math.sqrt(x * x + 1),
        "acosh": lambda: 1 / math.sqrt(x * x - 1), "atanh": lambda: 1 / (1 - x * x),
        "exp": lambda: math.exp(x), "exp2": lambda: 2**x * math.log(2),
        "exp10": lambda: 10**x * math.log(10), "expm1": lambda: math.exp(x),
        "log": lambda: 1 / x, "log2": lambda: 1 / (x * math.log(2)),
        "log10": lambda: 1 / (x * math.log(10)), "log1p": lambda: 1 / (1 + x),
        "sqrt": lambda: 0.5 / math.sqrt(x), "cbrt": lambda: 1 / (3 * math.cbrt(x) ** 2),
        "erf": lambda: 2 / math.sqrt(math.pi) * math.exp(-x * x),
        "erfc": lambda: -2 / math.sqrt(math.pi) * math.exp(-x * x),
        "lgamma": lambda: _digamma(x), "tgamma": lambda: math.gamma(x) * _digamma(x),
        "fabs": lambda: _sign(x), "frexp": lambda: 2.0 ** -math.frexp(x)[1],
        **{r: lambda: 0.0 for r in ROUNDING},
    }
    if c.fn in f:
        return [[f[c.fn]()]]
    if c.fn in ("ldexp", "scalbn"):
        return [[2.0**c.n]]
    if c.fn == "modf":
        return [[1.0], [0.0]]
    if c.fn == "sincos":
        return [[math.cos(x)], [-math.sin(x)]]
    if c.fn == "fma":
        return [[a[1], a[0], 1.0]]
    r2 = x * x + y * y
    two = {
        "atan2": lambda: [a[1] / r2, -a[0] / r2],  # atan2(y = a0, x = a1)
        "pow": lambda: [y * x ** (y - 1), x**y * math.log(x) if x > 0 else math.nan],
        "hypot": lambda: [x / math.sqrt(r2), y / math.sqrt(r2)],
        "fmin": lambda: [1.0, 0.0] if x < y else [0.0, 1.0],
        "fmax": lambda: [1.0, 0.0] if x > y else [0.0, 1.0],
        "fdim": lambda: [1.0, -1.0] if x > y else [0.0, 0.0],
        "fmod": lambda: [1.0, -float(math.trunc(x / y))],
        "remainder": lambda: [1.0, -float(round(x / y))],
        "copysign": lambda: [_sign(x) * _sign(y), 0.0],
    }
    return [two[c.fn]()]


def layout() -> tuple[list[tuple[Case, slice, slice]], int, int]:
    """(case, rows, columns) of every case in the Jacobian; total rows and columns."""
    out, r, k = [], 0, 0
    for c in CASES:
        out.append((c, slice(r, r + c.nout), slice(k, k + len(c.args))))
        r, k = r + c.nout, k + len(c.args)
    return out, r, k


def x0_of(precision: str) -> np.ndarray:
    x = np.array([v for c in CASES for v in c.args])
    return round_to(x, "float") if precision == "float" else x


def argv_of(precision: str) -> list[str]:
    fmt = "float" if precision == "float" else "double"
    return [format_arg(v, fmt) for v in x0_of(precision)] + [SPEC]


def test_cases_cover_rules():
    assert {c.fn for c in CASES} == set(RULES)
    assert SPEC.count(",") + 1 == len(CASES)


# --------------------------------------------------------------------------------------------
# Binaries, recordings, finite differences (module-level caches).

@cache
def gen_binary(precision: str, variant: str) -> Path:
    flags, static = VARIANTS[variant]
    return build(GEN, (*flags, *PRECISIONS[precision][0]), static=static)


@cache
def gen_record(precision: str, variant: str):
    return Emulator(gen_binary(precision, variant), argv=argv_of(precision)).record()


@cache
def gen_fd(precision: str) -> np.ndarray:
    """Central differences of the native program; for float, of the double program at the
    float-rounded point (printed floats are too coarse for differences)."""
    source = "double" if precision == "float" else precision
    exe = gen_binary(source, "O2-static")
    return fd_jacobian(exe, x0_of(precision), extra_args=[SPEC])


@cache
def nm_names(binary: Path) -> tuple[dict[int, set[str]], dict[str, str]]:
    """(address → symbol names, name → nm type letter)."""
    by_addr: dict[int, set[str]] = defaultdict(set)
    types: dict[str, str] = {}
    out = subprocess.run(["nm", str(binary)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            by_addr[int(parts[0], 16)].add(parts[2])
            types[parts[2]] = parts[1]
    return by_addr, types


@cache
def called_names(binary: Path, functions: tuple[str, ...] = ("main", "call")) -> frozenset[str]:
    """Every name of every function called (or jumped to) from `functions`: PLT stubs by
    their symbol, direct calls by all symbols at the target, and the IRELATIVE stubs of a
    static binary by the names of their IFUNC resolver."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    by_addr, _ = nm_names(binary)
    irel: dict[int, int] = {}  # GOT slot -> resolver
    with open(binary, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if isinstance(sec, RelocationSection):
                for r in sec.iter_relocations():
                    if r["r_info_type"] == 37:  # R_X86_64_IRELATIVE
                        irel[r["r_offset"]] = r["r_addend"]
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(binary)],
                         capture_output=True, text=True).stdout
    stubs: dict[int, int] = {}
    targets: set[tuple[int, str]] = set()
    func = ""
    for line in dis.splitlines():
        m = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
        if m:
            func = m[2]
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+jmp\s+\*0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)", line)
        if m and int(m[2], 16) in irel:
            stubs[int(m[1], 16)] = irel[int(m[2], 16)]
        if func in functions:
            m = re.search(r"\b(?:call|jmp)\s+([0-9a-f]+) <([^>]+)>", line)
            if m:
                targets.add((int(m[1], 16), m[2]))
    names: set[str] = set()
    for addr, label in targets:
        if label.endswith("@plt"):
            names.add(label[:-4])
        elif "+" not in label:
            names |= by_addr.get(addr, set()) | {label}
        if addr in stubs:
            names |= by_addr.get(stubs[addr], set())
    return frozenset(names)


def is_called(binary: Path, fn: str, suffix: str) -> bool:
    names = called_names(binary)
    return any(n in names for n in candidate_names(fn + suffix))


# --------------------------------------------------------------------------------------------
# Every function, every precision, three builds.

FUNCTION_PARAMS = [pytest.param(p, v, id=f"{p.replace(' ', '_')}-{v}")
                   for p in PRECISIONS for v in VARIANTS]


def _block_mismatch(got, want, rtol) -> str | None:
    want = np.asarray(want, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    nan = np.isnan(want)
    if not np.array_equal(nan, np.isnan(got)):
        return f"nan pattern: got {got.tolist()} expected {want.tolist()}"
    return jacobian_mismatch(np.where(nan, 0, got), np.where(nan, 0, want), rtol=rtol)


@pytest.mark.parametrize("precision,variant", FUNCTION_PARAMS)
def test_functions(precision, variant):
    _flags, suffix, rtol_an, rtol_fd = PRECISIONS[precision]
    exe = gen_binary(precision, variant)
    native = run_native(exe, argv_of(precision))
    assert native.returncode == 0, native.stderr
    rec = gen_record(precision, variant)
    assert rec.exit_code == 0, rec.stderr
    # gcc's inline rint may warn (a rounding trick, see test_inlined_rint); nothing else may.
    inlined = [f"libm_gen.c:{_marked_line(GEN, f'F({fn})(a)')}" for fn in ("rint", "nearbyint")
               if not is_called(exe, fn, suffix)]
    assert [w for w in rec.warnings if not any(i in w.split(": ")[0] for i in inlined)] == []

    blocks, n_out, n_in = layout()
    printed = parse_outputs(native.stdout)
    assert printed.size == n_out
    out_values = np.array([v for _, v in rec.outputs])
    in_values = np.array([v for _, v in rec.inputs])
    np.testing.assert_array_equal(in_values, x0_of(precision))
    # Natively glibc may pick other CPU variants (FMA) than under emulation: last-bit slack.
    # Long double: Unicorn computes fprem (fmodl) and f2xm1 (expm1l) in double precision,
    # 1e-15 relative, 1e-14 for f2xm1 near 0 (cancellation in 2^x - 1).
    value_rtol = {"double": 1e-15, "float": 1e-7, "long double": 1e-13}[precision]
    np.testing.assert_allclose(out_values, printed, rtol=value_rtol, atol=0)
    np.testing.assert_allclose(parse_outputs(rec.stdout), printed, rtol=value_rtol, atol=0)

    J = rec.jacobian()
    assert J.shape == (n_out, n_in)
    J_fd = gen_fd(precision)
    ops = rec.tape.op_names(rec.tape.output_nodes)
    mask = np.zeros_like(J, dtype=bool)
    problems = []
    for c, rows, cols in blocks:
        mask[rows, cols] = True
        label = f"{c.spec}{tuple(x0_of(precision)[cols])}"
        called = is_called(exe, c.fn, suffix)
        got = J[rows, cols]
        want = analytic(c, tuple(x0_of(precision)[cols]))
        if (msg := _block_mismatch(got, want, rtol_an)) is not None:
            problems.append(f"{label} vs analytic [op {ops[rows][0]}]: {msg}")
        if c.fd and (msg := _block_mismatch(got, J_fd[rows, cols], rtol_fd)) is not None:
            problems.append(f"{label} vs finite differences: {msg}")
        if called and any(np.ravel(want)):
            allowed = {f"libm:{a}" for a in ALIASES.get(c.fn, {c.fn})}
            result_ops = ops[rows][:1] if c.fn == "modf" else ops[rows]  # modf: int part
            if not set(result_ops) <= allowed:
                problems.append(f"{label}: called, but recorded as {result_ops}, not {allowed}")
    outside = J[~mask]
    if np.any(outside != 0):
        problems.append(f"{int(np.count_nonzero(outside))} nonzero entries outside the blocks")
    assert not problems, f"{precision} {variant}:\n" + "\n".join(problems)


def test_native_fd_matches_analytic():
    """Validates the harness: the analytic table against the native program's differences."""
    blocks, _, _ = layout()
    J_fd = gen_fd("double")
    x0 = x0_of("double")
    for c, rows, cols in blocks:
        if c.fd:
            msg = _block_mismatch(J_fd[rows, cols], analytic(c, tuple(x0[cols])), 1e-6)
            assert msg is None, f"{c.spec}: {msg}"


@pytest.mark.parametrize("precision", ["double", "float"])
def test_inlined_rint(precision):
    """rint has derivative 0 (docs/derivatives.md: rounding); at -O2 gcc inlines it as
    (|x| + 2^52) - 2^52 with x's sign or-ed back."""
    exe = gen_binary(precision, "O2-static")
    assert not is_called(exe, "rint", PRECISIONS[precision][1])
    rec = Emulator(exe, argv=["2.3", "-1.7", "0.4", "rint,rint,rint"]).record()
    assert rec.exit_code == 0
    np.testing.assert_array_equal(rec.jacobian(), np.zeros((3, 3)))


# --------------------------------------------------------------------------------------------
# glibc's internal names in a static binary.

CPU_VARIANTS = "sse2|sse41|sse4_1|fma4?|avx2?|c"


@pytest.mark.parametrize("precision", ["double", "float"])
def test_static_variants(precision):
    suffix = PRECISIONS[precision][1]
    prec = {"double": "d", "float": "f"}[precision]
    exe = gen_binary(precision, "O2-static")
    by_addr, types = nm_names(exe)
    # Every CPU-variant name of a math function in the binary is known to the table.
    variants = {}
    for fn in RULES:
        pattern = re.compile(rf"__(?:ieee754_)?{fn}{suffix}(?:_finite)?_(?:{CPU_VARIANTS})")
        variants.update({name: fn for name in types if pattern.fullmatch(name)})
    assert variants, "no CPU variants of math functions in a static glibc binary?"
    for name, fn in variants.items():
        assert SYMBOLS.get(name) == (fn, prec), name
    # IFUNC'd functions (sin, cos, fma... are 'i' in nm) are intercepted in the static build.
    rec = gen_record(precision, "O2-static")
    ops = set(rec.tape.op_names(rec.tape.output_nodes))
    ifuncs = {fn for fn in RULES if types.get(fn + suffix) == "i"}
    assert {"sin", "cos", "fma"} <= ifuncs
    for fn in ifuncs:
        if fn not in ROUNDING:
            assert f"libm:{fn}" in ops, fn


def result_op(tape, node: int) -> str:
    """The op that made an output, looking through float→double conversions."""
    while tape.op_names([node])[0] == "cvt":
        node = int(tape.parents[node][0])
    return tape.op_names([node])[0]


VARIANTS_X = (0.4, 1.7, -0.3)


def test_direct_variant_calls():
    """programs/libm/variants.c calls __sin_sse2, __ieee754_exp_sse2... by name."""
    exe = build("libm/variants.c", ("-O0",), static=True)
    argv = [format_arg(v) for v in VARIANTS_X]
    rec = Emulator(exe, argv=argv).record()
    assert rec.exit_code == 0 and rec.warnings == []
    assert rec.stdout == run_native(exe, argv).stdout
    names = [n for n, _ in rec.outputs]
    direct = [n for n in names if n.startswith("__")]
    assert len(direct) >= 10, names
    J = rec.jacobian()
    problems = []
    for row, (name, node) in enumerate(zip(names, rec.tape.output_nodes, strict=True)):
        fn, prec = SYMBOLS[name]
        nargs = RULES[fn][0]
        args = VARIANTS_X[:nargs]
        if prec == "f":
            args = tuple(round_to(np.array(args), "float"))
        want = np.zeros(3)
        want[:nargs] = analytic(Case(fn, args), args)[0]
        msg = jacobian_mismatch(J[row], want, rtol=1e-5 if prec == "f" else 1e-12)
        if msg is not None:
            problems.append(f"{name}: {msg}")
        if (op := result_op(rec.tape, int(node))) != f"libm:{fn}":
            problems.append(f"{name}: recorded as {op}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The TS 18661-3 names (sinf64, cosf32x, expf32, logf64x...).

FLOATN_X = (0.5, 0.25, 0.75)


def floatn_expected() -> np.ndarray:
    x, xf, xl = FLOATN_X
    J = np.zeros((6, 3))
    J[0, 0], J[1, 0], J[2, 0] = math.cos(x), -math.sin(x), 1 / (1 + x * x)
    J[3, 1], J[4, 1], J[5, 2] = math.cos(xf), math.exp(xf), 1 / xl
    return J


@pytest.fixture(scope="module", params=[True, False], ids=["static", "dyn"])
def floatn_recording(request):
    exe = build("libm/floatn.c", ("-O2",), static=request.param)
    return request.param, Emulator(exe, argv=[format_arg(v) for v in FLOATN_X]).record()


def test_floatn_names_not_silently_wrong(floatn_recording):
    _static, rec = floatn_recording
    assert rec.exit_code == 0
    right = jacobian_mismatch(rec.jacobian(), floatn_expected(), rtol=1e-6) is None
    assert right or rec.warnings, rec.jacobian()


def test_floatn_names_intercepted(floatn_recording):
    _static, rec = floatn_recording
    assert rec.warnings == []
    msg = jacobian_mismatch(rec.jacobian(), floatn_expected(), rtol=1e-6)
    assert msg is None, msg


# --------------------------------------------------------------------------------------------
# A stripped static binary: nothing to intercept.

STRIPPED_CASES = [
    ("exp", (0.7,)), ("exp", (-3.2,)), ("log", (0.7,)), ("pow", (1.7, 2.3)),
    ("sin", (0.5,)), ("sin", (-2.3,)), ("sin", (10.7,)), ("cos", (0.5,)), ("cos", (4.1,)),
    ("tan", (0.4,)), ("tan", (-1.2,)), ("atan", (0.6,)), ("tanh", (0.5,)), ("cbrt", (2.5,)),
    ("fmod", (5.3, 1.2)), ("erf", (0.4,)), ("sqrt", (2.0,)), ("sincos", (0.6,)),
    ("rint", (2.3,)),
]


@pytest.fixture(scope="module")
def stripped(tmp_path_factory) -> Path:
    if not have("strip"):
        pytest.skip("strip missing")
    out = tmp_path_factory.mktemp("stripped") / "libm_gen_stripped"
    shutil.copy(gen_binary("double", "O2-static"), out)
    subprocess.run(["strip", str(out)], check=True)
    return out


def test_stripped_has_no_symbols(stripped):
    by_addr, _ = nm_names(stripped)
    assert not by_addr


@pytest.mark.parametrize("fn,args", STRIPPED_CASES,
                         ids=[f"{f}{list(a)}" for f, a in STRIPPED_CASES])
def test_stripped_static(stripped, fn, args):
    c = Case(fn, args)
    rec = Emulator(stripped, argv=[format_arg(v) for v in args] + [fn]).record()
    assert rec.exit_code == 0
    J = rec.jacobian()
    right = _block_mismatch(J, analytic(c, args), 1e-9) is None
    assert right or rec.warnings, f"{fn}{args}: silently wrong derivative {J.tolist()}"
    if fn == "exp":  # glibc's exp builds 2^k from the bits: a bit-trick warning at an address
        assert right or any(re.search(r"bit trick\) at 0x[0-9a-f]+", w) for w in rec.warnings), \
            rec.warnings


# --------------------------------------------------------------------------------------------
# A deliberate bit trick.

BITTRICK = "libm/bittrick.c"


def _marked_line(source: str, tag: str) -> int:
    for i, line in enumerate((PROGRAMS / source).read_text().splitlines(), 1):
        if tag in line:
            return i
    raise AssertionError(f"{tag} not in {source}")


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_bit_trick(opt):
    exe = build(BITTRICK, (opt, "-g"), static=True)
    y = math.nextafter(1.25, 2.0) * 3.0
    assert parse_outputs(run_native(exe, ["1.25"]).stdout).tolist() == [y, 3.75]
    rec = Emulator(exe, argv=["1.25"]).record()
    assert rec.exit_code == 0 and parse_outputs(rec.stdout).tolist() == [y, 3.75]
    where = f"bittrick.c:{_marked_line(BITTRICK, '/* BITTRICK */')}"
    assert any("bit trick" in w and where in w for w in rec.warnings), rec.warnings
    J = rec.jacobian()
    assert J[1, 0] == 3.0  # the plain product is unaffected
    with pytest.raises(DerivativeError, match=re.escape(where)):
        Emulator(exe, argv=["1.25"]).record(strict=True)


# --------------------------------------------------------------------------------------------
# Sign-mask idioms.

def signmask_jacobian(x, y, xf, yf, s):
    sx, sy, sxf, syf = _sign(x), _sign(y), _sign(xf), _sign(yf)
    J = np.zeros((14, 4))
    J[0, 0] = sx                  # fabs(x)
    J[1, 0] = -1                  # -x
    J[2, 0] = sx * sy             # copysign(x, y)
    J[3, 1] = sy * _sign(s)       # copysign(y, s), s passive
    J[4, 1] = -sy                 # -fabs(y)
    J[5, 0], J[5, 1] = sx * y, abs(x)  # fabs(x) * y
    J[6, 0] = sx                  # pand
    J[7, 1] = -1                  # pxor
    J[8, 0] = -sx                 # orpd
    J[9, 1] = sy                  # andnpd
    J[10, 2] = sxf                # fabsf
    J[11, 3] = -1                 # -yf
    J[12, 2] = sxf * syf          # copysignf
    J[13, 2], J[13, 3] = -abs(yf), -syf * xf  # -fabsf(yf) * xf
    return J


@pytest.mark.parametrize("flags,static", [
    (("-O0",), True), (("-O2",), True), (("-O2", "-ffast-math"), True),
    (("-O2", "-ffast-math"), False)], ids=["O0-static", "O2-static", "O2fm-static", "O2fm-dyn"])
def test_sign_masks(flags, static):
    exe = build("libm/signmask.c", flags, static=static)
    for point in ((1.3, -0.7, 0.75, -2.0, -1.0), (-0.4, 2.5, -1.25, 0.5, 1.0)):
        argv = [format_arg(v) for v in point]
        rec = Emulator(exe, argv=argv).record()
        assert rec.exit_code == 0
        assert rec.stdout == run_native(exe, argv).stdout
        assert rec.warnings == [], rec.warnings
        np.testing.assert_array_equal(rec.jacobian(), signmask_jacobian(*point))


@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_text_round_trip_warns(static):
    """snprintf + strtod: the parsed number is made from integer digits; in static builds
    (where printf's internals are known by name) as in dynamic ones the loss is reported at
    the line that uses it, never silently."""
    exe = build("libm/textround.c", ("-O2", "-g"), static=static)
    rec = Emulator(exe, argv=["0.7"]).record()
    assert rec.exit_code == 0
    where = f"textround.c:{_marked_line('libm/textround.c', '/* TEXTROUND */')}"
    assert any("bit trick" in w and where in w for w in rec.warnings), rec.warnings
    J = rec.jacobian()
    assert J[1, 0] == 3.0
