"""Does every cost grow linearly with the program's work?

    python benchmarks/bench_scaling.py [--sizes 24,48,96,192] [--steps 20] [--json FILE]

Records benchmarks/programs/heat2d.c (-O3, static: a 2-D reaction-diffusion stencil whose
initial field is the input array and the field's sum the output) at several grid sizes, each
size in a fresh child process so its peak RSS is its own, and prints per size: native time,
recording time, tape nodes, µs per node, peak RSS (bytes per node beyond the smallest run),
reverse-sweep (gradient) time and nodes/s. The last lines fit each cost against the node
count on a log-log scale: a slope near 1 is linear growth. The gradient of every size is
checked against a central finite difference of the native binary at one cell.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from buildcache import build, run_native  # noqa: E402


def one_size(exe: str, n: int, steps: int) -> dict:
    """Record one size in this process (called in a child) and report its costs."""
    from revad_emu import Emulator  # noqa: F401  (sweep: its import is not sweep time)

    argv = [str(n), str(n), str(steps)]
    t0 = time.perf_counter()
    rec = Emulator(exe, argv).record()
    t_rec = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = rec.gradient(0)
    t_sweep = time.perf_counter() - t0
    k = (n // 2) * n + n // 2  # an interior cell
    return {"n": n, "nodes": rec.stats["tape_nodes"], "record_s": t_rec, "sweep_s": t_sweep,
            "instructions": rec.stats["instructions"], "grad_k": float(g[k]), "k": k,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def native(exe: Path, n: int, steps: int, extra: list[str] = ()) -> tuple[float, float]:
    best, value = float("inf"), 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        out = run_native(exe, [str(n), str(n), str(steps), *extra])
        best = min(best, time.perf_counter() - t0)
        value = float(out.stdout.split()[0])
    return best, value


def slope(x: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="24,48,96,192")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--child", nargs=3, metavar=("EXE", "N", "STEPS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(one_size(a.child[0], int(a.child[1]), int(a.child[2]))))
        return 0
    exe = build(PROGRAMS / "heat2d.c", ("-O3",), static=True)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"heat2d -O3 static, {a.steps} steps; load average {load} on {os.cpu_count()} cores")
    print(f"{'grid':>7} {'native s':>9} {'record s':>9} {'nodes':>11} {'us/node':>8} "
          f"{'peak RSS MB':>12} {'sweep s':>8} {'M nodes/s':>10} {'grad check':>11}")
    rows, ok = [], True
    for n in map(int, a.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--child", str(exe), str(n),
                              str(a.steps)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.splitlines()[-1])
        r["native_s"], _ = native(exe, n, a.steps)
        h = 1e-6
        up = native(exe, n, a.steps, [str(r["k"]), repr(h)])[1]
        dn = native(exe, n, a.steps, [str(r["k"]), repr(-h)])[1]
        fd = (up - dn) / (2 * h)
        good = abs(fd - r["grad_k"]) <= 1e-5 * max(1.0, abs(fd))
        ok &= good
        rows.append(r)
        print(f"{n:>3}x{n:<3} {r['native_s']:9.4f} {r['record_s']:9.2f} {r['nodes']:11,} "
              f"{1e6 * r['record_s'] / r['nodes']:8.3f} {r['peak_rss'] / 2**20:12.0f} "
              f"{r['sweep_s']:8.3f} {r['nodes'] / r['sweep_s'] / 1e6:10.1f} "
              f"{'ok' if good else 'FAIL':>11}")
    if len(rows) > 1:
        nodes = [r["nodes"] for r in rows]
        extra_rss = [max(r["peak_rss"] - rows[0]["peak_rss"], 1) for r in rows[1:]]
        rec_slope = slope(nodes, [r["record_s"] for r in rows])
        print(f"log-log slope against nodes: recording {rec_slope:.2f}"
              f", sweep {slope(nodes, [r['sweep_s'] for r in rows]):.2f}"
              + (f", RSS beyond the smallest run {slope(nodes[1:], extra_rss):.2f}"
                 if len(rows) > 2 else ""))
        big = rows[-1]
        print(f"memory: {(big['peak_rss'] - rows[0]['peak_rss']) / (big['nodes'] - nodes[0]):.0f}"
              " bytes per extra tape node (peak RSS, recording + sweep)")
    if a.json:
        Path(a.json).write_text(json.dumps({"load": load, "rows": rows}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
