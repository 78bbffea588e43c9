"""Sweeps: every method against the plain loop and against a dense solve of (I - L)^-1."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import solve_triangular

from revad_emu.ad import sweep
from revad_emu.ad.sweep import jacobian, jvp, vjp
from revad_emu.ad.tape import Tape, TapeBuilder, op_code

METHODS = ["loop", "levels", "triangular", "compiled", "auto"]
SHAPES = ["wide", "local", "chain"]


def random_tape(shape: str, n: int = 300, seed: int = 0, n_in: int = 6, n_out: int = 7) -> Tape:
    """A random tape with passive parents, p1 == p2, inputs created mid-tape, repeated and
    passive outputs, and an input listed as an output."""
    rng = np.random.default_rng(seed)
    b = TapeBuilder()
    ins = [b.new_input(float(rng.normal())) for _ in range(n_in // 2)]
    mul = op_code("mul")
    while len(b) < n:
        k = len(b)
        if len(ins) < n_in and rng.random() < 0.02:
            ins.append(b.new_input(float(rng.normal())))
            continue
        if shape == "wide":
            p1, p2 = rng.integers(0, k, 2)
        elif shape == "local":
            p1, p2 = rng.integers(max(0, k - 20), k, 2)
        else:  # chain: running combination of the previous node and something else
            p1, p2 = k - 1, rng.integers(0, k)
        r = rng.random()
        if r < 0.1:
            p2 = 0
        elif r < 0.2:
            p2 = p1
        elif r < 0.25:
            p1 = p2 = 0
        d1, d2 = rng.uniform(-1.2, 1.2, 2)
        b.add(int(p1), float(d1), int(p2), float(d2), float(rng.normal()), addr=k, op=mul)
    while len(ins) < n_in:
        ins.append(b.new_input(1.0))
    top = len(b) - 1
    outs = [top, int(rng.integers(1, top)), 0, top, ins[1], int(rng.integers(top // 2, top))]
    outs += [int(rng.integers(1, top)) for _ in range(n_out - len(outs))]
    return b.finish([(f"x{i}", j) for i, j in enumerate(ins)],
                    [(f"y{i}", j) for i, j in enumerate(outs)], {"shape": shape})


def dense_jacobian(tape: Tape) -> np.ndarray:
    """(I - L)^-1 restricted to outputs x inputs; node-0 marks give zero rows/columns."""
    n = len(tape)
    L = np.zeros((n, n))
    for j in range(2):
        k = np.flatnonzero(tape.parents[:, j])
        np.add.at(L, (k, tape.parents[k, j]), tape.partials[k, j])
    M = solve_triangular(np.eye(n) - L, np.eye(n), lower=True)
    out, inp = tape.output_nodes, tape.input_nodes
    J = M[np.ix_(out, inp)]
    J[out == 0] = 0.0
    J[:, inp == 0] = 0.0
    return J


@pytest.fixture(scope="module", params=SHAPES)
def tape(request) -> Tape:
    return random_tape(request.param, seed=SHAPES.index(request.param))


@pytest.mark.parametrize("method", METHODS)
def test_jacobian_matches_dense(tape: Tape, method: str) -> None:
    J = dense_jacobian(tape)
    np.testing.assert_allclose(jacobian(tape, method), J, rtol=1e-11, atol=1e-12)
    rng = np.random.default_rng(1)
    ybar = rng.normal(size=len(tape.outputs))
    xdot = rng.normal(size=len(tape.inputs))
    np.testing.assert_allclose(vjp(tape, ybar, method), ybar @ J, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(jvp(tape, xdot, method), J @ xdot, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("method", METHODS[1:])
def test_methods_match_loop(tape: Tape, method: str) -> None:
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(3, len(tape.outputs)))
    X = rng.normal(size=(4, len(tape.inputs)))
    np.testing.assert_allclose(vjp(tape, Y, method), vjp(tape, Y, "loop"), rtol=1e-12,
                               atol=1e-13)
    np.testing.assert_allclose(jvp(tape, X, method), jvp(tape, X, "loop"), rtol=1e-12,
                               atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_dot_product(tape: Tape, method: str) -> None:
    rng = np.random.default_rng(3)
    ybar = rng.normal(size=len(tape.outputs))
    xdot = rng.normal(size=len(tape.inputs))
    lhs = ybar @ jvp(tape, xdot, method)
    rhs = vjp(tape, ybar, method) @ xdot
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_vector_mode_equals_stacked_single_seeds(tape: Tape, method: str) -> None:
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(5, len(tape.outputs)))
    X = rng.normal(size=(5, len(tape.inputs)))
    np.testing.assert_allclose(vjp(tape, Y, method), np.stack([vjp(tape, y, method) for y in Y]),
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(jvp(tape, X, method), np.stack([jvp(tape, x, method) for x in X]),
                               rtol=1e-13, atol=1e-14)


def test_marks_edge_cases() -> None:
    b = TapeBuilder()
    x0 = b.new_input(2.0)
    x1 = b.new_input(3.0)
    y = b.add(x0, 3.0, x1, 2.0, 6.0)  # x0*x1
    z = b.add(y, 1.0, y, 1.0, 12.0)  # y + y (p1 == p2)
    t = b.finish([("a", x0), ("b", x1), ("passive", 0)],
                 [("z", z), ("z again", z), ("zero", 0), ("a", x0)])
    expected = np.array([[6.0, 4.0, 0.0], [6.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    for m in METHODS:
        np.testing.assert_array_equal(jacobian(t, m), expected)
        np.testing.assert_array_equal(vjp(t, [1.0, 1.0, 5.0, 1.0], m), [13.0, 8.0, 0.0])
    np.testing.assert_array_equal(t.output_values, [12.0, 12.0, 0.0, 2.0])


def test_no_dependency_and_empty_marks() -> None:
    b = TapeBuilder()
    c = b.add(0, 0.0, 0, 0.0, 1.0)  # a constant, recorded before the input
    x = b.new_input(1.0)
    t = b.finish([x], [c])
    for m in METHODS:
        assert jacobian(t, m).tolist() == [[0.0]]
    t0 = b.finish([], [c])
    assert jacobian(t0).shape == (1, 0)
    assert vjp(t0, [1.0]).shape == (0,)
    assert jvp(t0, np.zeros((2, 0))).shape == (2, 1)


def nonfinite_tape() -> Tape:
    """inf/nan partials that the zero convention must keep out of the result."""
    b = TapeBuilder()
    x = b.new_input(1.0)
    c = b.add(0, 0.0, 0, 0.0, 5.0)  # constant: zero tangent, not an input
    u = b.add(x, 2.0, c, np.inf, 1.0)  # inf towards a constant: forward must skip it
    dead = b.add(u, np.nan, x, np.inf, 0.0)  # feeds no output: zero adjoint
    b.add(dead, np.inf, 0, 0.0, 0.0)
    y = b.add(u, 3.0, x, 1.0, 0.0)
    return b.finish([x], [y])


@pytest.mark.parametrize("method", METHODS)
def test_nonfinite_partials_are_skipped(method: str) -> None:
    t = nonfinite_tape()
    assert jacobian(t, method).tolist() == [[7.0]]
    assert vjp(t, [2.0], method).tolist() == [14.0]
    assert jvp(t, [[1.0], [0.5]], method).tolist() == [[7.0], [3.5]]


@pytest.mark.parametrize("method", METHODS)
def test_reached_nonfinite_partial_propagates(method: str) -> None:
    b = TapeBuilder()
    x = b.new_input(1.0)
    u = b.add(x, np.inf, 0, 0.0, 1.0)
    y = b.add(u, 1.0, x, 1.0, 0.0)
    w = b.add(x, 2.0, 0, 0.0, 0.0)
    t = b.finish([x], [y, w])
    J = jacobian(t, method)
    assert J[0, 0] == np.inf and J[1, 0] == 2.0
    assert vjp(t, [0.0, 1.0], method).tolist() == [2.0]  # y not seeded: u never reached
    np.testing.assert_array_equal(jvp(t, [[1.0], [0.0]], method), [[np.inf, 2.0], [0.0, 0.0]])


def test_random_nonfinite_agrees_with_loop() -> None:
    t = random_tape("local", n=400, seed=7)
    rng = np.random.default_rng(2)
    idx = rng.integers(1, len(t), 4)
    t.partials[idx, rng.integers(0, 2, 4)] = rng.choice([np.inf, -np.inf, np.nan], 4)
    Y = rng.normal(size=(3, len(t.outputs)))
    X = rng.normal(size=(3, len(t.inputs)))
    ref_r, ref_f = vjp(t, Y, "loop"), jvp(t, X, "loop")
    for ref in (ref_r, ref_f):  # the case is only useful with both kinds of results
        assert 0.0 < np.isfinite(ref).mean() < 1.0
    for m in METHODS[1:]:
        t.cache.clear()
        np.testing.assert_allclose(vjp(t, Y, m), ref_r, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(jvp(t, X, m), ref_f, rtol=1e-12, equal_nan=True)


def test_jacobian_in_batches(tape: Tape, monkeypatch) -> None:
    full = jacobian(tape, "levels")
    monkeypatch.setattr(sweep, "BATCH_ELEMENTS", 2 * len(tape))  # two seeds per batch
    np.testing.assert_array_equal(jacobian(tape, "levels"), full)


def test_auto_picks_by_depth(monkeypatch) -> None:
    monkeypatch.setattr(sweep, "sweep_module", lambda: None)  # the choice without _sweep.c
    wide = random_tape("wide", n=20000, n_in=50, seed=5)
    chain = random_tape("chain", n=3000, seed=5)
    assert sweep.choose_method(wide, forward=True) == "levels"
    assert sweep.choose_method(wide, forward=False) == "levels"
    assert sweep.choose_method(chain, seeds=8, forward=True) == "triangular"
    assert sweep.choose_method(chain, forward=False) == "triangular"


def test_bad_arguments() -> None:
    t = random_tape("wide", n=50)
    with pytest.raises(ValueError):
        vjp(t, np.zeros(len(t.outputs) + 1))
    with pytest.raises(ValueError):
        jvp(t, np.zeros(len(t.inputs)), method="nope")  # type: ignore[arg-type]


@pytest.mark.skipif(sweep.sweep_module() is None, reason="compiled sweeps not built")
@pytest.mark.parametrize("shape", SHAPES)
def test_compiled_is_bit_identical_to_loop(shape: str) -> None:
    """The compiled loops are the Python reference loops' twins: same operations, same order."""
    t = random_tape(shape, n=2000, seed=11)
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(3, len(t.outputs)))
    X = rng.normal(size=(3, len(t.inputs)))
    Y[1, 2:] = 0.0  # zero seeds exercise the zero convention
    np.testing.assert_array_equal(vjp(t, Y, "compiled"), vjp(t, Y, "loop"))
    np.testing.assert_array_equal(jvp(t, X, "compiled"), jvp(t, X, "loop"))
    np.testing.assert_array_equal(vjp(t, Y[0], "compiled"), vjp(t, Y[0], "loop"))
    assert sweep.choose_method(t) == "compiled"


def test_compiled_without_extension_runs_the_loop(monkeypatch) -> None:
    t = random_tape("wide", n=500, seed=2)
    Y = np.ones(len(t.outputs))
    want = vjp(t, Y, "loop")
    monkeypatch.setattr(sweep, "sweep_module", lambda: None)
    np.testing.assert_array_equal(vjp(t, Y, "compiled"), want)
    assert sweep.choose_method(t) != "compiled"
