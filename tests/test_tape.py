"""TapeBuilder, Tape persistence and the Derivgrind export."""

from __future__ import annotations

import json

import numpy as np
import pytest

from revad_emu.ad.tape import OPS, Tape, TapeBuilder, node_depth, op_code, read_derivgrind


def small_tape() -> Tape:
    b = TapeBuilder()
    x = b.new_input(2.0, addr=0x401000)
    y = b.new_input(3.0, addr=0x401004)
    p = b.add(x, 3.0, y, 2.0, 6.0, addr=0x401010, op=op_code("mul"))
    q = b.add(p, 0.5, 0, 0.0, 3.0, addr=0x401014, op=op_code("libm:sqrt"))
    r = b.add(q, 1.0, q, 1.0, 6.0, addr=0x401018, op=op_code("add"))
    return b.finish([("x", x), ("y", y)], [("r", r), ("p", p), ("zero", 0)],
                    {"argv": ["prog", "1"], "sha256": "ab" * 32})


def test_builder_columns_and_depth() -> None:
    b = TapeBuilder()
    assert len(b) == 1  # node 0, passive
    assert (b.p1[0], b.p2[0], b.value[0], b.depth[0]) == (0, 0, 0.0, 0)
    x = b.new_input(1.5)
    c = b.add(0, 0.0, 0, 0.0, 4.0)  # no parents at all
    u = b.add(x, 1.0, 0, 0.0, 1.5)
    v = b.add(u, 1.0, c, 1.0, 5.5)
    w = b.add(v, 1.0, x, 2.0, 0.0)
    assert (x, c, u, v, w) == (1, 2, 3, 4, 5)
    assert list(b.depth) == [0, 0, 1, 1, 2, 3]
    assert len(b) == 6
    for name, code in (("p1", "q"), ("p2", "q"), ("d1", "d"), ("d2", "d"), ("value", "d"),
                       ("addr", "Q"), ("op", "H"), ("depth", "I")):
        assert getattr(b, name).typecode == code
    append = b.p1.append  # the recorder's hot path binds these
    append(0)
    assert len(b.p1) == 7


def test_op_registry() -> None:
    a = op_code("test:op-registry")
    assert op_code("test:op-registry") == a
    assert OPS[a] == "test:op-registry"
    assert OPS[op_code("input")] == "input"


def test_finish_arrays() -> None:
    t = small_tape()
    assert len(t) == 6
    assert t.parents.dtype == np.int64 and t.parents.shape == (6, 2)
    assert t.partials.dtype == np.float64 and t.partials.shape == (6, 2)
    assert t.addr.dtype == np.uint64 and t.op.dtype == np.uint16
    assert t.depth.dtype == np.int32
    assert t.depth.tolist() == [0, 0, 0, 1, 2, 3]
    assert t.op_names() == ["passive", "input", "input", "mul", "libm:sqrt", "add"]
    assert t.op_names([3]) == ["mul"]
    assert t.input_values.tolist() == [2.0, 3.0]
    assert t.output_values.tolist() == [6.0, 6.0, 0.0]
    assert t.input_names == ["x", "y"] and t.output_nodes.tolist() == [5, 3, 0]
    json.dumps(t.meta)


def test_finish_copies_and_recording_goes_on() -> None:
    b = TapeBuilder()
    x = b.new_input(1.0)
    t = b.finish([x], [x])
    b.add(x, 2.0, 0, 0.0, 2.0)
    assert len(t) == 2 and len(b) == 3
    assert t.inputs == [("x0", 1)] and t.outputs == [("y0", 1)]


def test_save_load_round_trip(tmp_path) -> None:
    t = small_tape()
    t.partials[4, 1] = np.nan  # bit patterns must survive
    path = tmp_path / "tape.npz"
    t.save(path)
    u = Tape.load(path)
    for name in ("parents", "partials", "values", "addr", "op", "depth", "input_values",
                 "output_values"):
        a, b = getattr(t, name), getattr(u, name)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert u.inputs == t.inputs and u.outputs == t.outputs and u.meta == t.meta
    assert u.op_names() == t.op_names()
    with np.load(path, allow_pickle=False) as z:  # readable without pickles
        assert "header" in z.files


def test_load_remaps_op_codes(tmp_path, monkeypatch) -> None:
    t = small_tape()
    path = tmp_path / "t.npz"
    t.save(path)
    names = t.op_names()
    fresh = ["passive", "input", *(f"something else {i}" for i in range(1000))]
    import revad_emu.ad.tape as tape_mod
    monkeypatch.setattr(tape_mod, "OPS", fresh)
    monkeypatch.setattr(tape_mod, "_OP_INDEX", {s: i for i, s in enumerate(fresh)})
    u = Tape.load(path)
    assert u.op_names() == names
    assert u.op[3] != t.op[3]


def test_write_derivgrind(tmp_path) -> None:
    t = small_tape()
    t.write_derivgrind(tmp_path, values=True)
    raw = (tmp_path / "dg-tape").read_bytes()
    assert len(raw) == 32 * len(t)
    assert raw[:32] == bytes(32)
    blocks = np.frombuffer(raw, "<u8").reshape(-1, 4)
    np.testing.assert_array_equal(blocks[:, :2].astype(np.int64), t.parents)
    np.testing.assert_array_equal(blocks[:, 2:].copy().view("<f8"), t.partials)
    assert (tmp_path / "dg-input-indices").read_text() == "1\n2\n"
    assert (tmp_path / "dg-output-indices").read_text() == "5\n3\n0\n"
    assert (tmp_path / "dg-values").stat().st_size == 8 * len(t)
    u = read_derivgrind(tmp_path)
    np.testing.assert_array_equal(u.parents, t.parents)
    np.testing.assert_array_equal(u.partials, t.partials)
    np.testing.assert_array_equal(u.values, t.values)
    np.testing.assert_array_equal(u.depth, t.depth)
    assert u.input_nodes.tolist() == [1, 2] and u.output_nodes.tolist() == [5, 3, 0]


def test_tape_from_raw_arrays_and_checks() -> None:
    parents = np.array([[0, 0], [0, 0], [1, 1], [2, 1]])
    t = Tape(parents, np.ones((4, 2)), inputs=[1], outputs=[3])
    assert t.depth.tolist() == [0, 0, 1, 2]
    np.testing.assert_array_equal(node_depth(parents), t.depth)
    with pytest.raises(ValueError, match="parent"):
        Tape(np.array([[0, 0], [1, 0]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="depth"):
        Tape(parents, np.ones((4, 2)), depth=np.array([0, 0, 1, 1]))
    with pytest.raises(ValueError, match="range"):
        Tape(parents, np.ones((4, 2)), inputs=[7])
    with pytest.raises(ValueError, match="node 0"):
        Tape(np.array([[1, 0]]), np.zeros((1, 2)))
