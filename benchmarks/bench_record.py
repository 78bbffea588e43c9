"""Recording cost and sweep speed on real compiled programs, with derivative checks.

    python benchmarks/bench_record.py [--quick] [--json FILE] [--profile]

(a) scalar_loop.c at -O2: y <- (0.5 y + x) / (1 + y y), 5 FP operations x N iterations
    (N = 10^6, 10^5 with --quick); x is the marked input, y the marked output.
(b) heat2d.c at -O3 (SSE2 only): explicit 2-D reaction-diffusion stencil, initial field the
    input array, the sum of the final field the output; also reverse (vjp, every method) and
    forward (jvp) sweeps on its tape.
(c) scalar_loop_sin.c: (a) with a libm sin() in the loop body; the call is intercepted (one
    node, sin's body runs untraced). It runs N/10 iterations by default (--n-sin to change);
    benchmarks/bench_libm.py isolates the per-call cost.

For each: native wall time (subprocess, best of 3), plain emulation (`run()`), recording
(`record()`), taped nodes, µs per taped node, slowdowns and nodes/s. Gradients are checked
against central finite differences of the native program. Exit status 1 if a check fails.
`--profile` adds cProfile listings (top 15 by tottime) of small recordings of (a) and (b).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from buildcache import build, run_native  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.ad import sweep  # noqa: E402

US_PER_NODE_TARGET = 2.0        # (a): recording cost per taped operation
SWEEP_TARGET = 10e6             # (b): nodes/s of the reverse sweep
X0 = 0.3                        # the input of (a) and (c)
RTOL = 1e-5                     # gradient vs finite difference


# --- helpers -------------------------------------------------------------------------------

def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
             "platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
             "numpy": np.__version__}
    try:  # other processes compete for the CPUs: compare wall with CPU seconds
        facts["loadavg"] = Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        pass
    for mod in ("scipy", "unicorn", "capstone"):
        try:
            facts[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            facts[mod] = None
    try:
        facts["gcc"] = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True,
                                      text=True).stdout.strip()
    except OSError:
        facts["gcc"] = None
    return facts


def native_value(exe: Path, argv: list[str]) -> float:
    res = run_native(exe, argv, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"{exe.name} {' '.join(argv)} exited with {res.returncode}")
    return float(res.stdout.split()[-1])


def native_best(exe: Path, argv: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = run_native(exe, argv, timeout=600)
        best = min(best, time.perf_counter() - t0)
        if res.returncode != 0:
            raise RuntimeError(f"{exe.name} exited with {res.returncode}")
    return best


def measure(name: str, exe: Path, argv: list[str], iterations: int, ops: str):
    """Native, run() and record() figures of one program; returns (row, recording)."""
    print(f"[{name}] native x3 ...", flush=True)
    t_nat = native_best(exe, argv)
    native_out = run_native(exe, argv, timeout=600).stdout
    print(f"[{name}] run() ...", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    res = Emulator(exe, argv).run()
    t_run, c_run = time.perf_counter() - t0, time.process_time() - c0
    print(f"[{name}] record() ...", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    rec = Emulator(exe, argv).record()
    t_rec_wall, c_rec = time.perf_counter() - t0, time.process_time() - c0
    st = rec.stats
    nodes, t_rec = st["tape_nodes"], st["record_seconds"]
    row = {
        "program": name, "binary": exe.name, "argv": argv, "iterations": iterations,
        "ops": ops, "native_s": t_nat, "run_s": t_run, "run_instructions": res.instructions,
        "run_cpu_s": c_run, "record_s": t_rec, "record_wall_s": t_rec_wall,
        "record_cpu_s": c_rec, "record_instructions": st["instructions"],
        "tape_nodes": nodes, "tape_len": len(rec.tape), "warnings": st["warnings"],
        "us_per_node": t_rec / nodes * 1e6 if nodes else None,
        "us_per_node_cpu": c_rec / nodes * 1e6 if nodes else None,
        "us_per_instruction_recording": t_rec / st["instructions"] * 1e6,
        "nodes_per_s": nodes / t_rec if t_rec else None,
        "record_over_native": t_rec / t_nat, "run_over_native": t_run / t_nat,
        "record_over_run": t_rec / t_run,
        "same_output": res.stdout == native_out and rec.stdout == native_out
        and res.exit_code == 0 and rec.exit_code == 0,
    }
    return row, rec


def fd_check(label: str, ad: float, f, x: float, h: float) -> dict:
    fd = (f(x + h) - f(x - h)) / (2 * h)
    err = abs(ad - fd) / max(1.0, abs(fd))
    return {"check": label, "ad": ad, "fd": fd, "h": h, "rel_err": err,
            "pass": bool(np.isfinite(ad) and err <= RTOL)}


def timed(f, *args):
    t0 = time.perf_counter()
    r = f(*args)
    return time.perf_counter() - t0, r


def sweeps(tape, methods: list[str]) -> tuple[list[dict], dict]:
    """vjp and jvp with each method on `tape`, cold (fresh plan) and warm (best of 3 with the
    cached plan); cross-checked against the first method."""
    n, n_in, n_out = len(tape), len(tape.inputs), len(tape.outputs)
    rng = np.random.default_rng(0)
    ybar = np.ones(n_out)
    xdot = rng.normal(size=n_in)
    rows, ref = [], {}
    for mode, f, seed in (("vjp", sweep.vjp, ybar), ("jvp", sweep.jvp, xdot)):
        for method in methods:
            print(f"[sweep] {mode} {method} ...", flush=True)
            tape.cache.clear()
            cold, r = timed(f, tape, seed, method)
            warm = min(timed(f, tape, seed, method)[0] for _ in range(3))
            label = method
            if method == "auto":
                label = f"auto->{sweep.choose_method(tape, 1)}"
            dev = None
            if mode in ref:
                dev = float(np.max(np.abs(r - ref[mode]) / (1 + np.abs(ref[mode]))))
            else:
                ref[mode] = r
            rows.append({"mode": mode, "method": label, "cold_s": cold, "warm_s": warm,
                         "cold_nodes_per_s": n / cold, "warm_nodes_per_s": n / warm,
                         "max_rel_dev_from_first": dev})
    # vjp/jvp consistency: xdot . (ybar J) == ybar . (J xdot)
    lhs = float(ref["vjp"] @ xdot)
    rhs = float(ybar @ ref["jvp"])
    consistency = {"ybar.J.xdot via vjp": lhs, "via jvp": rhs,
                   "rel_err": abs(lhs - rhs) / max(1.0, abs(rhs))}
    return rows, consistency


def profile_record(exe: Path, argv: list[str], top: int = 15) -> str:
    prof = cProfile.Profile()
    prof.enable()
    rec = Emulator(exe, argv).record()
    prof.disable()
    buf = io.StringIO()
    buf.write(f"cProfile of record() {exe.name} {' '.join(argv)}: "
              f"{rec.stats['tape_nodes']} nodes, {rec.stats['instructions']} instructions\n")
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# --- output --------------------------------------------------------------------------------

def print_table(rows: list[dict]) -> None:
    print(f"\n{'program':<22}{'iters':>9}{'native s':>10}{'run s':>9}{'record s':>10}"
          f"{'cpu s':>9}{'instr':>12}{'nodes':>11}{'µs/node':>9}{'cpu µs/n':>9}{'µs/ins':>8}"
          f"{'nodes/s':>11}"
          f"{'rec/nat':>9}{'run/nat':>9}  out")
    for r in rows:
        upn = f"{r['us_per_node']:.2f}" if r["us_per_node"] else "-"
        upc = f"{r['us_per_node_cpu']:.2f}" if r["us_per_node_cpu"] else "-"
        nps = f"{r['nodes_per_s']:,.0f}" if r["nodes_per_s"] else "-"
        print(f"{r['program']:<22}{r['iterations']:>9,}{r['native_s']:>10.4f}{r['run_s']:>9.2f}"
              f"{r['record_s']:>10.2f}{r['record_cpu_s']:>9.2f}{r['record_instructions']:>12,}"
              f"{r['tape_nodes']:>11,}{upn:>9}{upc:>9}"
              f"{r['us_per_instruction_recording']:>8.2f}{nps:>11}"
              f"{r['record_over_native']:>9,.0f}{r['run_over_native']:>9,.0f}"
              f"  {'same' if r['same_output'] else 'DIFF'}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- main ----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; also time 'loop'")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--n", type=int, help="iterations of (a) (default 10^6, --quick 10^5)")
    ap.add_argument("--n-sin", type=int, help="iterations of (c) (default n/10)")
    ap.add_argument("--grid", type=int, help="grid side of (b) (default 64, --quick 32)")
    ap.add_argument("--steps", type=int, help="time steps of (b) (default 50, --quick 20)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: a,b,c")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile small recordings of (a) and (b) (top 15 by tottime)")
    args = ap.parse_args(argv)
    n = args.n or (10**5 if args.quick else 10**6)
    n_sin = args.n_sin or max(1, n // 10)
    grid = args.grid or (32 if args.quick else 64)
    steps = args.steps or (20 if args.quick else 50)
    skip = set(filter(None, args.skip.split(",")))

    facts = machine_facts()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in facts.items()), flush=True)
    t_start = time.perf_counter()
    rows: list[dict] = []
    checks: list[dict] = []
    out: dict = {"machine": facts, "quick": args.quick,
                 "targets": {"us_per_node_a": US_PER_NODE_TARGET, "sweep_nodes_per_s_b":
                             SWEEP_TARGET}}

    loop_exe = build(PROGRAMS / "scalar_loop.c", ("-O2",), static=True)
    sin_exe = build(PROGRAMS / "scalar_loop_sin.c", ("-O2",), static=True)
    heat_exe = build(PROGRAMS / "heat2d.c", ("-O3",), static=True)

    def scalar_f(exe: Path, iters: int):
        return lambda x: native_value(exe, [repr(x), str(iters)])

    if "a" not in skip:
        row, rec = measure("a scalar_loop -O2", loop_exe, [repr(X0), str(n)], n, "5/iter")
        rows.append(row)
        checks.append(fd_check("(a) dy/dx", float(rec.gradient()[0]),
                               scalar_f(loop_exe, n), X0, 1e-6))
        del rec

    if "b" not in skip:
        bargs = [str(grid), str(grid), str(steps)]
        row, rec = measure("b heat2d -O3", heat_exe, bargs, steps, f"{grid}x{grid} grid")
        rows.append(row)
        tape = rec.tape
        methods = ["levels", "triangular", "auto"] + (["loop"] if args.quick else [])
        sweep_rows, consistency = sweeps(tape, methods)
        out["sweeps_b"] = {"tape_len": len(tape), "levels": int(len(np.unique(tape.depth))),
                           "inputs": len(tape.inputs), "outputs": len(tape.outputs),
                           "rows": sweep_rows, "vjp_jvp_consistency": consistency}
        g = rec.vjp(np.ones(1))
        k = (grid // 2) * grid + grid // 2

        def heat_f(hh: float) -> float:
            return native_value(heat_exe, [*bargs, str(k), repr(hh)])

        checks.append(fd_check(f"(b) d(sum)/d(u0[{k}]) via vjp", float(g[k]), heat_f, 0.0,
                               1e-4))
        checks.append({"check": "(b) vjp·xdot == ybar·jvp", "rel_err": consistency["rel_err"],
                       "pass": consistency["rel_err"] <= 1e-9})
        dev = max((r["max_rel_dev_from_first"] or 0.0) for r in sweep_rows)
        checks.append({"check": "(b) all sweep methods agree", "rel_err": dev,
                       "pass": dev <= 1e-9})
        del rec, tape

    if "c" not in skip:
        row, rec = measure("c scalar_loop_sin -O2", sin_exe, [repr(X0), str(n_sin)], n_sin,
                           "5/iter + sin")
        rows.append(row)
        checks.append(fd_check("(c) dy/dx (sin intercepted)", float(rec.gradient()[0]),
                               scalar_f(sin_exe, n_sin), X0, 1e-6))
        out["warnings_c"] = rec.warnings[:10]
        del rec

    print_table(rows)
    a = [r for r in rows if r["program"].startswith("a ")]
    if a:
        upn = a[0]["us_per_node"]
        upc = a[0]["us_per_node_cpu"]
        print(f"\n(a) recording: {upn:.2f} µs per taped operation wall, {upc:.2f} µs CPU "
              f"(target <= {US_PER_NODE_TARGET}) {'ok' if upn <= US_PER_NODE_TARGET else 'SLOW'}")
    if "sweeps_b" in out:
        sb = out["sweeps_b"]
        print(f"\n(b) sweeps on a {sb['tape_len']:,}-node tape, {sb['levels']:,} depth levels, "
              f"{sb['inputs']} inputs, {sb['outputs']} output(s); target >= "
              f"{SWEEP_TARGET / 1e6:.0f} M nodes/s")
        print(f"{'mode':<5}{'method':<20}{'cold s':>9}{'warm s':>9}{'cold Mn/s':>11}"
              f"{'warm Mn/s':>11}  target(cold/warm)")
        for r in sb["rows"]:
            c_ok = "ok" if r["cold_nodes_per_s"] >= SWEEP_TARGET else "SLOW"
            w_ok = "ok" if r["warm_nodes_per_s"] >= SWEEP_TARGET else "SLOW"
            print(f"{r['mode']:<5}{r['method']:<20}{r['cold_s']:>9.4f}{r['warm_s']:>9.4f}"
                  f"{r['cold_nodes_per_s'] / 1e6:>11.2f}{r['warm_nodes_per_s'] / 1e6:>11.2f}"
                  f"  {c_ok}/{w_ok}")
    print("\nderivative checks:")
    ok = True
    for c in checks:
        tag = "info" if c.get("info_only") else verdict(c["pass"])
        if not c.get("info_only"):
            ok &= c["pass"]
        extra = f"ad={c['ad']:.12g} fd={c['fd']:.12g} " if "ad" in c else ""
        note = f" -- {c['note']}" if "note" in c else ""
        print(f"  {tag:<5}{c['check']}: {extra}rel_err={c['rel_err']:.2e}{note}")
    for w in out.get("warnings_c", []):
        print(f"  (c) warning: {w}")
    if not all(r["same_output"] for r in rows):
        ok = False
        print("  FAIL an emulated run printed something other than the native run")
    total = time.perf_counter() - t_start
    print(f"\noverall: {verdict(ok)}  ({total:.1f} s)")

    if args.profile:
        print()
        print(profile_record(loop_exe, [repr(X0), str(min(n, 20000))]))
        print(profile_record(heat_exe, ["24", "24", "10"]))

    out.update({"rows": rows, "checks": checks, "pass": ok, "total_s": total,
                "sizes": {"n": n, "n_sin": n_sin, "grid": grid, "steps": steps}})
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=float) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
