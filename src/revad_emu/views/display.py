"""How a Recording or a Tape shows itself in Jupyter and IPython: values, a labelled
Jacobian, warnings, statistics — instead of a dump of every dataclass field."""

from __future__ import annotations

import html

import numpy as np

from revad_emu.views import table

MAX_SHOWN = 12  # rows/columns of the Jacobian shown inline; the rest is elided


def _jacobian(obj) -> np.ndarray | None:
    try:
        return np.asarray(obj.jacobian())
    except Exception:  # noqa: BLE001 - a display must not raise; the text says why
        return None


def _summary(obj) -> str:
    tape = getattr(obj, "tape", obj)
    meta = getattr(tape, "meta", {}) or {}
    prog = meta.get("program", "")
    s = f"{len(tape.inputs)} input(s) → {len(tape.outputs)} output(s), {len(tape) - 1} tape nodes"
    stats = getattr(obj, "stats", None)
    stats = (tape.meta if callable(stats) else stats) or {}
    if stats.get("instructions"):
        s += f", {stats['instructions']:,} instructions in {stats.get('record_seconds', 0):.2f} s"
    if prog:
        s = f"{prog}: " + s
    code = getattr(obj, "exit_code", None)
    if code:
        s += f", exit status {code}"
    return s


def _pairs(obj, which: str) -> list[tuple[str, float]]:
    if hasattr(obj, which) and isinstance(getattr(obj, which), list) and hasattr(obj, "tape"):
        return [(n, float(v)) for n, v in getattr(obj, which)]
    tape = obj
    names = tape.input_names if which == "inputs" else tape.output_names
    vals = tape.input_values if which == "inputs" else tape.output_values
    return list(zip(names, [float(v) for v in vals], strict=True))


def _jac_rows(obj, J) -> tuple[list[str], list[list[object]]]:
    ins, outs = _pairs(obj, "inputs"), _pairs(obj, "outputs")
    heads = [""] + [f"∂/∂{n}" for n, _ in ins[:MAX_SHOWN]] + (["…"] if len(ins) > MAX_SHOWN
                                                               else [])
    rows = []
    for i, (n, _v) in enumerate(outs[:MAX_SHOWN]):
        r: list[object] = [n] + [float(J[i, j]) for j in range(min(len(ins), MAX_SHOWN))]
        rows.append(r + (["…"] if len(ins) > MAX_SHOWN else []))
    if len(outs) > MAX_SHOWN:
        rows.append(["…"] * len(heads))
    return heads, rows


def pretty_text(obj) -> str:
    lines = [type(obj).__name__ + ": " + _summary(obj)]
    for which in ("inputs", "outputs"):
        vals = _pairs(obj, which)
        if vals:
            lines.append(f"{which}: " + ", ".join(f"{n} = {v:.7g}" for n, v in vals[:20])
                         + (" …" if len(vals) > 20 else ""))
    J = _jacobian(obj) if _pairs(obj, "inputs") and _pairs(obj, "outputs") else None
    if J is not None:
        heads, rows = _jac_rows(obj, J)
        lines.append("Jacobian (rows: outputs, columns: inputs):")
        lines += ["  " + s for s in table.text(heads, rows, [False] + [True] * (len(heads) - 1))
                  .splitlines()]
    elif not _pairs(obj, "inputs") or not _pairs(obj, "outputs"):
        lines.append("no derivatives: mark inputs and outputs (REVAD_INPUT / REVAD_OUTPUT)")
    for w in getattr(obj, "warnings", []) or []:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def html_view(obj) -> str:
    esc = html.escape
    parts = [f"<div><b>{esc(type(obj).__name__)}</b>: {esc(_summary(obj))}</div>"]
    ins, outs = _pairs(obj, "inputs"), _pairs(obj, "outputs")
    if ins or outs:
        parts.append(table.html_table(
            ["", *[n for n, _ in ins[:MAX_SHOWN]]], [["value", *[v for _, v in ins[:MAX_SHOWN]]]],
            caption=f"inputs ({len(ins)})"))
        parts.append(table.html_table(
            ["", *[n for n, _ in outs[:MAX_SHOWN]]],
            [["value", *[v for _, v in outs[:MAX_SHOWN]]]], caption=f"outputs ({len(outs)})"))
    J = _jacobian(obj) if ins and outs else None
    if J is not None:
        heads, rows = _jac_rows(obj, J)
        parts.append(table.html_table(heads, rows, caption="Jacobian (rows: outputs, columns: "
                                                           "inputs)",
                                      right=[False] + [True] * (len(heads) - 1)))
    elif not ins or not outs:
        parts.append("<div>no derivatives: mark inputs and outputs (REVAD_INPUT / "
                     "REVAD_OUTPUT)</div>")
    warnings = getattr(obj, "warnings", []) or []
    if warnings:
        items = "".join(f"<li><code>{esc(w)}</code></li>" for w in warnings)
        parts.append(f"<div><b>{len(warnings)} warning(s)</b><ul>{items}</ul></div>")
    stats = getattr(obj, "stats", None)
    st = stats() if callable(stats) else stats
    if st:
        items = ", ".join(f"{esc(str(k))}: {esc(_short(v))}" for k, v in st.items()
                          if not isinstance(v, dict | list))
        parts.append(f"<div><small>{items}</small></div>")
    return "\n".join(parts)


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def jacobian_frame(obj):
    """The Jacobian as a pandas DataFrame, rows and columns labelled by mark names."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("jacobian_frame() needs pandas: pip install pandas "
                          "(or revad_emu[notebooks])") from None
    J = np.asarray(obj.jacobian())
    return pd.DataFrame(J, index=[n for n, _ in _pairs(obj, "outputs")],
                        columns=[n for n, _ in _pairs(obj, "inputs")])
