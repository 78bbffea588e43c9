"""Native vs emulated run time of a few real programs, and the emulator's start-up time.

    python benchmarks/bench_run.py [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from buildcache import build, run_native  # noqa: E402
from revad_emu import Emulator  # noqa: E402

PROGRAMS = {  # name -> (source, argv, stdin)
    "sin_exp": ("run/sin_exp.c", [], b""),
    "qsort": ("run/qsort.c", [], b""),
    "roundtrip": ("run/roundtrip.c", [], b""),
    "malloc_blocks": ("run/malloc_blocks.c", [], b""),
}
STARTUP_TARGET = 0.5


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(name: str, exe: Path, argv: list[str], stdin: bytes, repeat: int) -> dict:
    t_nat, nat = best_of(lambda: run_native(exe, argv, stdin), repeat)
    t_emu, res = best_of(lambda: Emulator(str(exe), argv=argv, stdin=stdin).run(), repeat)
    return {"program": name, "native_s": t_nat, "emulated_s": t_emu,
            "ratio": t_emu / t_nat if t_nat else None, "instructions": res.instructions,
            "instructions_per_s": res.instructions / t_emu if t_emu else None,
            "same_output": res.stdout == nat.stdout and res.exit_code == nat.returncode}


def cli_startup(exe: Path, repeat: int) -> float:
    """Wall time of `python -m revad_emu EXE`, as a user sees it (interpreter start included)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path[:2]))
    cmd = [sys.executable, "-m", "revad_emu", str(exe)]
    return best_of(lambda: subprocess.run(cmd, env=env, capture_output=True, check=True),
                   repeat)[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args(argv)

    rows = []
    for name, (src, pargs, stdin) in PROGRAMS.items():
        rows.append(measure(f"{name}-O2-static", build(src, ("-O2",), static=True), pargs,
                            stdin, args.repeat))
    for static in (True, False):
        name = f"hello-O2-{'static' if static else 'dynamic'}"
        rows.append(measure(name, build("run/hello.c", ("-O2",), static=static), [], b"",
                            args.repeat))

    print(f"{'program':<24}{'native s':>10}{'emulated s':>12}{'ratio':>9}"
          f"{'instructions':>14}{'instr/s':>12}  same")
    for r in rows:
        print(f"{r['program']:<24}{r['native_s']:>10.4f}{r['emulated_s']:>12.3f}"
              f"{r['ratio']:>9.0f}{r['instructions']:>14,}{r['instructions_per_s']:>12,.0f}"
              f"  {'yes' if r['same_output'] else 'NO'}")
    startup = {}
    for r in rows:
        if r["program"].startswith("hello"):
            startup[r["program"]] = r["emulated_s"]
            exe = build("run/hello.c", ("-O2",), static=r["program"].endswith("-static"))
            startup[f"{r['program']} (CLI)"] = cli_startup(exe, args.repeat)
    for name, t in startup.items():
        verdict = "ok" if t < STARTUP_TARGET else "SLOW"
        print(f"start-up {name:<28} {t:.3f} s (target < {STARTUP_TARGET} s) {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"programs": rows, "startup_s": startup, "startup_target_s": STARTUP_TARGET},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
