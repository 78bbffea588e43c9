"""Cost of an intercepted math-library call, in the same run as the native program.

    python benchmarks/bench_libm.py [N]

Records benchmarks/programs/scalar_loop.c (5 FP operations per iteration) and
scalar_loop_sin.c (the same loop with a sin() call) at -O2, static; the difference per
iteration is the cost of one intercepted sin call. The same program is also recorded with
interception switched off (glibc's sin differentiated through its machine code) for the
speed-up. Native times come from the same binaries.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from buildcache import best_native, build  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.ad.mathcalls import MathCalls  # noqa: E402


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def record(exe: Path, args: list[str], repeat: int = 3) -> tuple[float, object]:
    """Best of `repeat` recordings (wall time) and the last recording."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        rec = Emulator(exe, args).record()
        best = min(best, time.perf_counter() - t)
    return best, rec


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    args = ["0.3", str(n)]
    plain = build(HERE / "programs" / "scalar_loop.c", ("-O2",), static=True)
    with_sin = build(HERE / "programs" / "scalar_loop_sin.c", ("-O2",), static=True)
    nat_args = [args[0], str(n * 100)]
    nat_plain, nat_sin = best_native(plain, nat_args), best_native(with_sin, nat_args)
    t_plain, _ = record(plain, args)
    t_sin, rec = record(with_sin, args)
    calls = n
    per_call = (t_sin - t_plain) / calls
    native_call = max(nat_sin - nat_plain, 0.0) / (calls * 100)
    # The same recording with interception off: sin's machine code is differentiated.
    saved = (MathCalls.spec_at, MathCalls.target_info, MathCalls.untraced_regions)
    MathCalls.spec_at = lambda self, addr: None
    MathCalls.target_info = lambda self, target: None
    MathCalls.untraced_regions = lambda self: []
    try:
        t_raw, rec_raw = record(with_sin, args, repeat=1)
    finally:
        MathCalls.spec_at, MathCalls.target_info, MathCalls.untraced_regions = saved
    print(f"iterations: {n} (native timings at {n * 100} iterations)")
    print(f"record, loop without sin:        {t_plain:8.3f} s")
    print(f"record, loop with sin:           {t_sin:8.3f} s  "
          f"({rec.stats['tape_nodes']} nodes)")
    print(f"intercepted sin call (upper bound: also counts the loop's extra spills):\n"
          f"                                 {per_call * 1e6:8.2f} µs per call "
          f"(native sin ≈ {native_call * 1e9:.1f} ns; ratio {per_call / native_call:.0f}x)"
          if native_call > 0 else f"intercepted sin call: {per_call * 1e6:.2f} µs per call")
    # The same two programs run without recording: the difference is Unicorn executing
    # sin's own ~95 instructions, which any emulated run pays; the rest is interception.
    plain_run = _best(lambda: Emulator(plain, args).run())
    sin_run = _best(lambda: Emulator(with_sin, args).run())
    body = max(sin_run - plain_run, 0.0) / calls
    print(f"  of which emulating sin's body:  {body * 1e6:8.2f} µs (plain runs: "
          f"{plain_run:.3f} s / {sin_run:.3f} s)")
    print(f"  interception (the rest):        {(per_call - body) * 1e6:8.2f} µs per call")
    print(f"without interception:            {t_raw:8.3f} s  "
          f"({rec_raw.stats['tape_nodes']} nodes, {len(rec_raw.warnings)} warnings)")
    print(f"speed-up of interception:        {(t_raw - t_plain) / max(t_sin - t_plain, 1e-9):8.1f}x"
          " (on the sin calls alone)")
    print(f"derivatives: intercepted {rec.jacobian()[0, 0]:.12g}, "
          f"machine code {rec_raw.jacobian()[0, 0]:.12g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
