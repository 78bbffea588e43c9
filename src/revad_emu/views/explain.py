"""`rec.explain()`: the tape as a table a person can follow, one row per node.

Each row ties a node to the machine instruction that made it (address, `function+offset`,
disassembly), the source line (DWARF, when the binary has it) and the numbers the sweeps
use (value, parents, partials; the adjoint when an output is chosen). By default only the
nodes some output depends on are shown — a program's `printf` of a result records `|y|`
nodes that no output needs — and the hidden ones are counted, not silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from revad_emu.ad.tape import Tape
from revad_emu.views import graphwalk, table
from revad_emu.views.locate import locator_for

COLUMNS = ["node", "op", "value", "parents", "partials", "adjoint", "mark", "address",
           "function", "line", "disasm"]
_RIGHT = {"node", "value", "adjoint"}


@dataclass
class Explanation:
    """The rows of `explain()`; `str()` is an aligned table, `_repr_html_` an HTML one."""

    rows: list[dict]
    hidden: int
    total: int
    output: int | None = None
    columns: list[str] = field(default_factory=list)
    cut: int = 0  # rows left out by `limit`

    def _summary(self) -> str:
        s = f"{len(self.rows)} of {self.total} tape nodes"
        if self.hidden:
            s += (f"; {self.hidden} node(s) that no output depends on are hidden "
                  "(explain(all=True) shows them)")
        if self.cut:
            s += f"; {self.cut} more row(s) beyond the limit (explain(nodes=range(a, b)))"
        return s

    def __str__(self) -> str:
        cols = self.columns
        body = table.text(cols, [[r.get(c) for c in cols] for r in self.rows],
                          [c in _RIGHT for c in cols])
        return body + "\n" + self._summary()

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cols = self.columns
        return table.html_table(cols, [[r.get(c) for c in cols] for r in self.rows],
                                caption=self._summary(), right=[c in _RIGHT for c in cols])

    def __len__(self) -> int:
        return len(self.rows)


def explain(source, *, all: bool = False, nodes: range | slice | None = None,  # noqa: A002
            output: int | None = None, limit: int | None = None) -> Explanation:
    """Rows for the nodes of `source` (a Recording or a Tape).

    all: also the nodes no output depends on. nodes: only this index range (a `range` or
    `slice` of node indices). output: only what output number `output` depends on, with
    each node's adjoint d(output)/d(node) in an extra column. limit: at most this many
    rows (the rest are counted).
    """
    tape: Tape = getattr(source, "tape", source)
    loc = locator_for(source)
    n = len(tape)
    if isinstance(nodes, slice):
        nodes = range(*nodes.indices(n))
    span = range(1, n) if nodes is None else range(max(nodes.start, 1), min(nodes.stop, n),
                                                   nodes.step or 1)
    keep = None if all else graphwalk.needed(tape, output)
    adj = graphwalk.adjoints(tape, output) if output is not None else None
    marks: dict[int, list[str]] = {}
    for name, k in tape.inputs:
        marks.setdefault(k, []).append(f"input {name}")
    for name, k in tape.outputs:
        marks.setdefault(k, []).append(f"output {name}")
    ops = tape.op_names()
    parents, partials = tape.parents.tolist(), tape.partials.tolist()
    values, addrs = tape.values.tolist(), tape.addr.tolist()
    rows, hidden, cut = [], 0, 0
    for k in span:
        if keep is not None and not keep[k]:
            hidden += 1
            continue
        if limit is not None and len(rows) >= limit:
            cut += 1
            continue
        ps = [p for p in parents[k] if p]
        ds = [d for p, d in zip(parents[k], partials[k], strict=True) if p]
        a = addrs[k]
        place = loc.place(a) if loc is not None and a else None
        row = {"node": k, "op": ops[k], "value": values[k], "parents": ps, "partials": ds,
               "mark": "; ".join(marks.get(k, [])), "address": f"{a:#x}" if a else "",
               "function": place.function if place else "",
               "line": place.line if place else "", "disasm": place.disasm if place else ""}
        if adj is not None:
            row["adjoint"] = float(adj[k])
        rows.append(row)
    cols = [c for c in COLUMNS if c != "adjoint" or adj is not None]
    return Explanation(rows, hidden, n - 1, output, cols, cut)
