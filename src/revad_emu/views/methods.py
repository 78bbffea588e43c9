"""The view methods of `Recording` and `Tape` (`rec.explain()`, `rec.to_dot()`, ...).

Kept here, as a mixin, so the classes themselves stay small; every method imports its view
module on first use (matplotlib, pandas and graphviz are optional and slow to import).
"""

from __future__ import annotations

import numpy as np


class ViewsMixin:
    """Mixed into Recording and Tape; expects `self.tape` (or self being the tape)."""

    def explain(self, *, all: bool = False, nodes=None, output: int | None = None,  # noqa: A002
                limit: int | None = None):
        """One row per tape node: op, value, parents, partials, instruction, source line,
        disassembly. Default: only nodes an output depends on (the rest are counted);
        `all=True` shows every node, `nodes=range(a, b)` a range, `output=k` only what
        output k depends on, with adjoints d(output k)/d(node); `limit` caps the rows."""
        from revad_emu.views.explain import explain

        return explain(self, all=all, nodes=nodes, output=output, limit=limit)

    def to_dot(self, *, all: bool = False, output: int | None = None,
               max_nodes: int = 300) -> str:
        """The tape as Graphviz DOT text: inputs, outputs, operations with values, edges
        labelled with partials, clusters by source line."""
        from revad_emu.views.dot import to_dot

        return to_dot(self, all=all, output=output, max_nodes=max_nodes)

    def graph(self, *, all: bool = False, output: int | None = None, max_nodes: int = 120):
        """Draw the tape: a graphviz object when the graphviz package and `dot` exist,
        else a matplotlib figure."""
        from revad_emu.views.dot import graph

        return graph(self, all=all, output=output, max_nodes=max_nodes)

    def by_line(self, output: int = 0):
        """Per source line (per function where there is no DWARF): nodes recorded and the
        sum of |adjoint × partial| for output `output` — where the derivative comes from."""
        from revad_emu.views.byline import by_line

        return by_line(self, output=output)

    def jacobian_frame(self):
        """The Jacobian as a pandas DataFrame labelled by output and input names."""
        from revad_emu.views.display import jacobian_frame

        return jacobian_frame(self)

    def __repr__(self) -> str:
        return (f"Recording({len(self.inputs)} inputs, {len(self.outputs)} outputs, "
                f"{len(self.tape) - 1} tape nodes, exit_code={self.exit_code}, "
                f"{len(self.warnings)} warning(s))")

    def _repr_html_(self) -> str:
        from revad_emu.views.display import html_view

        return html_view(self)

    def _repr_pretty_(self, p, cycle: bool) -> None:
        from revad_emu.views.display import pretty_text

        p.text(type(self).__name__ + "(...)" if cycle else pretty_text(self))


def tape_stats(tape) -> dict:
    """Operation counts, depth histogram and memory of a tape."""
    names = tape.op_names()
    ops: dict[str, int] = {}
    for n in names[1:]:
        ops[n] = ops.get(n, 0) + 1
    depth = np.asarray(tape.depth)
    hist = np.bincount(depth[1:]).tolist() if len(depth) > 1 else []
    # Bytes of the arrays as saved (parents as int64, addr and op per node): the same
    # figure whichever way the tape is held in memory (int32 parents, sites).
    n = len(tape)
    nbytes = n * (16 + 16 + 8 + 8 + 2 + 4)
    return {"nodes": len(tape) - 1, "inputs": len(tape.inputs), "outputs": len(tape.outputs),
            "ops": dict(sorted(ops.items(), key=lambda kv: -kv[1])),
            "max_depth": int(depth.max()) if len(depth) else 0,
            "depth_histogram": hist, "bytes": int(nbytes)}
