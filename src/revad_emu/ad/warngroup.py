"""Group repeated warnings that share one origin into one warning with a count.

The recorder already counts a warning per (instruction, kind). A single bit trick, though,
is usually *used* by several instructions (each Newton step of a fast inverse square root
reads the tainted guess), and listing every use buries the one line that matters: where
the derivative was lost. Warnings whose text names the same origin ("... (bit trick) at
ORIGIN") become one warning that names the origin once, the first use, and the count.
"""

from __future__ import annotations

import re

_ORIGIN = re.compile(r"^(?P<site>.*?): derivative lost: (?P<what>.*\(bit trick\) at "
                     r"(?P<origin>.*?))(?: \((?P<n>\d+) times\))?$")


def group(warnings: list[str]) -> list[str]:
    """Warnings in first-seen order, those with one bit-trick origin merged."""
    out: list[str] = []
    groups: dict[str, list] = {}
    for w in warnings:
        m = _ORIGIN.match(w)
        if m is None:
            out.append(w)
            continue
        key = m["origin"]
        n = int(m["n"] or 1)
        g = groups.get(key)
        if g is None:
            groups[key] = [len(out), m["site"], m["what"], n, 1]
            out.append(w)
        else:
            g[3] += n
            g[4] += 1
    for idx, site, what, n, uses in groups.values():
        if uses > 1:
            out[idx] = (f"{site}: derivative lost: {what} (used by {uses} instructions, "
                        f"{n} times; first use shown)")
    return out
