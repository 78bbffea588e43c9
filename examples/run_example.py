"""Build the bundled example with gcc (once) and differentiate it with revad_emu.

    python examples/run_example.py [--format json -o report.json]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from revad_emu.cli import include_dir, main

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "examples"


def build(source: str = "example.c", flags: tuple[str, ...] = ("-O2",)) -> Path:
    src = HERE / source
    exe = OUT / src.stem
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", *flags, "-g", f"-I{include_dir()}", str(src), "-o", str(exe),
                        "-lm"], check=True)
    return exe


if __name__ == "__main__":
    # revad_emu options may be given (e.g. --format json -o report.json); x=1.5, v0=2.0.
    raise SystemExit(main([*sys.argv[1:], str(build()), "1.5", "2.0"]))
