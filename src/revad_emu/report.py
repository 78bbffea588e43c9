"""The differentiation report: a table for people (stderr) or the fixed JSON schema."""

from __future__ import annotations

import json
import math

import numpy as np


def _num(x: float) -> float | str:
    """JSON has no inf/nan: write them as the strings "inf", "-inf", "nan"."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def to_json(rec, J: np.ndarray) -> dict:
    """The report in the schema of issue 3 (keys and nesting are a contract)."""
    return {
        "inputs": [{"name": n, "value": _num(v)} for n, v in rec.inputs],
        "outputs": [{"name": n, "value": _num(v)} for n, v in rec.outputs],
        "jacobian": [[_num(x) for x in row] for row in np.asarray(J).reshape(
            len(rec.outputs), len(rec.inputs))],
        "exit_code": int(rec.exit_code),
        "warnings": list(rec.warnings),
        "stats": dict(rec.stats),
    }


def dumps(report: object, indent: int = 2, _level: int = 0) -> str:
    """Indented JSON for people, with every list of plain values (a Jacobian row, a list
    of names) on one line; inf/nan become strings as in `to_json`."""
    pad, inner = " " * (indent * _level), " " * (indent * (_level + 1))
    if isinstance(report, dict):
        if not report:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, indent, _level + 1)}"
                 for k, v in report.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(report, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in report):
            return "[" + ", ".join(dumps(v, indent, _level + 1) for v in report) + "]"
        items = [inner + (_inline(v) if _flat_dict(v) else dumps(v, indent, _level + 1))
                 for v in report]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(report, float | np.floating):
        return json.dumps(_num(report))
    if isinstance(report, np.integer):
        return str(int(report))
    return json.dumps(report)


def _flat_dict(v: object) -> bool:
    return isinstance(v, dict) and all(not isinstance(x, dict | list | tuple)
                                       for x in v.values())


def _inline(d: dict) -> str:
    """A list element such as {"name": "x", "value": 1.5} on one line."""
    return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in d.items()) + "}"


def to_csv(rec, J: np.ndarray) -> str:
    """The Jacobian as CSV: a header `output,value,<input names>`, one row per output."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["output", "value", *[n for n, _ in rec.inputs]])
    J = np.asarray(J).reshape(len(rec.outputs), len(rec.inputs))
    for i, (n, v) in enumerate(rec.outputs):
        w.writerow([n, repr(float(v)), *[repr(float(x)) for x in J[i]]])
    return buf.getvalue()


def table(rec, J: np.ndarray, max_cols: int = 8) -> str:
    """Outputs × inputs with names and values; wide Jacobians are shown in column blocks."""
    ins, outs = rec.inputs, rec.outputs
    lines = [f"revad-emu: {len(outs)} output(s) × {len(ins)} input(s), "
             f"{rec.stats.get('tape_nodes', 0)} tape nodes, "
             f"{rec.stats.get('instructions', 0)} instructions, "
             f"recorded in {rec.stats.get('record_seconds', 0.0):.3f} s"]
    if not ins or not outs:
        lines.append("  (nothing to differentiate: mark inputs and outputs with REVAD_INPUT / "
                     "REVAD_OUTPUT)")
        return "\n".join(lines)
    w_name = max(len(f"{n} = {v:.6g}") for n, v in outs)
    for c0 in range(0, len(ins), max_cols):
        cols = ins[c0:c0 + max_cols]
        heads = [f"d/d {n} ({v:.6g})" for n, v in cols]
        cw = max(14, *(len(h) for h in heads))
        lines.append(" " * (w_name + 2) + "".join(h.rjust(cw + 1) for h in heads))
        for i, (n, v) in enumerate(outs):
            row = "".join(f"{J[i, c0 + j]:.8g}".rjust(cw + 1) for j in range(len(cols)))
            lines.append(f"  {f'{n} = {v:.6g}'.ljust(w_name)}{row}")
    for w in rec.warnings:
        lines.append(f"revad-emu: warning: {w}")
    return "\n".join(lines)
