"""SSE3/SSE4.1 moves and horizontal arithmetic that gcc rarely emits on its own, reached
through intrinsics (-msse4.1, no VEX), against exactly known Jacobians."""

from __future__ import annotations

import numpy as np
import pytest

from buildcache import build
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
