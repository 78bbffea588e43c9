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


def dumps(report: dict) -> str:
    return json.dumps(report, indent=1)


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
    dropped = rec.stats.get("dropped_derivatives", 0)
    if dropped:
        lines.append(incomplete_line(dropped))
    return "\n".join(lines)


def incomplete_line(places: int) -> str:
    """The last line of a table whose derivatives some warning dropped."""
    return (f"revad-emu: INCOMPLETE: {places} place{'s' if places != 1 else ''} dropped "
            "derivatives (see the warnings above); the numbers above are incomplete")
