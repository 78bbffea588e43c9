"""Start-up: cold vs warm (in-process snapshot) vs disk-cached, whole process and in-process.

    python benchmarks/bench_startup.py [--repeat N] [--baseline SRC] [--json FILE]

Programs: the README's first example (`examples/first.c`, C, dynamic; also linked static)
and a C++ iostream program (tests/programs/startup/cxx_iostream.cc, dynamic), all marked.

Whole process: `python -m revad_emu -q PROG` in a subprocess, with the start-up cache off
(cold), and with REVAD_STARTUP_CACHE=disk after one priming run (disk); `--baseline SRC`
also times another source tree (e.g. /work/main/src) cold, interleaved, for before/after.
Floors: `python -c pass`, `python -c "import numpy"` and importing what the CLI needs.
In-process: `Emulator(PROG).record()`, cold (cache off) and warm (from the in-memory
snapshot at main); also the time to run the program to `main`, to restore the snapshot into
a machine built without mapping its image (`Machine(load=False)`, as startup.start does),
that build plus the restore, and for comparison a fresh machine with its image mapped.
Ratios are to the native run (best of 5). Times: best and median of --repeat runs, taken in
rounds so that the machine's load hits every variant alike; the load average is printed.
The target of issue 15: a small dynamic program records in ≤ 0.1 s beyond its own work
(in-process warm minus native).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path[:0] = [str(ROOT / "tests"), str(SRC)]

from buildcache import best_native, build  # noqa: E402
from revad_emu import Emulator  # noqa: E402
from revad_emu.cpu import startup  # noqa: E402
from revad_emu.cpu.machine import Machine  # noqa: E402

TARGET_S = 0.1


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def programs() -> dict[str, Path]:
    first = ROOT / "examples" / "first.c"
    return {
        "first (C, dynamic)": build(first, ("-O2",)),
        "first (C, static)": build(first, ("-O2",), static=True),
        "iostream (C++, dynamic)": build("startup/cxx_iostream.cc", ("-O2",), libs=()),
    }


CPU: dict[str, list[float]] = {}  # CPU seconds (user + system) of the same subprocess runs


def wall(cmd: list[str], env: dict, name: str = "") -> float:
    """Wall seconds of one subprocess run; its CPU seconds go to CPU[name] (CPU time is
    what the machine's load inflates least)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(name, []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return dt


def summary(ts: list[float]) -> tuple[float, float]:
    return min(ts), statistics.median(ts)


def fmt(ts: list[float]) -> str:
    b, m = summary(ts)
    return f"{b:.3f} / {m:.3f}"


def in_process(exe: Path, repeat: int) -> dict[str, list[float]]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C"}
    out: dict[str, list[float]] = {"cold": [], "warm": [], "to_main": [], "restore": [],
                                   "new+restore": [], "fresh machine": []}
    startup.clear()
    os.environ["REVAD_STARTUP_CACHE"] = "memory"
    Emulator(str(exe), [], env).record()
    Emulator(str(exe), [], env).record()  # takes the snapshot
    key = None
    for _ in range(repeat):
        os.environ["REVAD_STARTUP_CACHE"] = "0"
        t = time.perf_counter()
        Emulator(str(exe), [], env).record()
        out["cold"].append(time.perf_counter() - t)
        os.environ["REVAD_STARTUP_CACHE"] = "memory"
        t = time.perf_counter()
        Emulator(str(exe), [], env).record()
        out["warm"].append(time.perf_counter() - t)
        m = Machine(str(exe), [], env)
        t = time.perf_counter()
        m.run_until(m.entry, m.symbols.address_of("main"))
        out["to_main"].append(time.perf_counter() - t)
        key = startup.key_of(m, ())
        entry = startup._cache.get(key)
        if isinstance(entry, startup.ProgramStart):
            t = time.perf_counter()
            Machine(str(exe), [], env)
            out["fresh machine"].append(time.perf_counter() - t)
            t = time.perf_counter()
            m2 = Machine(str(exe), [], env, load=False)  # as startup.start makes it
            t1 = time.perf_counter()
            entry.restore(m2)
            t2 = time.perf_counter()
            out["restore"].append(t2 - t1)
            out["new+restore"].append(t2 - t)
    del os.environ["REVAD_STARTUP_CACHE"]
    return out


def whole_process(exe: Path, repeat: int, baseline: str | None) -> dict[str, list[float]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REVAD_")}
    cache = tempfile.mkdtemp(prefix="revad-startup-bench-")
    envs = {
        "cold": {**base, "PYTHONPATH": str(SRC), "REVAD_STARTUP_CACHE": "0"},
        "disk": {**base, "PYTHONPATH": str(SRC), "REVAD_STARTUP_CACHE": "disk",
                 "REVAD_STARTUP_CACHE_DIR": cache},
    }
    if baseline:
        envs["baseline cold"] = {**base, "PYTHONPATH": baseline}
    cmd = [sys.executable, "-m", "revad_emu", "-q", str(exe)]
    wall(cmd, envs["disk"])  # priming: takes and saves the snapshot
    out: dict[str, list[float]] = {k: [] for k in envs}
    for _ in range(repeat):
        for name, env in envs.items():
            out[name].append(wall(cmd, env, f"{exe.name} {name}"))
    return out


def floors(repeat: int, baseline: str | None) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVAD_")}
    cli = "import revad_emu.cli, revad_emu.api, revad_emu.recording"
    cmds = {"python -c pass": ([sys.executable, "-c", "pass"], env),
            "import numpy": ([sys.executable, "-c", "import numpy"], env),
            "import the CLI's modules": ([sys.executable, "-c", cli],
                                         {**env, "PYTHONPATH": str(SRC)})}
    if baseline:
        cmds["the same, baseline tree"] = ([sys.executable, "-c", cli],
                                           {**env, "PYTHONPATH": baseline})
    out: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, (cmd, e) in cmds.items():
            out[name].append(wall(cmd, e, name))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--baseline", metavar="SRC", help="another source tree to time cold")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    # Bytecode for this tree, as an installed package has it (PYTHONDONTWRITEBYTECODE would
    # otherwise make every subprocess compile the package again).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SRC)], check=True)
    res: dict = {"load_before": load()}
    print(f"load average: {res['load_before']}")
    print("\nfloors (whole process, best / median s):")
    fl = floors(a.repeat, a.baseline)
    for k, ts in fl.items():
        print(f"  {k:28s} {fmt(ts)}   CPU {fmt(CPU[k])}")
    res["floors"] = {k: summary(v) for k, v in fl.items()}
    ok = True
    for name, exe in programs().items():
        native = best_native(exe, repeat=5)
        wp = whole_process(exe, a.repeat, a.baseline)
        ip = in_process(exe, a.repeat)
        print(f"\n{name}: native {native * 1e3:.1f} ms")
        print("  whole process, python -m revad_emu -q (best / median s, best ÷ native):")
        for k, ts in wp.items():
            print(f"    {k:15s} {fmt(ts)}   ×{min(ts) / native:.0f}   "
                  f"CPU {fmt(CPU[f'{exe.name} {k}'])}")
        print("  in process, Emulator(...).record() (best / median s, best ÷ native):")
        for k in ("cold", "warm"):
            print(f"    {k:15s} {fmt(ip[k])}   ×{min(ip[k]) / native:.0f}")
        print(f"    run to main    {fmt(ip['to_main'])}   (what the snapshot saves)")
        if ip["restore"]:
            print(f"    restore        {fmt(ip['restore'])}   (into a machine whose image "
                  "is not mapped)")
            print(f"    new+restore    {fmt(ip['new+restore'])}   (Machine(load=False) + "
                  "restore, what a warm start pays)")
            print(f"    fresh machine  {fmt(ip['fresh machine'])}   (Machine(): image mapped)")
        beyond = min(ip["warm"]) - native
        met = beyond <= TARGET_S
        ok &= met or "static" in name or "C++" in name
        print(f"  warm record beyond native work: {beyond:.3f} s (target ≤ {TARGET_S} s: "
              f"{'met' if met else 'not met'})")
        res[name] = {"native": native, "whole": {k: summary(v) for k, v in wp.items()},
                     "whole_cpu": {k: summary(CPU[f"{exe.name} {k}"]) for k in wp},
                     "in_process": {k: summary(v) for k, v in ip.items() if v},
                     "beyond_native_warm": beyond}
    res["load_after"] = load()
    print(f"\nload average: {res['load_after']}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
