"""AVX/AVX2/FMA (VEX) code executed by revad_emu's own executor (avx.py) and differentiated by
isa/avx.py, compared with this machine's CPU (which has AVX2 and FMA).

* test_families_bit_identical: one result per instruction family (tests/programs/avx/
  families.c, intrinsics with NaNs, subnormals, signed zeros, infinities) printed as hex:
  every byte must equal the native run's. test_rounding_modes_bit_identical: the same under
  each rounding mode (avx/rounding.c).
* test_sse_intrinsics_as_vex: the SSE intrinsics programs with exactly known Jacobians,
  rebuilt with -mavx2 -mfma (so every SSE instruction is VEX-encoded).
* test_fma_derivative: the partials of a fused multiply-add are those of a·b+c.
* test_compiled_and_python_agree: the two recorders give identical tapes on AVX2/FMA code.
* EVEX (AVX-512) and unimplemented VEX instructions stop with a clear error.
The AD corpus at -O3 -march=x86-64-v3 (with and without -ffast-math) runs in
test_ad_programs.py (variants O3v3-dyn, O3v3fm-static).
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

import test_sse_rules
from buildcache import build, run_native
from revad_emu import Emulator
from revad_emu.cpu.machine import Machine
from revad_emu.errors import UnsupportedInstruction

AVX2 = ("-mavx2", "-mfma")


def _cpu_has(flag: str) -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return re.search(rf"\b{flag}\b", f.read()) is not None
    except OSError:
        return False


needs_avx2 = pytest.mark.skipif(not (_cpu_has("avx2") and _cpu_has("fma")),
                                reason="the native comparison needs a CPU with AVX2 and FMA")


@needs_avx2
@pytest.mark.parametrize("opt,static", [("-O1", True), ("-O2", False)])
def test_rounding_modes_bit_identical(opt, static):
    """Every VEX arithmetic family under each rounding mode (fesetround) — rounding.py."""
    exe = build("avx/rounding.c", (opt, *AVX2), static=static)
    native = run_native(exe, [])
    res = Emulator(exe).run()
    assert res.exit_code == native.returncode == 0
    assert res.stdout.count(b"\n") == 76
    assert res.stdout == native.stdout


@needs_avx2
@pytest.mark.parametrize("opt,static", [("-O1", True), ("-O2", False)])
def test_families_bit_identical(opt, static):
    exe = build("avx/families.c", (opt, *AVX2, "-mbmi", "-mbmi2", "-mf16c"), static=static)
    native = run_native(exe, [])
    m = Machine(str(exe))
    m.run()
    assert m.exit_code == native.returncode == 0
    want = native.stdout.decode().splitlines()
    got = bytes(m.out).decode().splitlines()
    assert len(want) > 240
    bad = [(w, g) for w, g in zip(want, got, strict=False) if w != g]
    assert not bad and len(got) == len(want), bad[:5]
    # the executor really ran them: every family of the program went through it
    mnemonics = {insn.mnemonic for insn, _ in m.vex.cache.values()}
    assert len(mnemonics) > 150, sorted(mnemonics)
    assert {"vfmadd132sd", "vpshufb", "vperm2f128", "vblendvpd", "vhaddpd",
            "vgatherqpd", "vdpps", "pdep", "mulx", "andn", "bzhi", "vcvtps2ph"} <= mnemonics


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_sse_intrinsics_as_vex(opt, static):
    T = test_sse_rules
    for prog, expected in (("intrinsics", T.expected), ("intrinsics2", T.expected2)):
        exe = build(f"sse/{prog}.c", (opt, *AVX2), static=static)
        dis = subprocess.run(["objdump", "-d", str(exe)], capture_output=True, text=True).stdout
        assert re.search(r"\tv(add|hadd|dp|blendv)p[sd]", dis), "no VEX code was generated"
        rec = Emulator(exe, [repr(v) for v in T.A + T.F]).record()
        assert rec.exit_code == 0
        assert rec.warnings == []
        np.testing.assert_array_equal(rec.jacobian(), expected())


FMA_SRC = r"""
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"
int main(int argc, char **argv)
{
    double x[3];
    for (int i = 0; i < 3; i++) { x[i] = atof(argv[i + 1]); REVAD_INPUT(x[i]); }
    __m256d a = _mm256_set1_pd(x[0]), b = _mm256_set_pd(x[1], 2.0, x[1], x[1]);
    __m256d c = _mm256_set_pd(x[2], x[2], 3.0, x[2]);
    double r[4], s[2];
    _mm256_storeu_pd(r, _mm256_fmsub_pd(a, b, c));             /* a*b - c */
    __m128d t = _mm_fnmadd_sd(_mm_set_sd(x[0]), _mm_set_sd(x[0]), _mm_set_sd(x[2]));
    _mm_storel_pd(&s[0], t);                                     /* c - a*a */
    s[1] = __builtin_fma(x[1], x[2], x[0]);                      /* b*c + a */
    for (int i = 0; i < 4; i++) { REVAD_OUTPUT(r[i]); printf("%.17g\n", r[i]); }
    for (int i = 0; i < 2; i++) { REVAD_OUTPUT(s[i]); printf("%.17g\n", s[i]); }
    return 0;
}
"""


def test_fma_derivative(tmp_path):
    src = tmp_path / "fma.c"
    src.write_text(FMA_SRC)
    exe = build(src, ("-O2", *AVX2), static=True)
    x = (1.25, -3.5, 0.375)
    rec = Emulator(exe, [repr(v) for v in x]).record()
    assert rec.exit_code == 0 and rec.warnings == []
    a, b, c = x
    # lanes (low first): b = (x1, x1, 2, x1), c = (x2, 3, x2, x2)
    J = np.array([[b, a, -1], [b, a, 0], [2.0, 0, -1], [b, a, -1], [-2 * a, 0, 1],
                  [1, c, b]])
    np.testing.assert_array_equal(rec.jacobian(), J)
    r = [float(v) for v in rec.stdout.split()]
    assert r[0] == np.float64(a) * b - c  # exact here: the product is representable


@pytest.mark.skipif(__import__("revad_emu.ad.recorder", fromlist=["_hot"])._hot is None,
                    reason="the compiled extension is not built")
@pytest.mark.parametrize("prog", ["ad/ode_rk4.c", "ad/linsolve.c", "ad/float_arith.c"])
def test_compiled_and_python_agree(monkeypatch, prog):
    from test_ad_programs import BY_NAME, args_of
    from test_compiled import assert_same, record_both

    name = prog.split("/")[1][:-2]
    exe = build(prog, ("-O3", "-march=x86-64-v3"), static=True)
    py, c = record_both(monkeypatch, str(exe), args_of(BY_NAME[name]))
    assert len(py.tape.parents) > 0
    assert_same(py, c)


def test_evex_stops_clearly(tmp_path):
    src = tmp_path / "evex.c"
    src.write_text("#include <immintrin.h>\n#include <stdio.h>\nint main(void){\n"
                   "volatile double v[8]={1,2,3,4,5,6,7,8};\n"
                   "__m512d a=_mm512_loadu_pd((const double*)v);\n"
                   "printf(\"%g\\n\", _mm512_reduce_add_pd(a)); return 0;}\n")
    exe = build(src, ("-O2", "-mavx512f"), static=True)
    with pytest.raises(UnsupportedInstruction) as e:
        Emulator(exe).run()
    msg = str(e.value)
    assert "EVEX" in msg and "main+0x" in msg and re.search(r"\bv\w+ [xyz]mm", msg), msg


def test_unimplemented_vex_names_the_instruction(tmp_path):
    src = tmp_path / "gatherq.c"
    src.write_text("#include <immintrin.h>\n#include <stdio.h>\nint main(void){\n"
                   "static volatile int idx[4]={3,1,2,0};\n"
                   "__m256i i = _mm256_set_epi32(0,0,0,0,idx[3],idx[2],idx[1],idx[0]);\n"
                   "static short t[8]={1,2,3,4,5,6,7,8};\n"
                   "__m256i r = _mm256_mpsadbw_epu8(i, i, 1);\n"
                   "printf(\"%d\\n\", _mm256_extract_epi16(r, 1) + t[0]); return 0;}\n")
    exe = build(src, ("-O2", *AVX2), static=True)
    with pytest.raises(UnsupportedInstruction) as e:
        Emulator(exe).run()
    msg = str(e.value)
    assert "vmpsadbw" in msg and "main+0x" in msg and "not implemented" in msg, msg


# The stress corpus (tests/test_stress.py) built for x86-64-v3: one variant per program runs
# by default (alternating static -O3 and dynamic -O3 -ffast-math, which calls libmvec's AVX2
# functions), the other is marked slow.
V3_VARIANTS = {"O3v3-static": (("-O3", "-march=x86-64-v3"), True),
               "O3v3fm-dyn": (("-O3", "-march=x86-64-v3", "-ffast-math"), False)}


def _stress_cases():
    import test_stress

    test_stress.VARIANTS.update(V3_VARIANTS)
    out = []
    for k, prog in enumerate(test_stress.CORPUS):
        if prog.levels and "O2x87" in prog.levels and len(prog.levels) == 1:
            continue
        for j, variant in enumerate(V3_VARIANTS):
            marks = [pytest.mark.slow] if (j + k) % 2 else []
            out.append(pytest.param(prog.name, variant, id=f"{prog.name}-{variant}",
                                    marks=marks))
    return out


@needs_avx2
@pytest.mark.parametrize("name,variant", _stress_cases())
def test_stress_v3(name, variant):
    import test_stress

    test_stress.VARIANTS.update(V3_VARIANTS)
    test_stress.test_stress(name, variant)



# Every math function of tests/test_libm.py in a v3 build: glibc picks its FMA variants, as
# natively on this CPU, so the printed values must be identical (not only within 1e-15).
LIBM_V3 = {"O2v3-static": (("-O2", "-march=x86-64-v3"), True),
           "O2v3-dyn": (("-O2", "-march=x86-64-v3"), False)}


@needs_avx2
@pytest.mark.parametrize("variant", [pytest.param("O2v3-static"),
                                     pytest.param("O2v3-dyn", marks=pytest.mark.slow)])
@pytest.mark.parametrize("precision", ["double", "float"])
def test_libm_functions_v3(precision, variant):
    import test_libm

    test_libm.VARIANTS.update(LIBM_V3)
    test_libm.test_functions(precision, variant)
    exe = test_libm.gen_binary(precision, variant)
    native = run_native(exe, test_libm.argv_of(precision))
    assert test_libm.gen_record(precision, variant).stdout == native.stdout


AD_X0 = (0.7, -1.3, 2.2, 0.45, 1.9, 0.35, -0.8, 3.1)


@needs_avx2
@pytest.mark.parametrize("opt,static", [("-O2", True), ("-O0", False)])
def test_lane_derivatives_against_fd(opt, static):
    """Permutes, blends, gathers, masked moves, horizontal adds, packed FMA (three active
    operands: two nodes), sign masks, conversions, sqrt, min/max: Jacobian vs FD."""
    from fdcheck import assert_jacobian_close, fd_jacobian, format_arg, parse_outputs

    exe = build("avx/ad_lanes.c", (opt, *AVX2), static=static)
    native = run_native(exe, [format_arg(v) for v in AD_X0])
    rec = Emulator(exe, [format_arg(v) for v in AD_X0]).record()
    assert rec.exit_code == 0 and rec.stdout == native.stdout
    assert rec.warnings == []
    J = np.asarray(rec.jacobian())
    assert J.shape == (len(parse_outputs(native.stdout)), 8)
    assert np.count_nonzero(J) > 60
    J_fd = fd_jacobian(exe, AD_X0)
    # rows 40-43 go through float (cvtpd2ps): FD steps below a float ulp see only rounding;
    # their derivative is that of a*b exactly.
    for i in range(4):
        J_fd[40 + i] = 0.0
        J_fd[40 + i, i], J_fd[40 + i, 4 + i] = AD_X0[4 + i], AD_X0[i]
    assert_jacobian_close(J, J_fd, "double", what=f"ad_lanes {opt}")
    assert "fma" in set(rec.tape.op_names(range(len(rec.tape.values))))


@needs_avx2
@pytest.mark.parametrize("typ", ["double", "float"])
def test_derivgrind_native_cases(typ):
    """Derivgrind's -march=native regression cases (fma_add, fma_sub, max, min), built as its
    suite builds them (-O3 -march=native -mno-avx512f): values and gradients as expected
    there (y = 14, 10, 4, 3; ∇ = (4,3,1), (4,3,-1), (0,1,0), (1,0,0))."""
    exe = build("avx/dg_native.c", ("-O3", "-march=native", "-mno-avx512f", f"-DT={typ}"),
                static=True)
    dis = subprocess.run(["objdump", "-d", str(exe)], capture_output=True, text=True).stdout
    assert re.search(r"\tvfn?m(add|sub)\d+s[sd]", dis), "no FMA instruction was generated"
    rec = Emulator(exe, ["3", "4", "2"]).record()
    assert rec.exit_code == 0 and rec.warnings == []
    assert rec.stdout == b"14\n10\n4\n3\n"
    np.testing.assert_array_equal(rec.jacobian(), [[4, 3, 1], [4, 3, -1], [0, 1, 0],
                                                   [1, 0, 0]])
