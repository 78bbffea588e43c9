"""Function-call mode: load time, per-call overhead, and recording cost per taped operation.

    python benchmarks/bench_call.py [--json FILE] [--repeat N]

(a) load time of a small shared library (`rv.load`: the dynamic loader runs inside the
    emulator on a generated stub, constructors run, the process is snapshotted), fresh
    image each time, best and median of --repeat.
(b) per-call time after loading, for energy(x, n) = sum x_i^2: n = 10 (20 flops) and
    n = 50 (100 flops), plain `f(x, n)` and `rv.grad(f)(x, n)` (record + reverse sweep).
    Targets: a 100-flop call under 2 ms plain and 5 ms with grad; loading under 0.5 s.
(c) cost per taped operation: scalar_loop(x, N) (5 FP operations per iteration) called as a
    function vs the same loop recorded as a whole program (benchmarks/programs/scalar_loop.c
    with REVAD_INPUT/REVAD_OUTPUT): µs per tape node in both modes.
Gradients are checked (analytic for (b), the two modes agree for (c)); exit status 1 on a
failed check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

import revad_emu as rv  # noqa: E402
from buildcache import build  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.functions import library as _library  # noqa: E402

TARGETS = {"load_s": 0.5, "call_100flop_ms": 2.0, "grad_100flop_ms": 5.0}


def timeit(fn, repeat: int) -> tuple[float, float]:
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n-loop", type=int, default=200_000)
    a = ap.parse_args()
    ok = True
    so = build(PROGRAMS / "calls.c", ("-O2", "-shared", "-fPIC"), libs=())
    res: dict = {}

    def fresh_load():
        _library._IMAGES.clear()
        return rv.load(so)

    fresh_load()  # warm imports and the file cache
    best, med = timeit(fresh_load, a.repeat)
    res["load_s"] = {"best": best, "median": med}
    print(f"(a) load {so.name}: best {best * 1e3:.0f} ms, median {med * 1e3:.0f} ms "
          f"(target < {TARGETS['load_s'] * 1e3:.0f} ms)")

    lib = rv.load(so)
    f = lib.function("energy", "double energy(const double *x, int n)")
    g = rv.grad(f)
    for n in (10, 50):
        x = np.linspace(-1, 1, n)
        f(x, n)
        g(x, n)
        reps = 200
        _, call = timeit(lambda x=x, n=n: f(x, n), reps)
        _, grad = timeit(lambda x=x, n=n: g(x, n), reps)
        good = np.allclose(g(x, n), 2 * x, rtol=1e-15, atol=0)
        ok &= bool(good)
        res[f"energy_n{n}"] = {"flops": 2 * n, "call_ms": call * 1e3, "grad_ms": grad * 1e3,
                               "grad_ok": bool(good)}
        print(f"(b) energy n={n} ({2 * n} flops): call {call * 1e3:.3f} ms, grad "
              f"{grad * 1e3:.3f} ms (median of {reps}), gradient {'ok' if good else 'WRONG'}")
    r = res["energy_n50"]
    print(f"    targets for 100 flops: call < {TARGETS['call_100flop_ms']} ms: "
          f"{'met' if r['call_ms'] < TARGETS['call_100flop_ms'] else 'NOT met'}; grad < "
          f"{TARGETS['grad_100flop_ms']} ms: "
          f"{'met' if r['grad_ms'] < TARGETS['grad_100flop_ms'] else 'NOT met'}")

    N = a.n_loop
    loop = lib.function("scalar_loop", "double scalar_loop(double x, long n)")
    loop(0.3, 10)
    rv.grad(loop)(0.3, 10)
    t0 = time.perf_counter()
    lin = rv.functions.transforms.linearize(loop, 0.3, N)
    t_fn = time.perf_counter() - t0
    nodes_fn = len(lin.tape) - 1
    d_fn = lin.pullback(1.0)[0]
    prog = build(PROGRAMS / "scalar_loop.c", ("-O2",))
    t0 = time.perf_counter()
    rec = Emulator(prog, argv=["0.3", str(N)]).record()
    t_prog = time.perf_counter() - t0
    nodes_prog = rec.stats["tape_nodes"]
    d_prog = float(rec.gradient()[0])
    agree = abs(d_fn - d_prog) <= 1e-12 * max(1.0, abs(d_prog))
    ok &= agree
    res["per_node"] = {"function_us": t_fn / nodes_fn * 1e6, "program_us":
                       t_prog / nodes_prog * 1e6, "nodes_function": nodes_fn,
                       "nodes_program": nodes_prog, "derivatives_agree": agree}
    print(f"(c) scalar_loop N={N}: function mode {t_fn:.2f} s, {nodes_fn} nodes, "
          f"{t_fn / nodes_fn * 1e6:.2f} µs/node; whole program {t_prog:.2f} s (incl. start-up), "
          f"{nodes_prog} nodes, {t_prog / nodes_prog * 1e6:.2f} µs/node; dy/dx "
          f"{d_fn:.15g} vs {d_prog:.15g} {'(agree)' if agree else '(DIFFER)'}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
