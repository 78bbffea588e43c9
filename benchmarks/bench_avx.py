"""Cost of VEX (AVX2/FMA) code against the SSE build of the same program, in one run.

    python benchmarks/bench_avx.py [GRID] [STEPS]

Unicorn cannot run VEX instructions, so revad_emu executes each one in Python (avx.py) and
differentiates it there (isa/avx.py), while SSE instructions run inside Unicorn and are
differentiated by the compiled hot path. This measures what that costs, on the same sources
built twice (-O3 and -O3 -march=x86-64-v3, static):

* scalar_loop.c (5 dependent FP operations per iteration: scalar vmulsd/vfmadd/vdivsd);
* heat2d.c (a stencil: packed ymm arithmetic, 4 lanes per instruction).

Per build: native time, plain emulation (no recording) and recording, VEX instructions
executed, tape nodes (lanes). Reported: µs per executed VEX instruction (the v3 run's extra
time over the SSE run, divided by the VEX instructions it executed — the SSE run executes
about as many instructions inside Unicorn) and µs per taped lane in each build.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from buildcache import best_native, build  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.cpu import machine as machine_mod  # noqa: E402

FLAGS = {"sse": ("-O3",), "v3": ("-O3", "-march=x86-64-v3")}


class _Spy:
    """Remember the last Machine built (to read its VEX counters after a run)."""

    def __enter__(self):
        self.orig = machine_mod.Machine.__init__
        spy = self

        def init(m, *a, **k):
            spy.orig(m, *a, **k)
            spy.last = m
        machine_mod.Machine.__init__ = init
        return self

    def __exit__(self, *exc):
        machine_mod.Machine.__init__ = self.orig


def measure(exe: Path, args: list[str]) -> dict:
    out = {"native": best_native(exe, args)}
    with _Spy() as spy:
        t = time.perf_counter()
        Emulator(exe, args).run()
        out["run"] = time.perf_counter() - t
        out["vex_run"] = spy.last.vex.count
        out["insns"] = spy.last.stats.instructions
        t = time.perf_counter()
        rec = Emulator(exe, args).record()
        out["record"] = time.perf_counter() - t
        out["vex_rec"] = spy.last.vex.count
        out["vex_taped"] = spy.last.vex.listener.count
    out["nodes"] = len(rec.tape.values)
    out["stdout"] = rec.stdout
    return out


def main() -> int:
    grid = sys.argv[1] if len(sys.argv) > 1 else "24"
    steps = sys.argv[2] if len(sys.argv) > 2 else "10"
    cases = [("scalar_loop", ["0.3", "20000"]), ("heat2d", [grid, grid, steps])]
    print(f"{'program':12} {'build':4} {'native s':>9} {'run s':>7} {'record s':>9} "
          f"{'VEX exec':>9} {'nodes':>8} {'µs/VEX':>8} {'µs/lane':>8}")
    for name, args in cases:
        res = {}
        for b, flags in FLAGS.items():
            exe = build(HERE / "programs" / f"{name}.c", flags, static=True)
            res[b] = measure(exe, args)
        assert res["sse"]["stdout"] == res["v3"]["stdout"] or name == "heat2d", \
            "outputs differ"
        for b in FLAGS:
            r = res[b]
            per_vex = ""
            if b == "v3" and r["vex_rec"]:
                per_vex = f"{1e6 * (r['record'] - res['sse']['record']) / r['vex_rec']:.1f}"
            per_lane = 1e6 * r["record"] / max(r["nodes"], 1)
            print(f"{name:12} {b:4} {r['native']:9.4f} {r['run']:7.2f} {r['record']:9.2f} "
                  f"{r['vex_rec']:9d} {r['nodes']:8d} {per_vex:>8} {per_lane:8.1f}")
        v, s = res["v3"], res["sse"]
        if v["vex_run"]:
            print(f"{'':12} plain run: {1e6 * (v['run'] - s['run']) / v['vex_run']:.1f} µs "
                  f"per executed VEX instruction over the SSE run "
                  f"({v['vex_run']} executed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
