"""C++ function names as people write them (`phys::energy`), matched to mangled symbols.

The program's symbols are demangled once with binutils' `c++filt` (installed with gcc). A
name matches a symbol whose demangled form equals it, or equals it up to the parameter list
(`phys::energy` matches `phys::energy(double, double)`); several overloads are ambiguous and
the error lists their mangled names, which can be given instead.
"""

from __future__ import annotations

import shutil
import subprocess


def demangle_all(names: list[str]) -> dict[str, str]:
    """mangled → demangled for every `_Z` name; {} when c++filt is not available."""
    mangled = sorted({n for n in names if n.startswith("_Z")})
    if not mangled or shutil.which("c++filt") is None:
        return {}
    try:
        r = subprocess.run(["c++filt"], input="\n".join(mangled) + "\n", capture_output=True,
                           text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return {}
    out = r.stdout.splitlines()
    return dict(zip(mangled, out, strict=True)) if len(out) == len(mangled) else {}


def matches(name: str, table: dict[str, str], clones: bool = False) -> list[str]:
    """Mangled names whose demangled form is `name`, or `name(...)`. Compiler clones
    (`[clone .isra.0]`, `.constprop`, `.part`: their parameters may differ from the
    declaration) only with `clones=True`."""
    want = " ".join(name.split())
    table = {m: d for m, d in table.items() if ("[clone" in d) == clones}
    exact = [m for m, d in table.items() if d == want or d.split(" [clone")[0] == want]
    if exact:
        return exact
    return [m for m, d in table.items() if d.startswith(want + "(")]
