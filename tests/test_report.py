"""The Jacobian table in every layout ends with the line that says a derivative was dropped."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from revad_emu import report


@pytest.mark.parametrize("n_in, n_out", [(2, 2), (30, 1), (1, 30)])
def test_incomplete_line_in_every_layout(n_in: int, n_out: int) -> None:
    rec = SimpleNamespace(inputs=[(f"x{i}", 1.0) for i in range(n_in)],
                          outputs=[(f"y{i}", 2.0) for i in range(n_out)],
                          warnings=["bit trick at f+0x10: derivative dropped"],
                          stats={"tape_nodes": 5, "instructions": 100, "record_seconds": 0.1,
                                 "dropped_derivatives": 3})
    text = report.table(rec, np.zeros((n_out, n_in)))
    assert text.splitlines()[-1] == report.incomplete_line(3)
    assert "bit trick at f+0x10" in text
    rec.stats["dropped_derivatives"] = 0
    assert "INCOMPLETE" not in report.table(rec, np.zeros((n_out, n_in)))
