"""`rec.to_dot()` / `rec.graph()` / `--graph FILE`: the tape as a picture.

Nodes: inputs (boxes, with their mark names and values), operations (ellipses: node index,
operation, value), outputs (double boxes, linked from the node they mark). Edges go from
parent to child and carry the partial derivative. Operations are clustered by source line
(by function where the binary has no line information), so a reader sees which line of the
source made which part of the graph. `graph()` renders through the graphviz package when it
and the `dot` program are installed, else it draws the same graph with matplotlib (layers by
tape depth) — so a notebook always gets a picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from revad_emu.ad.tape import Tape
from revad_emu.errors import RevadError
from revad_emu.views import graphwalk
from revad_emu.views.locate import locator_for


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _g(x: float) -> str:
    return f"{x:.6g}"


def select(tape: Tape, all: bool, output: int | None, max_nodes: int) -> tuple[list[int], int]:  # noqa: A002
    """Node indices to draw (ascending) and how many more were left out."""
    if all:
        nodes = list(range(1, len(tape)))
    else:
        keep = graphwalk.needed(tape, output)
        nodes = [int(k) for k in keep.nonzero()[0]]
    extra = max(0, len(nodes) - max_nodes)
    return nodes[:max_nodes], extra


def groups(source, nodes: list[int]) -> dict[str, list[int]]:
    """Cluster label (`file.c:19`, or a function name without line info) → nodes."""
    tape: Tape = getattr(source, "tape", source)
    loc = locator_for(source)
    out: dict[str, list[int]] = defaultdict(list)
    addrs = tape.addr
    for k in nodes:
        a = int(addrs[k])
        if not a or loc is None:
            continue
        pl = loc.place(a)
        label = pl.line or pl.function_name or ""
        if label:
            out[label].append(k)
    return out


def to_dot(source, *, all: bool = False, output: int | None = None,  # noqa: A002
           max_nodes: int = 300) -> str:
    tape: Tape = getattr(source, "tape", source)
    nodes, extra = select(tape, all, output, max_nodes)
    drawn = set(nodes)
    ops = tape.op_names()
    in_name: dict[int, list[str]] = defaultdict(list)
    for name, k in tape.inputs:
        in_name[k].append(name)
    lines = ["digraph tape {", "  rankdir=TB;", '  node [fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=9];']
    if extra:
        lines.append(f"  label={_q(f'{extra} more nodes not drawn (max_nodes={max_nodes})')};")
    for k in nodes:
        v = _g(float(tape.values[k]))
        if ops[k] == "input" or k in in_name:
            label = f"{' / '.join(in_name.get(k, [f'n{k}']))} = {v}\\nn{k} input"
            lines.append(f"  n{k} [shape=box, style=filled, fillcolor=lightblue, "
                         f"label=\"{label}\"];")
        else:
            lines.append(f'  n{k} [shape=ellipse, label="n{k} {ops[k]}\\n{v}"];')
    for label, ks in groups(source, nodes).items():
        idx = len(lines)
        members = " ".join(f"n{k};" for k in ks)
        lines.append(f"  subgraph cluster_{idx} {{ label={_q(label)}; style=rounded; "
                     f"color=gray; {members} }}")
    for k in nodes:
        for (p, d) in zip(tape.parents[k].tolist(), tape.partials[k].tolist(), strict=True):
            if p and p in drawn:
                lines.append(f'  n{p} -> n{k} [label="{_g(d)}"];')
    for j, (name, k) in enumerate(tape.outputs):
        if output is not None and j != output % max(len(tape.outputs), 1):
            continue
        v = _g(float(tape.values[k])) if k else "0 (passive)"
        lines.append(f"  out{j} [shape=box, peripheries=2, style=filled, fillcolor=lightyellow, "
                     f"label={_q(f'{name} = {v}')}];")
        if k in drawn:
            lines.append(f"  n{k} -> out{j} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def have_dot() -> bool:
    return shutil.which("dot") is not None


def graph(source, *, all: bool = False, output: int | None = None,  # noqa: A002
          max_nodes: int = 120):
    """A graphviz.Source when graphviz (package and `dot`) is installed, else a matplotlib
    Figure of the same graph."""
    text = to_dot(source, all=all, output=output, max_nodes=max_nodes)
    if have_dot():
        try:
            import graphviz

            return graphviz.Source(text)
        except ImportError:
            pass
    return draw(source, all=all, output=output, max_nodes=max_nodes)


def draw(source, *, all: bool = False, output: int | None = None,  # noqa: A002
         max_nodes: int = 120):
    """The graph with matplotlib: one row per tape depth (inputs on top), boxes coloured
    by source line, arrows labelled with partials."""
    try:
        import matplotlib

        if not os.environ.get("DISPLAY") and "ipykernel" not in os.sys.modules:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RevadError("drawing the tape needs matplotlib (pip install matplotlib) or "
                         "Graphviz (the `dot` program)") from None
    tape: Tape = getattr(source, "tape", source)
    nodes, extra = select(tape, all, output, max_nodes)
    drawn = set(nodes)
    ops = tape.op_names()
    in_name = {k: n for n, k in tape.inputs}
    out_names: dict[int, list[str]] = defaultdict(list)
    for n, k in tape.outputs:
        out_names[k].append(n)
    # Layers: inputs at depth 0; each node one below its deepest drawn parent.
    layer: dict[int, int] = {}
    for k in nodes:
        ps = [p for p in tape.parents[k].tolist() if p in drawn]
        layer[k] = 1 + max((layer[p] for p in ps), default=-1)
    rows: dict[int, list[int]] = defaultdict(list)
    for k in nodes:
        rows[layer[k]].append(k)
    pos = {}
    for d, ks in rows.items():
        for i, k in enumerate(ks):
            pos[k] = (i - (len(ks) - 1) / 2, -d)
    colour_of: dict[int, str] = {}
    labels = list(groups(source, nodes).items())
    palette = plt.get_cmap("tab10")
    for i, (_label, ks) in enumerate(labels):
        for k in ks:
            colour_of[k] = palette(i % 10)
    width = max((len(ks) for ks in rows.values()), default=1)
    fig, ax = plt.subplots(figsize=(max(5, 2.0 * width), max(3, 1.3 * len(rows))))
    for k in nodes:
        for p, dv in zip(tape.parents[k].tolist(), tape.partials[k].tolist(), strict=True):
            if p and p in drawn:
                (x0, y0), (x1, y1) = pos[p], pos[k]
                ax.annotate("", xy=(x1, y1 + 0.18), xytext=(x0, y0 - 0.18),
                            arrowprops={"arrowstyle": "->", "color": "0.4"})
                ax.text((x0 + x1) / 2, (y0 + y1) / 2, f"{dv:.4g}", fontsize=7, color="0.25",
                        ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
    for k in nodes:
        x, y = pos[k]
        v = float(tape.values[k])
        if k in in_name:
            text, fc = f"{in_name[k]} = {v:.4g}", "lightblue"
        else:
            text, fc = f"n{k} {ops[k]}\n{v:.4g}", colour_of.get(k, "0.9")
        if k in out_names:
            text += "\n→ " + ", ".join(out_names[k])
        ax.text(x, y, text, ha="center", va="center", fontsize=8, family="monospace",
                bbox={"boxstyle": "round,pad=0.3", "fc": fc, "alpha": 0.85,
                      "ec": "black" if k in out_names else "0.5",
                      "lw": 2 if k in out_names else 1})
    handles = [plt.Line2D([], [], marker="s", ls="", color=palette(i % 10), label=label)
               for i, (label, _ks) in enumerate(labels[:10])]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  title="source line", title_fontsize=8)
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    title = "tape: inputs on top, arrows labelled with partial derivatives"
    if extra:
        title += f" ({extra} more nodes not drawn)"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    plt.close(fig)  # returned, not also shown by pyplot (a notebook displays it once)
    return fig


def write_graph(source, path: str, **kw) -> None:
    """`--graph FILE`: .dot is DOT text; .svg/.png via `dot` when installed, else matplotlib."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".dot", ".gv", ".svg", ".png", ".pdf"):
        raise RevadError(f"--graph {path}: use a .dot, .svg, .png or .pdf file name")
    text = to_dot(source, **kw)
    if suffix in (".dot", ".gv"):
        Path(path).write_text(text)
        return
    if have_dot():
        res = subprocess.run(["dot", f"-T{suffix[1:]}", "-o", path], input=text.encode(),
                             capture_output=True)
        if res.returncode == 0:
            return
        raise RevadError(f"--graph {path}: dot failed: {res.stderr.decode(errors='replace')}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RevadError(f"--graph {path}: SVG/PNG output needs Graphviz (the `dot` program) "
                         "or matplotlib (pip install matplotlib); .dot works without "
                         "either") from None
    fig = draw(source, all=kw.get("all", False), output=kw.get("output"),
               max_nodes=min(kw.get("max_nodes", 120), 120))
    fig.savefig(path)
    import matplotlib.pyplot as plt

    plt.close(fig)
