"""Recording cost of x87 code: the same loop built for SSE, with -mfpmath=387, and in long double.

    python benchmarks/bench_x87.py [N] [--opt -O2] [--python-x87]

benchmarks/programs/scalar_loop_t.c (y <- (0.5 y + x) / (1 + y y), 5 taped operations per
iteration) is built three ways, static: `double` for SSE2 (the reference), `double` with
-mfpmath=387 (the x87 stack, extended precision), and `long double`. Each is recorded with N
and 2N iterations (CPU time, best of 3); the slope between the two, per taped node, is the
cost of one taped operation without start-up and handler building. The ratio column divides
by the SSE build's slope (issue 15: x87 and long double within 2x of SSE, <= 0.5 us per
taped op). --sin adds a table for one intercepted sin()/sinl() call per iteration.
--python-x87 also records the x87 builds with the compiled x87 descriptors
switched off (every x87 instruction on an active value then runs its Python handler, as
before the compiled x87 path existed), in the same run. Every recording's dy/dx is checked
against a central finite difference of the native long double build. Exit status 1 if a
check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE.parent / "src")]

from buildcache import build  # noqa: E402
from fdcheck import fd_jacobian  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.ad.isa import x87  # noqa: E402

SOURCE = HERE / "programs" / "scalar_loop_t.c"
X0 = 0.3
BUILDS = [("SSE double", ()), ("-mfpmath=387 double", ("-mfpmath=387",)),
          ("long double", ("-DT=long double",))]


def record_cpu(exe: Path, n: int, repeat: int = 3) -> tuple[float, int, float]:
    """Best CPU time of `repeat` recordings with n iterations, their node count, dy/dx."""
    best, nodes, grad = float("inf"), 0, 0.0
    for _ in range(repeat):
        c0 = time.process_time()
        rec = Emulator(exe, [repr(X0), str(n)]).record()
        best = min(best, time.process_time() - c0)
        nodes = rec.tape.parents.shape[0]
    grad = float(rec.jacobian().ravel()[0])
    return best, nodes, grad


def run_cpu(exe: Path, n: int, repeat: int = 3) -> float:
    """Best CPU time of `repeat` plain (unrecorded) runs with n iterations."""
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        Emulator(exe, [repr(X0), str(n)]).run()
        best = min(best, time.process_time() - c0)
    return best


def native_fd(exe: Path, n: int) -> float:
    """dy/dx of the native binary at X0 by central differences (fdcheck's steps)."""
    return float(fd_jacobian(exe, [X0], extra_args=[str(n)])[0, 0])


def sin_table(n: int, opt: str) -> bool:
    """Per-call cost of sin (SSE, -mfpmath=387) and sinl (long double): the slope per
    iteration of the loop with the call minus the loop without it, recorded and in plain
    runs (the latter: Unicorn executing the function's own code)."""
    print(f"\nOne intercepted sin()/sinl() call per iteration, N = {n} and {2 * n}:")
    print("| build | µs per iteration, loop | with sin | per call | per call, plain run |"
          " dy/dx | rel. err vs FD |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    fd_exe = build(SOURCE, (opt, "-DT=long double", "-DWITH_SIN"), static=True)
    fd = native_fd(fd_exe, n)
    for name, flags in BUILDS:
        per_it, plain = [], []
        for extra in ((), ("-DWITH_SIN",)):
            exe = build(SOURCE, (opt, *flags, *extra), static=True)
            t1, _, _ = record_cpu(exe, n)
            t2, _, g = record_cpu(exe, 2 * n)
            per_it.append((t2 - t1) / n * 1e6)
            plain.append((run_cpu(exe, 2 * n) - run_cpu(exe, n)) / n * 1e6)
        err = abs(g - fd) / abs(fd)
        ok &= err < 1e-5
        print(f"| {name} | {per_it[0]:.2f} | {per_it[1]:.2f} | {per_it[1] - per_it[0]:.2f} | "
              f"{plain[1] - plain[0]:.2f} | {g:.12g} | {err:.1e} |")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--sin", action="store_true",
                    help="also time one intercepted sin()/sinl() call per iteration (N/2)")
    ap.add_argument("--python-x87", action="store_true",
                    help="also time the x87 builds with the compiled x87 path off")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; "
          f"N = {args.n} and {2 * args.n} iterations, {args.opt}, static")
    fd_exe = build(SOURCE, (args.opt, "-DT=long double"), static=True)
    fd = native_fd(fd_exe, args.n)
    rows, ok = [], True
    runs = [(name, flags, True) for name, flags in BUILDS]
    if args.python_x87:
        runs += [(name + " (x87 in Python)", flags, False) for name, flags in BUILDS[1:]]
    for name, flags, compiled_x87 in runs:
        exe = build(SOURCE, (args.opt, *flags), static=True)
        saved = x87.with_desc
        if not compiled_x87:
            x87.with_desc = lambda h, desc: h  # handlers without their compiled twins
        try:
            t1, n1, g1 = record_cpu(exe, args.n)
            t2, n2, g2 = record_cpu(exe, 2 * args.n)
        finally:
            x87.with_desc = saved
        us = (t2 - t1) / (n2 - n1) * 1e6
        err = abs(g2 - fd) / abs(fd)
        ok &= err < 1e-5 and abs(g1 - g2) <= 1e-12 * abs(g2)
        rows.append((name, t1, t2, n2, us, g2, err))
    sse = rows[0][4]
    print("| build | record s (N) | record s (2N) | nodes (2N) | µs per taped op | ÷ SSE |"
          " dy/dx | rel. err vs FD |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t1, t2, n2, us, g, err in rows:
        print(f"| {name} | {t1:.3f} | {t2:.3f} | {n2:,} | {us:.3f} | {us / sse:.2f} | "
              f"{g:.12g} | {err:.1e} |")
    if args.sin:
        ok &= sin_table(args.n // 2, args.opt)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if not ok:
        print("FAILED: a derivative differs from the finite difference")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
