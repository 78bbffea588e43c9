"""Tapes larger than their memory budget: peak RSS and bytes per node, in memory and spilled.

    python benchmarks/bench_bigtape.py [--nodes 1e7,1e8] [--tape-memory 64M] [--in-memory 1e7]
                                       [--save] [--json FILE]

Records benchmarks/programs/scalar_loop.c (-O2, static; 5 taped operations per iteration of
y <- (0.5 y + x) / (1 + y y), one input x, one output y) for each node count, each run in a
fresh child process so its peak RSS is its own:

- "spilled": `record(tape_memory=SIZE)`; the tape moves to unnamed files in the temporary
  directory once it is larger than SIZE, the reverse sweep streams over them;
- "memory" (for the counts given by --in-memory): `record(tape_memory=0)`, the whole tape
  in RAM, for comparison.

Printed per run: recording seconds, µs per node, sweep seconds and M nodes/s, peak RSS
(the kernel's VmHWM) after recording and at the end (after the sweep, and the save with
--save), each also as bytes per node beyond a small baseline run, and the gradient's error.
The gradient is checked analytically: the loop converges to the fixed point y*(x) of
y (1 + y^2) - 0.5 y = x, so dy/dx = 1 / (0.5 + 3 y^2) at the printed y
(to rounding, after enough iterations). --save also saves the tape (`Tape.save`, streamed
from the spill files) and reports its size and time.
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
PROGRAMS = Path(__file__).resolve().parent / "programs"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from buildcache import build  # noqa: E402

NODES_PER_ITERATION = 5


def vm_hwm() -> int:
    """This process's peak resident set size in bytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def child(exe: str, iterations: int, memory: str, save: str | None) -> dict:
    """One recording in this (child) process."""
    from revad_emu import Emulator  # noqa: F401  (sweep: its import is not sweep time)

    x = 0.3
    base = vm_hwm()
    t0 = time.perf_counter()
    rec = Emulator(exe, [repr(x), str(iterations)]).record(tape_memory=memory)
    t_rec = time.perf_counter() - t0
    hwm_rec = vm_hwm()
    t0 = time.perf_counter()
    g = float(rec.gradient(0)[0])
    t_sweep = time.perf_counter() - t0
    y = float(rec.outputs[0][1])
    exact = 1.0 / (0.5 + 3.0 * y * y)
    out = {"iterations": iterations, "nodes": rec.stats["tape_nodes"], "memory": memory,
           "spilled": bool(rec.tape.spilled), "record_s": t_rec, "sweep_s": t_sweep,
           "gradient": g, "exact": exact, "rel_error": abs(g - exact) / abs(exact),
           "rss_before": base, "hwm_record": hwm_rec, "hwm_sweep": vm_hwm()}
    if save:
        t0 = time.perf_counter()
        rec.tape.save(save)
        out["save_s"] = time.perf_counter() - t0
        out["save_bytes"] = os.path.getsize(save)
        out["hwm_save"] = vm_hwm()
        os.unlink(save)
    return out


def run_child(exe: Path, iterations: int, memory: str, save: str | None) -> dict:
    here = [str(Path(__file__).parent)]
    code = (f"import json, sys; sys.path[:0] = {here!r}; import bench_bigtape as b; "
            f"print(json.dumps(b.child({str(exe)!r}, {iterations}, {memory!r}, {save!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    if r.returncode:
        raise SystemExit(f"child failed ({r.returncode}):\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", default="1e7,1e8", help="tape node counts to record, spilled")
    ap.add_argument("--tape-memory", default="64M", help="budget of the spilled runs")
    ap.add_argument("--in-memory", default="1e7",
                    help="node counts to also record with the whole tape in memory ('' none)")
    ap.add_argument("--save", action="store_true", help="also save each tape, streamed")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    exe = build(PROGRAMS / "scalar_loop.c", ("-O2",), static=True)
    print(f"load average {os.getloadavg()}", flush=True)
    base = run_child(exe, 1000, "0", None)
    print(f"baseline (5,000 nodes): peak RSS {base['hwm_sweep'] / 2**20:.0f} MB", flush=True)
    runs = [(int(float(n)), "0") for n in args.in_memory.split(",") if n]
    runs += [(int(float(n)), args.tape_memory) for n in args.nodes.split(",") if n]
    results = []
    print(f"{'nodes':>13} {'budget':>7} {'record s':>9} {'µs/node':>8} {'sweep s':>8} "
          f"{'Mnode/s':>8} {'HWM rec MB':>10} {'B/node':>6} {'HWM end MB':>10} {'B/node':>6} "
          f"{'grad rel err':>12}" + ("  save s  file B/node" if args.save else ""), flush=True)
    for nodes, memory in runs:
        r = run_child(exe, nodes // NODES_PER_ITERATION, memory,
                      str(ROOT / "build" / "bench_bigtape.npz") if args.save else None)
        r["bytes_per_node_record"] = (r["hwm_record"] - base["hwm_sweep"]) / r["nodes"]
        r["bytes_per_node"] = (max(r["hwm_sweep"], r.get("hwm_save", 0))
                               - base["hwm_sweep"]) / r["nodes"]
        results.append(r)
        line = (f"{r['nodes']:>13,} {memory:>7} {r['record_s']:>9.1f} "
                f"{r['record_s'] / r['nodes'] * 1e6:>8.3f} {r['sweep_s']:>8.2f} "
                f"{r['nodes'] / r['sweep_s'] / 1e6:>8.1f} {r['hwm_record'] / 2**20:>10.0f} "
                f"{r['bytes_per_node_record']:>6.1f} "
                f"{max(r['hwm_sweep'], r.get('hwm_save', 0)) / 2**20:>10.0f} "
                f"{r['bytes_per_node']:>6.1f} "
                f"{r['rel_error']:>12.1e}")
        if args.save:
            line += f"  {r['save_s']:6.1f}  {r['save_bytes'] / r['nodes']:6.1f}"
        print(line, flush=True)
        if r["rel_error"] > 1e-9:
            print(f"  gradient {r['gradient']!r} != analytic {r['exact']!r}", flush=True)
            return 1
    print(f"load average {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"baseline": base, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
