"""Data moves that capstone describes poorly (lock cmpxchg, movnti), values leaving through
a file, and false-warning regressions, on a real program at -O0/-O2, static and dynamic."""

from __future__ import annotations

import numpy as np
import pytest

from buildcache import build, run_native
from revad_emu import Emulator


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "dyn"])
def test_moves_misc(tmp_path, opt, static):
    exe = build("ad/moves_misc.c", (opt, "-msse4.1"), static=static, libs=("-lm", "-latomic"))
    nat = run_native(exe, ["1.5", str(tmp_path / "native.bin")])
    rec = Emulator(exe, ["1.5", str(tmp_path / "emu.bin")], allow_write=[tmp_path]).record()
    assert rec.exit_code == 0 and rec.stdout == nat.stdout
    # atomic 1 + 2x; movnti round trip 3x; the file copy (passive, warned); -1.5 x; x + C
    np.testing.assert_array_equal(rec.jacobian().ravel(), [2.0, 3.0, 0.0, -1.5, 1.0])
    assert len(rec.warnings) == 1 and "written to file descriptor" in rec.warnings[0]
