"""Bit tricks on a float's bit pattern in integer registers (issue 9, item 5), recorded
exactly: sign flip by xor (and gcc's `lea r, [x - 0x80000000]`), absolute value by and,
-|x| by or, copysign through integer masks, scaling by adding k << 52 (k << 23) to the
exponent field, and byte-wise encode/decode and byte swaps (identity). Double and float,
-O0, -O2, -O2 -ffast-math, -mfpmath=387, against analytic derivatives; a trick no rule
covers, and a scaling that leaves the normal range, drop the derivative with a warning and
the report says the numbers are incomplete."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from buildcache import ROOT, build, run_native
from revad_emu.api import Emulator

OPTS = [("-O0",), ("-O2",), ("-O2", "-ffast-math"), ("-O2", "-mfpmath=387")]
TYPES = ["double", "float"]


def _exe(t: str, opt: tuple[str, ...]):
    flags = (*opt, f"-DT={t}") + (("-DT_IS_FLOAT",) if t == "float" else ())
    return build("widths/gpr_tricks.c", flags)


def _analytic(x: float, y: float) -> np.ndarray:
    """Rows: neg absv cps up down bytes swap nabs; columns: x, y."""
    sx, sy = math.copysign(1.0, x), math.copysign(1.0, y)
    return np.array([[-1.0, 0], [sx, 0], [sx * sy, 0], [8.0, 0], [0.25, 0], [1.0, 0],
                     [1.0, 0], [-sx, 0]])


@pytest.mark.parametrize("t", TYPES)
@pytest.mark.parametrize("opt", OPTS, ids=[" ".join(o) for o in OPTS])
@pytest.mark.parametrize("x,y", [(1.5, -0.25), (-3.25, 2.0)], ids=["pos-neg", "neg-pos"])
def test_tricks_exact(t, opt, x, y):
    exe = _exe(t, opt)
    argv = [repr(x), repr(y)]
    native = run_native(exe, argv).stdout
    rec = Emulator(str(exe), argv=argv).record()
    assert rec.exit_code == 0 and rec.stdout == native
    assert rec.warnings == [], rec.warnings
    assert rec.stats["complete"] is True and rec.stats["dropped_derivatives"] == 0
    vals = [float(v) for v in native.split()]
    assert vals == [-x, abs(x), math.copysign(x, y), 8 * x, x / 4, x, x, -abs(x)]
    np.testing.assert_array_equal(rec.jacobian(), _analytic(x, y))


@pytest.mark.parametrize("t", TYPES)
@pytest.mark.parametrize("opt", [("-O0",), ("-O2",)], ids=["O0", "O2"])
def test_unknown_trick_is_dropped_loudly(t, opt, tmp_path):
    """x's bits plus one (the next float up) has no rule: the derivative is dropped with a
    warning, the table ends with the INCOMPLETE line, the JSON report's stats say so."""
    exe = _exe(t, opt)
    rec = Emulator(str(exe), argv=["1.5", "-0.25", "drop"]).record()
    assert rec.exit_code == 0
    J = rec.jacobian()
    assert J.shape == (9, 2) and J[8, 0] == 0.0
    np.testing.assert_array_equal(J[:8], _analytic(1.5, -0.25))
    places = rec.stats["dropped_derivatives"]  # the output; for float also (double) x
    assert places == (1 if t == "double" else 2) and rec.stats["complete"] is False
    assert any("bit trick" in w or "bit manipulation" in w for w in rec.warnings)
    out = tmp_path / "r.json"
    env = {"PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-m", "revad_emu", "--format", "json", "-o",
                          str(out), str(exe), "1.5", "-0.25", "drop"], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    assert sorted(report) == ["exit_code", "inputs", "jacobian", "outputs", "stats",
                              "warnings"]
    assert report["stats"]["complete"] is False
    assert report["stats"]["dropped_derivatives"] == places
    word = "place" if places == 1 else "places"
    assert f"INCOMPLETE: {places} {word} dropped derivatives" in res.stderr
    res = subprocess.run([sys.executable, "-m", "revad_emu", str(exe), "1.5", "-0.25",
                          "drop"], capture_output=True, text=True, env=env)
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f"revad-emu: INCOMPLETE: {places} {word} dropped"), last


def test_complete_table_has_no_incomplete_line():
    exe = _exe("double", ("-O2",))
    res = subprocess.run([sys.executable, "-m", "revad_emu", str(exe), "1.5", "-0.25"],
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0 and "INCOMPLETE" not in res.stderr
    assert "d/d x" in res.stderr


@pytest.mark.parametrize("t,x", [("double", 1e308), ("double", 2.5e-308), ("float", 3e38)])
def test_scaling_out_of_range_warns(t, x):
    """Adding 3 to the exponent of a value near the top (or 2 less near the bottom) leaves
    the normal range: not x·2^k any more, so the derivative is dropped with a warning."""
    exe = _exe(t, ("-O2",))
    rec = Emulator(str(exe), argv=[repr(x), "1.0"]).record()
    assert rec.exit_code == 0
    assert any("leaves the normal range" in w for w in rec.warnings), rec.warnings
    assert rec.stats["complete"] is False
    J = rec.jacobian()
    col = 3 if x > 1 else 4  # up overflows, down underflows
    assert J[col, 0] == 0.0
    assert J[0, 0] == -1.0 and J[5, 0] == 1.0
