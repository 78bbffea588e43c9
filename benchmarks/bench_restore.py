"""Warm start set-up: a new machine plus the restore of the start-up snapshot at `main`.

    PYTHONPATH=TREE/src python benchmarks/bench_restore.py [--repeat N]

For the test program tests/programs/ad/arith.c (dynamic and static): the time to build a
fresh loaded `Machine()`, and to build the machine a warm start uses and restore the snapshot
into it — `Machine(load=False)` where the tree has it (its process image is not mapped),
else `Machine()` (the image mapped, then replaced). Run it with PYTHONPATH pointing at two
trees alternately to compare them; prints best and median, and the load average.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from buildcache import build  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.cpu import startup  # noqa: E402
from revad_emu.cpu.machine import Machine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=60)
    a = ap.parse_args()
    os.environ.pop("REVAD_STARTUP_CACHE", None)
    deferred = "load" in inspect.signature(Machine).parameters
    args = ["1.3", "0.7", "2.1"]
    print(f"tree: {Path(inspect.getfile(Machine)).parents[2]} "
          f"({'Machine(load=False)' if deferred else 'Machine()'} for restores)")
    for static in (False, True):
        exe = str(build("ad/arith.c", static=static))
        startup.clear()
        for _ in range(3):  # note the key, take the snapshot, use it
            Emulator(exe, args).run()
        entry = startup._cache[startup.key_of(Machine(exe, args), ())]
        fresh, restored = [], []
        for _ in range(a.repeat):
            t = time.perf_counter()
            Machine(exe, args)
            fresh.append(time.perf_counter() - t)
            t = time.perf_counter()
            m = Machine(exe, args, load=False) if deferred else Machine(exe, args)
            entry.restore(m)
            restored.append(time.perf_counter() - t)

        def fmt(v: list[float]) -> str:
            return f"{min(v) * 1e3:.2f} / {statistics.median(v) * 1e3:.2f} ms"

        print(f"  {'static ' if static else 'dynamic'}  fresh machine {fmt(fresh)}   "
              f"machine + restore {fmt(restored)}   (best / median)")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
