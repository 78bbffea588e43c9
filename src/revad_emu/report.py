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
    """One row per output: its name, its value, then d output / d input for every input
    (the header row names the inputs). For spreadsheets and scripts."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["output", "value", *(n for n, _ in rec.inputs)])
    w.writerow(["(input value)", "", *(repr(float(v)) for _, v in rec.inputs)])
    J = np.asarray(J).reshape(len(rec.outputs), len(rec.inputs))
    for i, (n, v) in enumerate(rec.outputs):
        w.writerow([n, repr(float(v)), *(repr(float(x)) for x in J[i])])
    return buf.getvalue()


def table(rec, J: np.ndarray, max_cols: int = 8) -> str:
    """Outputs × inputs with names and values; wide Jacobians are shown in column blocks.

    With more inputs than fit in one block and fewer outputs than inputs (a program reading
    100 numbers and printing 3), the table is transposed: one line per input, so it stays
    readable however many inputs there are."""
    ins, outs = rec.inputs, rec.outputs
    if len(ins) > max_cols and len(outs) < len(ins):
        return _transposed(rec, np.asarray(J).reshape(len(outs), len(ins)), max_cols)
    lines = [f"revad-emu: {len(outs)} output(s) × {len(ins)} input(s), "
             f"{rec.stats.get('tape_nodes', 0)} tape nodes, "
             f"{rec.stats.get('instructions', 0)} instructions, "
             f"recorded in {rec.stats.get('record_seconds', 0.0):.3f} s"]
    if not ins or not outs:
        lines.append("  (nothing to differentiate: mark inputs and outputs with REVAD_INPUT / "
                     "REVAD_OUTPUT)")
        return "\n".join(lines)
    w_name = max(len(f"{n} = {v:.6g}") for n, v in outs)
    short = _legend(lines, "input", "x", ins)
    for c0 in range(0, len(ins), max_cols):
        cols = ins[c0:c0 + max_cols]
        heads = [f"d/d x{c0 + j}" if short else f"d/d {n} ({v:.6g})"
                 for j, (n, v) in enumerate(cols)]
        cw = max(14, *(len(h) for h in heads))
        lines.append(" " * (w_name + 2) + "".join(h.rjust(cw + 1) for h in heads))
        for i, (n, v) in enumerate(outs):
            row = "".join(f"{J[i, c0 + j]:.8g}".rjust(cw + 1) for j in range(len(cols)))
            lines.append(f"  {f'{n} = {v:.6g}'.ljust(w_name)}{row}")
    return _with_warnings(rec, lines)


def _with_warnings(rec, lines: list[str]) -> str:
    """The table's lines, then its warnings and, when a warning dropped a derivative, the
    line that says the numbers are incomplete: never left out of any layout."""
    lines = lines + [f"revad-emu: warning: {w}" for w in rec.warnings]
    dropped = rec.stats.get("dropped_derivatives", 0)
    if dropped:
        lines.append(incomplete_line(dropped))
    return "\n".join(lines)


def incomplete_line(places: int) -> str:
    """The last line of a table whose derivatives some warning dropped."""
    return (f"revad-emu: INCOMPLETE: {places} place{'s' if places != 1 else ''} dropped "
            "derivatives (see the warnings above); the numbers above are incomplete")


def _transposed(rec, J: np.ndarray, max_cols: int) -> str:
    ins, outs = rec.inputs, rec.outputs
    lines = [f"revad-emu: {len(outs)} output(s) × {len(ins)} input(s), "
             f"{rec.stats.get('tape_nodes', 0)} tape nodes, "
             f"{rec.stats.get('instructions', 0)} instructions, "
             f"recorded in {rec.stats.get('record_seconds', 0.0):.3f} s "
             "(transposed: one line per input)"]
    w_name = max(len(f"{n} = {v:.6g}") for n, v in ins)
    short = _legend(lines, "output", "y", outs)
    for c0 in range(0, len(outs), max_cols):
        cols = outs[c0:c0 + max_cols]
        heads = [f"d y{c0 + i}" if short else f"d {n} ({v:.6g})" for i, (n, v) in enumerate(cols)]
        cw = max(14, *(len(h) for h in heads))
        lines.append(" " * (w_name + 4) + "".join(h.rjust(cw + 1) for h in heads))
        for j, (n, v) in enumerate(ins):
            row = "".join(f"{J[c0 + i, j]:.8g}".rjust(cw + 1) for i in range(len(cols)))
            lines.append(f"  /d {f'{n} = {v:.6g}'.ljust(w_name)}{row}")
    return _with_warnings(rec, lines)


def _legend(lines: list[str], what: str, letter: str, marks, width: int = 24) -> bool:
    """Column headers too long to read side by side (outside selectors name values after
    their text and origin): add a legend `x0 = name = value` and head the columns x0, x1..."""
    if all(len(n) <= width for n, _ in marks):
        return False
    for k, (n, v) in enumerate(marks):
        lines.append(f"  {letter}{k} = {n} = {v:.17g}")
    lines.insert(len(lines) - len(marks), f"  {what}s:")
    return True
