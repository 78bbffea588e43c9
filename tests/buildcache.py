"""Compile test programs once and cache the binaries in a git-ignored directory.

The cache key is the source text, the compiler and the flags, so a changed source or flag
set rebuilds, and an unchanged one is reused across pytest sessions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
CACHE = Path(os.environ.get("REVAD_TEST_BUILD", ROOT / "build" / "test-bins"))
INCLUDE = ROOT / "src" / "revad_emu" / "include"

_COMPILERS = {".c": "gcc", ".cc": "g++", ".cpp": "g++", ".f90": "gfortran", ".f": "gfortran"}


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def build(source: str | Path, flags: tuple[str, ...] | list[str] = ("-O2",), *,
          static: bool = False, extra_sources: tuple[str, ...] = (),
          libs: tuple[str, ...] = ("-lm",)) -> Path:
    """Return the path of `source` (relative to tests/programs or absolute) compiled with `flags`.

    `static=True` links with -static. Builds are cached by content hash.
    """
    src = Path(source)
    if not src.is_absolute():
        src = PROGRAMS / src
    sources = [src] + [p if Path(p).is_absolute() else PROGRAMS / p for p in extra_sources]
    compiler = _COMPILERS[src.suffix]
    cmd_flags = list(flags) + (["-static"] if static else [])
    h = hashlib.sha256()
    for s in sources:
        h.update(Path(s).read_bytes())
    for hdr in sorted(INCLUDE.glob("*.h")):
        h.update(hdr.read_bytes())
    for hdr in sorted((Path(__file__).parent / "include").glob("*.[hcf]*")):
        h.update(hdr.read_bytes())
    h.update(" ".join([compiler, *cmd_flags, *libs]).encode())
    tag = "-".join([src.stem, "static" if static else "dyn", h.hexdigest()[:12]])
    out = CACHE / tag
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    cmd = [compiler, *cmd_flags, "-g", f"-I{INCLUDE}", f"-I{Path(__file__).parent / 'include'}",
           *map(str, sources), "-o", str(tmp), *libs]
    # In the cache directory: gfortran writes .mod files of modules to its working directory.
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=CACHE)
    if res.returncode != 0:
        raise RuntimeError(f"compile failed: {' '.join(cmd)}\n{res.stderr}")
    os.replace(tmp, out)
    return out


def best_native(binary: Path, argv: list[str] | tuple[str, ...] = (), repeat: int = 3) -> float:
    """Best wall time of `repeat` native runs (for the benchmarks' ratios); a failing run
    raises CalledProcessError."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([str(binary), *argv], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def run_native(binary: Path, argv: list[str] | tuple[str, ...] = (), stdin: bytes = b"",
               timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a binary natively and capture its output (bytes)."""
    return subprocess.run([str(binary), *argv], input=stdin, capture_output=True,
                          timeout=timeout)
