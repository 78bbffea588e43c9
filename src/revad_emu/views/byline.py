"""`rec.by_line(output=k)`: a sensitivity map of the source.

For each source line (for each function where the code has no line information, e.g. a
stripped libc or libm) this counts the tape nodes the line recorded and sums, over those
nodes, |adjoint × partial| for every parent edge: how much derivative of output k flowed
through the line's operations. Inputs carry no partials, so they contribute nothing; nodes
output k does not depend on have adjoint 0 and contribute nothing either (they still count
as recorded nodes, so a busy line with zero contribution stands out).
"""

from __future__ import annotations

from dataclasses import dataclass

from revad_emu.ad.tape import Tape
from revad_emu.views import graphwalk, table
from revad_emu.views.locate import locator_for

_HEAD = ["where", "function", "nodes", "contribution", "share"]


@dataclass
class LineMap:
    """Rows (dicts: where, function, nodes, contribution, share), largest contribution
    first; `str()` a text table, `_repr_html_` an HTML one."""

    rows: list[dict]
    output: str

    def _cells(self) -> list[list[object]]:
        return [[r["where"], r["function"], r["nodes"], r["contribution"],
                 f"{100 * r['share']:.1f}%"] for r in self.rows]

    def __str__(self) -> str:
        return (f"derivative of {self.output} by source line (sum of |adjoint × partial|):\n"
                + table.text(_HEAD, self._cells(), [False, False, True, True, True]))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return table.html_table(_HEAD, self._cells(),
                                caption=f"derivative of {self.output} by source line "
                                        "(sum of |adjoint × partial|)",
                                right=[False, False, True, True, True])

    def __len__(self) -> int:
        return len(self.rows)


def by_line(source, output: int = 0) -> LineMap:
    tape: Tape = getattr(source, "tape", source)
    if not tape.outputs:
        raise ValueError("by_line: the run marked no outputs")
    loc = locator_for(source)
    adj = graphwalk.adjoints(tape, output).tolist()
    parents, partials = tape.parents.tolist(), tape.partials.tolist()
    addrs = tape.addr.tolist()
    acc: dict[tuple[str, str], list] = {}
    for k in range(1, len(tape)):
        a = addrs[k]
        if not a:
            continue  # inputs and client-request nodes: no instruction
        pl = loc.place(a) if loc is not None else None
        where = (pl.line or pl.function_name or f"{a:#x}") if pl else f"{a:#x}"
        fn = pl.function_name if pl else ""
        row = acc.setdefault((where, fn), [0, 0.0])
        row[0] += 1
        row[1] += sum(abs(adj[k] * d) for p, d in zip(parents[k], partials[k], strict=True)
                      if p)
    total = sum(v[1] for v in acc.values()) or 1.0
    rows = [{"where": w, "function": f, "nodes": n, "contribution": c, "share": c / total}
            for (w, f), (n, c) in acc.items()]
    rows.sort(key=lambda r: (-r["contribution"], -r["nodes"]))
    return LineMap(rows, tape.outputs[output][0])
