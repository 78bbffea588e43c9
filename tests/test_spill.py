"""Tapes larger than their memory budget (`record(tape_memory=)`, `--tape-memory`).

A real program records ~440,000 nodes once with no limit and once with a budget of one byte,
so the compiled tape moves into spill files after its first node and every later chunk of
it is mapped from a file; old pages are let go of while recording and sweeping. Both tapes,
and every derivative of them by both sweep kinds (the compiled loops and the reference
loops), must be bit for bit the same; the derivatives also match finite differences of the
native binary.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from buildcache import build
from fdcheck import assert_jacobian_close, fd_jacobian
from revad_emu import Emulator, arguments
from revad_emu.ad.tape import Tape
from revad_emu.cli import main as cli_main
from revad_emu.compiled import available

X0 = [0.3, 0.7, 1.1]
N = "40000"
COLUMNS = ("parents", "partials", "values", "addr", "op", "depth")

needs_hot = pytest.mark.skipif(not available(), reason="spilling is done by the C tape")


@pytest.fixture(scope="module")
def exe():
    return build("tape/long_loop.c", ("-O2",))


@pytest.fixture(scope="module")
def tapes(exe, tmp_path_factory):
    d = tmp_path_factory.mktemp("spill")
    args = [str(v) for v in X0] + [N]
    whole = Emulator(exe, args).record(tape_memory=0)
    spilled = Emulator(exe, args).record(tape_memory=1, spill_dir=d)
    return whole, spilled, d


@needs_hot
def test_spilled_tape_is_the_same_tape(tapes) -> None:
    whole, spilled, d = tapes
    assert not whole.tape.spilled and spilled.tape.spilled
    assert spilled.tape.store.spilled >= len(spilled.tape) > 400_000
    for name in COLUMNS:
        a, b = getattr(whole.tape, name), getattr(spilled.tape, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert whole.outputs == spilled.outputs and not spilled.warnings
    assert os.listdir(d) == []  # the spill files never had a name there


@needs_hot
@pytest.mark.parametrize("method", ["compiled", "loop"])
def test_sweeps_bit_identical(tapes, method: str) -> None:
    whole, spilled, _ = tapes
    J = whole.tape.jacobian(method)
    assert np.array_equal(J, spilled.tape.jacobian(method))
    rng = np.random.default_rng(1)
    Y, X = rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    assert np.array_equal(whole.tape.vjp(Y, method), spilled.tape.vjp(Y, method))
    assert np.array_equal(whole.tape.jvp(X, method), spilled.tape.jvp(X, method))
    assert np.allclose(spilled.tape.vjp(Y, method), Y @ J, rtol=1e-9, atol=1e-15)


@needs_hot
def test_depths_computed_as_recorded(tapes, monkeypatch) -> None:
    """The compiled tape stores no depths; `_sweep.depths` and its Python twin give the
    builder's rule (inputs 0, others 1 + the deeper parent), for a spilled tape too."""
    from revad_emu.ad.tape import recorded_depth

    whole, spilled, _ = tapes
    s = whole.tape.sites
    ref = recorded_depth(whole.tape.parents, s.root[s.site])
    assert np.array_equal(whole.tape.depth, ref) and ref.max() > 40_000
    assert np.array_equal(spilled.tape.depth, ref)
    monkeypatch.setenv("REVAD_PURE_PYTHON", "1")  # the Python twin, in stretches
    out = np.empty(len(ref), np.int32)
    for lo in range(0, len(ref), 100_000):
        s.depth_of(whole.tape.parents, out, lo, min(len(ref), lo + 100_000))
    assert np.array_equal(out, ref)


@needs_hot
def test_pickled_tape_is_a_plain_copy(tapes) -> None:
    import pickle

    _, spilled, _ = tapes
    t = pickle.loads(pickle.dumps(spilled.tape))
    assert t.store is None and not t.spilled
    for name in COLUMNS:
        assert np.array_equal(getattr(t, name), getattr(spilled.tape, name)), name
    assert np.array_equal(t.jacobian(), spilled.tape.jacobian())


@needs_hot
def test_derivatives_match_finite_differences(tapes, exe) -> None:
    _, spilled, _ = tapes
    assert_jacobian_close(spilled.tape.jacobian(), fd_jacobian(exe, X0, extra_args=[N]))


@needs_hot
def test_compiled_sweep_scratch_in_a_file(tapes, monkeypatch) -> None:
    """The adjoint array of a spilled tape goes into a file past a quarter of the budget."""
    import revad_emu.ad.sweep as sweep

    whole, spilled, _ = tapes
    made = []
    orig = sweep._Scratch.__init__

    def spy(self, *a):
        orig(self, *a)
        made.append(self.mm is not None)

    monkeypatch.setattr(sweep._Scratch, "__init__", spy)
    assert np.array_equal(spilled.tape.gradient(1), whole.tape.gradient(1))
    assert made == [True, False]  # the spilled tape's in a file, the other's in memory


@needs_hot
@pytest.mark.parametrize("memory", [0, 1])
def test_parents_widened_past_int32(tapes, monkeypatch, memory) -> None:
    """Parents are int32 up to Recorder.NARROW_MAX nodes (2^31), then widened to int64 in
    place, in memory or in the spill files; lowered here so a short run crosses it."""
    from revad_emu.ad.recorder import Recorder

    whole, _, _ = tapes
    assert whole.tape.parents.dtype == np.int32
    monkeypatch.setattr(Recorder, "NARROW_MAX", 150_001)
    wide = Emulator(whole.emulator.path, whole.emulator.argv).record(tape_memory=memory).tape
    assert wide.parents.dtype == np.int64 and wide.spilled == bool(memory)
    for name in COLUMNS:
        assert np.array_equal(getattr(whole.tape, name), getattr(wide, name)), name
    for method in ("compiled", "loop"):
        assert np.array_equal(whole.tape.jacobian(method), wide.jacobian(method))


@needs_hot
def test_cli_tape_memory_saves_a_loadable_tape(exe, tmp_path, capsys) -> None:
    out = tmp_path / "t.npz"
    rc = cli_main(["-q", "--tape-memory", "64K", "--tape", str(out), str(exe),
                   *[str(v) for v in X0], "3000"])
    assert rc == 0
    t = Tape.load(out)
    whole = Emulator(exe, [str(v) for v in X0] + ["3000"]).record(tape_memory=0).tape
    assert len(t) == len(whole) > 20_000
    for name in COLUMNS:
        assert np.array_equal(getattr(t, name), getattr(whole, name)), name
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]


def test_cli_tape_memory_usage_errors(exe, capsys) -> None:
    assert cli_main(["--tape-memory", "lots", str(exe)]) == 2
    assert "--tape-memory lots" in capsys.readouterr().err
    assert cli_main(["--tape-memory=-1M", str(exe)]) == 2


def test_tape_memory_sizes() -> None:
    assert arguments.tape_memory("64M") == 64 << 20
    assert arguments.tape_memory("1.5GiB") == 3 << 29
    assert arguments.tape_memory("512kb") == 512 << 10
    assert arguments.tape_memory(1000) == 1000
    assert arguments.tape_memory(None) > 0
    for bad in ("", "x", "nan", "-2", "1e999G"):
        with pytest.raises(ValueError):
            arguments.tape_memory(bad)
    for bad in (1.5, True, [1]):
        with pytest.raises(TypeError):
            arguments.tape_memory(bad)
