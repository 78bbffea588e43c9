"""The tape: recording-time builder and the finished, numpy-backed tape.

Node k holds up to two parent indices and the partial derivatives with respect to them.
Index 0 is the reserved passive node (value 0, no parents, depth 0): a parent index 0 means
"no parent", as in Derivgrind. Parents always precede their child, so the matrix L of partials
in tape order is strictly lower triangular; the sweeps in `sweep.py` rely on that.

Derivgrind export format (`Tape.write_derivgrind`), checked against Derivgrind's sources
(recorder `bar/dg_bar_tape.c`, evaluator `eval/tape-evaluation.cpp` and
`eval/dg_bar_tape_eval.hpp`):

- `dg-tape` is binary, one 32-byte block per index, block i at byte offset 32*i: two u64
  parent indices, then the two f64 partials stored bit for bit (native order, so little
  endian on x86-64). The recorder's counter starts at 1 and its zeroed buffer is flushed
  from the start, so block 0 is all zeros. The evaluator takes the block count as
  file size / 32 and skips parent index 0.
- `dg-input-indices` and `dg-output-indices` are text files, one `%llu` index and a newline
  per mark, in the order the marks were made.
- With value recording on, `dg-values` holds one f64 per block (block 0 too).
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

OPS: list[str] = ["passive", "input"]
_OP_INDEX: dict[str, int] = {name: i for i, name in enumerate(OPS)}


def op_code(name: str) -> int:
    """Small integer code for an operation name, registered on first use (fits in uint16)."""
    code = _OP_INDEX.get(name)
    if code is None:
        code = len(OPS)
        if code > 0xFFFF:
            raise ValueError("too many operation names for a uint16 code")
        OPS.append(name)
        _OP_INDEX[name] = code
    return code


_INPUT = op_code("input")
_VIEW_METHODS = frozenset({"explain", "to_dot", "graph", "by_line", "jacobian_frame",
                           "_repr_html_"})

Marks = Sequence[tuple[str, int]] | Sequence[int]


def _named(marks: Iterable[tuple[str, int] | int], prefix: str) -> list[tuple[str, int]]:
    """Normalise marks to (name, index) pairs; bare indices get names like `x0`, `y1`."""
    out: list[tuple[str, int]] = []
    for i, m in enumerate(marks):
        if isinstance(m, tuple | list):
            out.append((str(m[0]), int(m[1])))
        else:
            out.append((f"{prefix}{i}", int(m)))
    return out


class TapeBuilder:
    """Append-only columns used while recording.

    The columns are public `array.array`s so a recorder can bind their `.append` methods on its
    hot path; `add` is the convenient (slower) way and keeps the columns consistent.
    """

    def __init__(self) -> None:
        self.p1 = array("q", [0])
        self.p2 = array("q", [0])
        self.d1 = array("d", [0.0])
        self.d2 = array("d", [0.0])
        self.value = array("d", [0.0])
        self.addr = array("Q", [0])
        self.op = array("H", [0])
        self.depth = array("I", [0])

    def __len__(self) -> int:
        return len(self.op)

    def add(self, p1: int, d1: float, p2: int, d2: float, value: float,
            addr: int = 0, op: int = 0) -> int:
        """Append a node with parents p1, p2 (0 = passive) and return its index."""
        depth = self.depth
        k = len(depth)
        a, b = depth[p1], depth[p2]
        depth.append((a if a > b else b) + 1)
        self.p1.append(p1)
        self.p2.append(p2)
        self.d1.append(d1)
        self.d2.append(d2)
        self.value.append(value)
        self.addr.append(addr)
        self.op.append(op)
        return k

    def new_input(self, value: float, addr: int = 0) -> int:
        """Append an independent node (no parents, depth 0) and return its index."""
        k = len(self.depth)
        self.p1.append(0)
        self.p2.append(0)
        self.d1.append(0.0)
        self.d2.append(0.0)
        self.value.append(value)
        self.addr.append(addr)
        self.op.append(_INPUT)
        self.depth.append(0)
        return k

    def column(self, name: str, n: int | None = None) -> np.ndarray:
        """A read-only numpy view of the first n entries of a column."""
        a = getattr(self, name)
        return np.frombuffer(a, dtype=_DTYPES[name])[:n] if len(a) else \
            np.zeros(0, _DTYPES[name])

    def finish(self, inputs: Marks, outputs: Marks, meta: dict | None = None) -> Tape:
        """Freeze the columns into a `Tape` (copies, so recording may go on)."""
        def col(name: str) -> np.ndarray:
            return np.array(self.column(name))

        parents = np.stack([col("p1"), col("p2")], axis=1)
        partials = np.stack([col("d1"), col("d2")], axis=1)
        return Tape(parents, partials, col("value"), col("addr"), col("op"),
                    col("depth").astype(np.int32), inputs, outputs, meta or {})


_DTYPES = {"p1": np.int64, "p2": np.int64, "d1": np.float64, "d2": np.float64,
           "value": np.float64, "addr": np.uint64, "op": np.uint16, "depth": np.uint32,
           "width": np.uint8}


class HotTapeBuilder(TapeBuilder):
    """The same builder with its columns in the compiled `_hot.Tape`, which the C recording
    path appends to directly. Columns are live list-like views (`value[node]`)."""

    def __init__(self, ctape) -> None:  # noqa: D107 - no array columns of its own
        self.ctape = ctape
        for name in _DTYPES:
            setattr(self, name, ctape.column(name))

    def __len__(self) -> int:
        return len(self.ctape)

    def add(self, p1: int, d1: float, p2: int, d2: float, value: float,
            addr: int = 0, op: int = 0) -> int:
        return self.ctape.add(p1, d1, p2, d2, value, 0, 8, addr, op)

    def new_input(self, value: float, addr: int = 0) -> int:
        return self.ctape.new_input(value, 0, 8, addr, _INPUT)

    def column(self, name: str, n: int | None = None) -> np.ndarray:
        return np.frombuffer(self.ctape.column_bytes(name, -1 if n is None else n),
                             dtype=_DTYPES[name])


def node_depth(parents: np.ndarray) -> np.ndarray:
    """Depth of every node for tapes built without a builder: 1 + deepest parent, 0 for
    nodes without parents (a builder gives a parentless non-input node depth 1; both are
    valid level schedules). A Python loop: about 1 s per 10^6 nodes."""
    p1 = parents[:, 0].tolist()
    p2 = parents[:, 1].tolist()
    d = [0] * len(p1)
    for k in range(1, len(p1)):
        i, j = p1[k], p2[k]
        if i or j:
            a, b = d[i], d[j]
            d[k] = (a if a > b else b) + 1
    return np.asarray(d, dtype=np.int32)


class Tape:
    """A finished tape: plain numpy arrays plus named input/output marks and JSON metadata.

    Outputs may repeat a node, name node 0 (a passive output, whose Jacobian row is zero) or
    name an input node directly. The sweeps cache plans in `cache`: treat the arrays as
    read-only after the first sweep, or call `cache.clear()` after editing them.
    """

    def __init__(self, parents: np.ndarray, partials: np.ndarray,
                 values: np.ndarray | None = None, addr: np.ndarray | None = None,
                 op: np.ndarray | None = None, depth: np.ndarray | None = None,
                 inputs: Marks = (), outputs: Marks = (), meta: dict | None = None,
                 input_values: np.ndarray | None = None,
                 output_values: np.ndarray | None = None) -> None:
        self.parents = np.ascontiguousarray(parents, dtype=np.int64).reshape(-1, 2)
        n = len(self.parents)
        self.partials = np.ascontiguousarray(partials, dtype=np.float64).reshape(n, 2)
        self.values = np.zeros(n) if values is None else np.asarray(values, np.float64)
        self.addr = np.zeros(n, np.uint64) if addr is None else np.asarray(addr, np.uint64)
        self.op = np.zeros(n, np.uint16) if op is None else np.asarray(op, np.uint16)
        self.depth = node_depth(self.parents) if depth is None else np.asarray(depth, np.int32)
        self.inputs = _named(inputs, "x")
        self.outputs = _named(outputs, "y")
        self.meta = dict(meta or {})
        self._check()
        self.input_values = (self.values[self.input_nodes] if input_values is None
                             else np.asarray(input_values, np.float64))
        self.output_values = (self.values[self.output_nodes] if output_values is None
                              else np.asarray(output_values, np.float64))
        self.cache: dict = {}  # sweep plans, keyed by sweep.py; never saved

    def _check(self) -> None:
        """Reject tapes the sweeps would get silently wrong (parents after children, bad
        depths, marks out of range)."""
        n = len(self.parents)
        if n == 0 or np.any(self.parents[0] != 0):
            raise ValueError("node 0 must exist and be passive (no parents)")
        for name, a in (("values", self.values), ("addr", self.addr), ("op", self.op),
                        ("depth", self.depth)):
            if a.shape != (n,):
                raise ValueError(f"{name} has shape {a.shape}, expected ({n},)")
        k = np.arange(1, n)[:, None]
        p = self.parents[1:]
        if np.any(p < 0) or np.any(p >= k):
            raise ValueError("every parent index must be 0 or smaller than its child's index")
        d = self.depth
        if d[0] != 0 or np.any((p != 0) & (d[p] >= d[1:, None])):
            raise ValueError("depth must exceed the depth of every non-passive parent")
        if np.any(d[1:] < 0) or np.any(d[1:] > k[:, 0]):  # the sweeps size tables by depth
            raise ValueError("depth must lie between 0 and the node's index")
        for idx in (self.input_nodes, self.output_nodes):
            if np.any(idx < 0) or np.any(idx >= n):
                raise ValueError("input/output index out of range")

    def __len__(self) -> int:
        return len(self.parents)

    def __repr__(self) -> str:
        return (f"Tape({len(self)} nodes, {len(self.inputs)} inputs, "
                f"{len(self.outputs)} outputs)")

    @property
    def input_nodes(self) -> np.ndarray:
        return np.fromiter((i for _, i in self.inputs), np.int64, len(self.inputs))

    @property
    def output_nodes(self) -> np.ndarray:
        return np.fromiter((i for _, i in self.outputs), np.int64, len(self.outputs))

    @property
    def input_names(self) -> list[str]:
        return [s for s, _ in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [s for s, _ in self.outputs]

    def op_names(self, nodes: Iterable[int] | None = None) -> list[str]:
        """Operation names of `nodes` (default: all nodes); unknown codes show as `op<N>`."""
        codes = self.op if nodes is None else self.op[np.asarray(list(nodes), np.int64)]
        return [OPS[c] if c < len(OPS) else f"op{c}" for c in codes.tolist()]

    # --- evaluation and views (the public Tape API; the work is in sweep.py / views) ------

    def vjp(self, ybar, method: str = "auto") -> np.ndarray:
        """Vector-Jacobian product: output weights `ybar` (one per output) → input adjoints."""
        from revad_emu.ad import sweep

        return sweep.vjp(self, np.asarray(ybar, dtype=float), method=method)

    def jvp(self, xdot, method: str = "auto") -> np.ndarray:
        """Jacobian-vector product: input directions `xdot` → output tangents."""
        from revad_emu.ad import sweep

        return sweep.jvp(self, np.asarray(xdot, dtype=float), method=method)

    def jacobian(self, method: str = "auto") -> np.ndarray:
        """Full Jacobian, rows = outputs, columns = inputs (in mark order)."""
        from revad_emu.ad import sweep

        return sweep.jacobian(self, method=method)

    def gradient(self, output: int = 0) -> np.ndarray:
        """Gradient of output number `output` with respect to all inputs."""
        seed = np.zeros(len(self.outputs))
        seed[output] = 1.0
        return self.vjp(seed)

    def stats(self) -> dict:
        """Operation counts, depth histogram, memory in bytes."""
        from revad_emu.views.methods import tape_stats

        return tape_stats(self)

    def _repr_pretty_(self, p, cycle: bool) -> None:
        """IPython display (looked up on the class, so it cannot come from __getattr__)."""
        from revad_emu.views.display import pretty_text

        p.text(repr(self) if cycle else pretty_text(self))

    def __getattr__(self, name: str):
        """View methods (explain, to_dot, graph, by_line, jacobian_frame, HTML display)
        live in revad_emu.views so this module stays free of presentation code."""
        if name in _VIEW_METHODS:
            from revad_emu.views.methods import ViewsMixin

            return getattr(ViewsMixin, name).__get__(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # --- persistence -------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write an .npz (no pickles); names, meta and the op-name table go in a JSON string."""
        header = {"format": "revad_emu.tape", "version": 1, "inputs": self.inputs,
                  "outputs": self.outputs, "meta": self.meta, "ops": OPS}
        with open(path, "wb") as f:  # a file object keeps np.savez from appending ".npz"
            np.savez(f, parents=self.parents, partials=self.partials, values=self.values,
                     addr=self.addr, op=self.op, depth=self.depth,
                     input_values=self.input_values, output_values=self.output_values,
                     header=np.array(json.dumps(header)))

    @classmethod
    def load(cls, path: str | os.PathLike | bytes) -> Tape:
        """Read a tape written by `save`, validating every field first (`tape_check`):
        a damaged or hostile file raises `TapeError` (a ValueError) naming the problem.
        Op codes are remapped to this process's registry."""
        from revad_emu.ad import tape_check

        return tape_check.load(path)

    def write_derivgrind(self, dirpath: str | os.PathLike, values: bool = False) -> None:
        """Write `dg-tape`, `dg-input-indices`, `dg-output-indices` (and `dg-values` if
        asked) in Derivgrind's layout, so its `tape-evaluation` tool can read them."""
        d = Path(dirpath)
        d.mkdir(parents=True, exist_ok=True)
        blocks = np.empty((len(self), 4), "<u8")
        blocks[:, :2] = self.parents
        blocks[:, 2:] = self.partials.astype("<f8").view("<u8")
        blocks[0] = 0
        blocks.tofile(d / "dg-tape")
        if values:
            v = self.values.astype("<f8")
            v[0] = 0.0
            v.tofile(d / "dg-values")
        for fname, nodes in (("dg-input-indices", self.input_nodes),
                             ("dg-output-indices", self.output_nodes)):
            (d / fname).write_text("".join(f"{i}\n" for i in nodes.tolist()))


def read_derivgrind(dirpath: str | os.PathLike) -> Tape:
    """Read a Derivgrind tape directory (no names or values beyond `dg-values` if present)."""
    d = Path(dirpath)
    blocks = np.fromfile(d / "dg-tape", "<u8").reshape(-1, 4)
    parents = blocks[:, :2].astype(np.int64)
    partials = blocks[:, 2:].copy().view("<f8").astype(np.float64)
    values = np.fromfile(d / "dg-values", "<f8") if (d / "dg-values").exists() else None

    def idx(name: str) -> list[int]:
        p = d / name
        return [int(s) for s in p.read_text().split()] if p.exists() else []

    return Tape(parents, partials, values, inputs=idx("dg-input-indices"),
                outputs=idx("dg-output-indices"), meta={"source": "derivgrind"})
