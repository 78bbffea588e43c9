"""SSE3/SSE4.1 moves and horizontal arithmetic that gcc rarely emits on its own, reached
through intrinsics (-msse4.1, no VEX), against exactly known Jacobians."""

from __future__ import annotations

import numpy as np
import pytest

from buildcache import build, run_native
from revad_emu import Emulator

A = (1.5, -0.75, 2.25, 0.5)
F = (0.25, 1.5, -2.0, 3.0)


def expected() -> np.ndarray:
    J = np.zeros((25, 8))
    rows = {0: {0: 1, 1: 1}, 1: {2: 1, 3: 1}, 2: {0: 1, 1: -1}, 3: {2: 1, 3: -1},
            4: {0: 1, 2: -1}, 5: {1: 1, 3: 1}, 6: {1: 1}, 7: {2: 1}, 8: {0: 1}, 9: {3: 1},
            10: {2: 1}, 11: {2: 1}, 12: {1: 1}, 13: {3: 1},
            14: {0: A[2], 2: A[0]}, 15: {1: A[3], 3: A[1]},
            16: {4: 1, 5: 1}, 17: {6: 1, 7: 1}, 18: {7: 1}, 19: {5: 1},
            20: {7: 1}, 21: {6: 1}, 22: {5: 1}, 23: {4: 1}, 24: {6: 1}}
    for r, cols in rows.items():
        for c, v in cols.items():
            J[r, c] = v
    return J


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_intrinsics(opt, static):
    exe = build("sse/intrinsics.c", (opt, "-msse4.1"), static=static)
    rec = Emulator(exe, [repr(v) for v in A + F]).record()
    assert rec.exit_code == 0
    assert rec.warnings == []
    np.testing.assert_array_equal(rec.jacobian(), expected())


def expected2() -> np.ndarray:
    """intrinsics2.c: dppd/dpps (products give the other factor, sums 1), blendv, pblendw,
    pshufb (moves give 1); the float inputs are exact, so are the dpps partials."""
    a, f = A, F
    J = np.zeros((37, 8))
    rows = {0: {0: a[2], 1: a[3], 2: a[0], 3: a[1]}, 2: {0: 2 * a[0], 1: 2 * a[1]},
            3: {0: 2 * a[0], 1: 2 * a[1]}, 5: {0: a[2], 2: a[0]}, 6: {0: 2, 1: -3},
            7: {2: 1}, 8: {1: 1}, 9: {0: 1}, 10: {3: 1}, 11: {0: 1}, 12: {3: 1},
            13: {2: 1}, 14: {1: 1}, 15: {1: 1}, 16: {0: 1}, 17: {0: 1}, 19: {3: 1}, 20: {3: 1},
            21: {4: 2 * f[3], 5: 2 * f[2], 6: 2 * f[1], 7: 2 * f[0]},
            **{r: {4: 1, 5: 2, 6: 3} for r in range(25, 29)},
            29: {4: 2 * f[0], 6: 2 * f[2]}, 31: {4: 2 * f[0], 6: 2 * f[2]},
            33: {7: 1}, 34: {5: 1}, 35: {6: 1}, 36: {4: 1}}
    for r, cols in rows.items():
        for c, v in cols.items():
            J[r, c] = v
    return J


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_intrinsics2(opt, static):
    exe = build("sse/intrinsics2.c", (opt, "-msse4.1"), static=static)
    argv = [repr(v) for v in A + F]
    rec = Emulator(exe, argv).record()
    assert rec.exit_code == 0
    assert rec.stdout == run_native(exe, argv).stdout
    assert rec.warnings == []
    np.testing.assert_array_equal(rec.jacobian(), expected2())


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_intrinsics2_split(opt):
    """pblendw/pshufb cutting a double in pieces: a warning and a zero row, never a wrong
    derivative; the whole double in the other lane keeps its node."""
    exe = build("sse/intrinsics2.c", (opt, "-msse4.1"), static=True)
    argv = [repr(v) for v in A + F] + ["split"]
    rec = Emulator(exe, argv).record()
    assert rec.exit_code == 0
    assert rec.stdout == run_native(exe, argv).stdout
    assert rec.warnings and all("pieces" in w for w in rec.warnings)
    J = rec.jacobian()
    np.testing.assert_array_equal(J[:37], expected2())
    np.testing.assert_array_equal(J[37:], [[0] * 8, [0, 1] + [0] * 6, [0] * 8, [0, 1] + [0] * 6])
