"""Plain-text and HTML tables for the views (no dependency on pandas or Jupyter)."""

from __future__ import annotations

import html
from collections.abc import Sequence


def fmt(x: object) -> str:
    """Numbers short but exact enough to follow a computation by hand (7 digits)."""
    if isinstance(x, float):
        return f"{x:.7g}"
    if isinstance(x, list | tuple):
        return ", ".join(fmt(v) for v in x)
    return "" if x is None else str(x)


def text(headers: Sequence[str], rows: Sequence[Sequence[object]],
         right: Sequence[bool] | None = None) -> str:
    """An aligned table; `right[i]` right-aligns column i (numbers)."""
    cells = [[fmt(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    right = right or [False] * len(headers)

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(vals, widths, right, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
               caption: str = "", right: Sequence[bool] | None = None) -> str:
    right = right or [False] * len(headers)
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r in rows:
        tds = "".join(
            f'<td style="text-align:{"right" if al else "left"}"><code>{esc(fmt(c))}</code></td>'
            for c, al in zip(r, right, strict=True))
        body.append(f"<tr>{tds}</tr>")
    cap = f"<caption style='text-align:left'>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
