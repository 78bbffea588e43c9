"""Time the sweep methods on synthetic tapes (default 10^6 nodes, two parents per node).

Shapes: wide = parents anywhere before the node (shallow), local = parents within the last
1,000 nodes, chain = a running sum (one level per node). "cold" includes building the cached
per-tape plan (window, level schedule or CSR matrix); "warm" reuses it (best of --repeat).

    python benchmarks/bench_sweep.py [--nodes N] [--methods loop,levels,triangular,compiled,auto]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from revad_emu.ad import sweep
from revad_emu.ad.tape import Tape

N_IN = 1000
N_OUT = 10


def synthetic(shape: str, n: int, seed: int = 0) -> Tape:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    parents = np.zeros((n, 2), np.int64)
    real = k > N_IN  # nodes 1..N_IN are inputs
    if shape == "wide":
        parents[real] = (rng.random((n, 2))[real] * k[real, None]).astype(np.int64) + 1
        parents[real] = np.minimum(parents[real], k[real, None] - 1)
    elif shape == "local":
        back = rng.integers(1, 1001, (n, 2))
        parents[real] = np.maximum(k[real, None] - back[real], 1)
    elif shape == "chain":
        parents[real, 0] = k[real] - 1
        parents[real, 1] = rng.integers(1, N_IN + 1, n)[real]
    else:
        raise ValueError(shape)
    partials = rng.uniform(-1.0, 1.0, (n, 2))
    partials[0] = 0.0
    # Tape computes depths itself (a Python loop); a chain's depth is known.
    depth = np.maximum(k - N_IN, 0).astype(np.int32) if shape == "chain" else None
    outputs = list(range(n - N_OUT, n))
    return Tape(parents, partials, depth=depth, inputs=list(range(1, N_IN + 1)),
                outputs=outputs, meta={"shape": shape})


def timed(f, *args) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    r = f(*args)
    return time.perf_counter() - t, r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--methods", default="loop,levels,triangular,compiled,auto")
    ap.add_argument("--shapes", default="wide,local,chain")
    ap.add_argument("--seeds", default="1,8")
    ap.add_argument("--repeat", type=int, default=3, help="warm time = best of this many")
    args = ap.parse_args()
    methods = args.methods.split(",")
    print(f"{'shape':6} {'levels':>8} {'method':11} {'mode':8} {'seeds':>5} "
          f"{'cold s':>8} {'warm s':>8} {'Mnodes/s':>9}")
    for shape in args.shapes.split(","):
        tape = synthetic(shape, args.nodes)
        nlev = len(np.unique(tape.depth)) - 1
        rng = np.random.default_rng(1)
        ref = {}
        for k in map(int, args.seeds.split(",")):
            ybar = rng.normal(size=(k, N_OUT))
            xdot = rng.normal(size=(k, N_IN))
            for method in methods:
                for mode, f, seed in (("reverse", sweep.vjp, ybar), ("forward", sweep.jvp, xdot)):
                    tape.cache.clear()
                    cold, r = timed(f, tape, seed, method)
                    warm = timed(f, tape, seed, method)[0]
                    for _ in range(args.repeat - 1):
                        if warm > 1.0:  # slow cases once only
                            break
                        warm = min(warm, timed(f, tape, seed, method)[0])
                    key = (mode, k)
                    if key in ref:  # all methods must agree with the first one run
                        err = np.max(np.abs(r - ref[key]) / (1 + np.abs(ref[key])))
                        assert err < 1e-9, (shape, method, mode, k, err)
                    else:
                        ref[key] = r
                    label = method if method != "auto" else \
                        f"auto:{sweep.choose_method(tape, k, mode == 'forward')[:4]}"
                    print(f"{shape:6} {nlev:8d} {label:11} {mode:8} {k:5d} {cold:8.3f} "
                          f"{warm:8.3f} {len(tape) / warm / 1e6:9.2f}", flush=True)


if __name__ == "__main__":
    main()
