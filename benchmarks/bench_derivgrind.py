"""revad_emu side by side with Derivgrind on the same binaries.

    python benchmarks/bench_derivgrind.py [--quick] [--repeat 2] [--derivgrind-src DIR]
                                          [--json FILE]
    DERIVGRIND_PREFIX=/path/to/derivgrind/install python benchmarks/bench_derivgrind.py ...

Why: issue 15 asks for recording, sweep, tape size and start-up "within a few times of
Derivgrind". Derivgrind's client-request ABI is one revad_emu implements, so one binary marked
with Derivgrind's macros (`DG_INPUTF`, `DG_OUTPUTF` from `valgrind/derivgrind.h`) runs
unchanged under both tools, and both write the same tape layout; the comparison needs no
second build and can check that both tools tape the same nodes and give the same gradient.

Programs (each compiled once, dynamic, -O2; with DERIVGRIND_PREFIX against its installed
`valgrind/derivgrind.h`, otherwise against revad_emu's own Derivgrind-compatible header
tests/include/dg_requests.h behind the same include name):

- start-up: benchmarks/programs/dg_trivial.c (one input, one product, one output);
- scalar loop: benchmarks/programs/dg_scalar_loop.c, 5 taped operations per iteration, at two
  iteration counts: the recording cost per taped operation is the slope between them, so
  fixed costs (start-up, decoding, tape set-up) cancel;
- Burgers: Derivgrind's own `derivgrind/diff_tests/benchmarks/burgers.cpp` (-DDG_BAR), from a
  Derivgrind source checkout (`--derivgrind-src`, or DERIVGRIND_SRC), at two grid sizes
  (nx = nt); skipped without a checkout.

For every program and size: native wall time (best of 3); revad_emu in a child process
(`Emulator.record()`, the tape saved as .npz, a reverse sweep in memory; CPU seconds of each
step); revad_emu's whole-process sweep (`python -m revad_emu --from-tape T.npz --vjp 1`);
with DERIVGRIND_PREFIX, `$DERIVGRIND_PREFIX/bin/valgrind --tool=derivgrind --record=DIR` and
its `tape-evaluation DIR` (whole-process CPU seconds via wait4). Start-up is the whole process
of each tool on the trivial program (revad_emu: `python -m revad_emu -q --record DIR`).
Times are CPU seconds (user + system): the machine is shared, and CPU time moves less with
the load than wall time; each measurement is repeated (--repeat, both tools back to back) and
the best kept. Checks: node counts of both tools equal (reported), gradients equal within
1e-10 relative (Derivgrind prints 16 digits), revad_emu's gradient of the scalar loop against
a central finite difference of the native binary and of the trivial program against 2x.
Exit status 1 if a check fails. Ratios are revad_emu ÷ Derivgrind for times and bytes, so
above 1 means revad_emu is slower or larger.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
LAUNCH = Path(__file__).resolve().parent / "rusage_launch.py"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from buildcache import CACHE, build  # noqa: E402
from fdcheck import fd_jacobian  # noqa: E402

X0 = 0.3            # input of the scalar loop
X_TRIVIAL = 1.5     # input of the trivial program
GRAD_RTOL = 1e-10   # revad_emu vs Derivgrind gradients (Derivgrind writes 16 digits)
FD_RTOL = 1e-5      # revad_emu vs central finite differences of the native binary
BURGERS = Path("derivgrind", "diff_tests", "benchmarks", "burgers.cpp")


# --- processes -----------------------------------------------------------------------------

@dataclass
class Proc:
    """One finished child process: wall and CPU seconds, peak RSS, status and output."""
    wall: float
    cpu: float
    rss: int
    rc: int
    out: bytes
    err: bytes


def timed_run(cmd: list[str], cwd: Path, env: dict | None = None) -> Proc:
    """Run `cmd` through rusage_launch.py, which measures it with wait4: this command's own
    CPU time and peak RSS, not inherited from this (possibly large) process. Output goes to
    files so a chatty child cannot block on a full pipe."""
    cwd.mkdir(parents=True, exist_ok=True)
    result = cwd / ".rusage.json"
    with open(cwd / ".stdout", "w+b") as out, open(cwd / ".stderr", "w+b") as err:
        subprocess.run([sys.executable, str(LAUNCH), str(result), *map(str, cmd)], cwd=cwd,
                       env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, check=True)
        r = json.loads(result.read_text())
        out.seek(0)
        err.seek(0)
        return Proc(r["wall"], r["cpu"], r["rss"], r["rc"], out.read(), err.read())


def checked(p: Proc, what: str) -> Proc:
    if p.rc != 0:
        tail = p.err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{what} exited with status {p.rc}:\n  " + "\n  ".join(tail))
    return p


def py_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    return env


def best(runs: list[dict]) -> dict:
    """Per key, the smallest number over repeated runs (non-numbers from the first run)."""
    out = dict(runs[0])
    for r in runs[1:]:
        for k, v in r.items():
            if isinstance(v, float) and isinstance(out.get(k), float):
                out[k] = min(out[k], v)
    return out


# --- building ------------------------------------------------------------------------------

def include_dir(prefix: Path | None) -> Path:
    """Where `#include <valgrind/derivgrind.h>` is found: the Derivgrind install's include
    folder, or a generated one whose derivgrind.h is revad_emu's compatible header."""
    if prefix is not None:
        return prefix / "include"
    shim = CACHE / "dgshim"
    hdr = shim / "valgrind" / "derivgrind.h"
    text = ('/* generated by benchmarks/bench_derivgrind.py: Derivgrind\'s include name, '
            'revad_emu\'s header */\n#include "dg_requests.h"\n')
    if not hdr.exists() or hdr.read_text() != text:
        hdr.parent.mkdir(parents=True, exist_ok=True)
        hdr.write_text(text)
    return shim


def compile_programs(inc: Path, burgers_src: Path | None) -> dict[str, Path]:
    flags = ("-O2", f"-I{inc}")
    exes = {"trivial": build(PROGRAMS / "dg_trivial.c", flags),
            "loop": build(PROGRAMS / "dg_scalar_loop.c", flags)}
    if burgers_src is not None:
        exes["burgers"] = build(burgers_src, (*flags, "-DDG_BAR"))
    return exes


# --- revad_emu -----------------------------------------------------------------------------

def revad_child(rundir: str, exe: str, argv: list[str]) -> dict:
    """In a fresh process: record, save the tape, sweep it in memory; CPU seconds of each."""
    c0 = time.process_time()
    from revad_emu import Emulator

    import_s = time.process_time() - c0
    c0, t0 = time.process_time(), time.perf_counter()
    rec = Emulator(exe, argv, allow_write=[rundir]).record()
    record_s, record_wall = time.process_time() - c0, time.perf_counter() - t0
    tape = rec.tape
    path = Path(rundir, "tape.npz")
    c0 = time.process_time()
    tape.save(path)
    save_s = time.process_time() - c0
    c0 = time.process_time()
    grad = rec.vjp(np.ones(len(rec.outputs)))
    sweep_s = time.process_time() - c0
    np.save(Path(rundir, "grad.npy"), grad)
    return {"import_s": import_s, "record_s": record_s, "record_wall_s": record_wall,
            "save_s": save_s, "sweep_mem_s": sweep_s, "nodes": len(tape) - 1,
            "tape_bytes": path.stat().st_size, "n_in": len(rec.inputs),
            "n_out": len(rec.outputs), "warnings": len(rec.warnings),
            "stdout": rec.stdout.decode(errors="replace")}


def run_revad(exe: Path, argv: list[str], rundir: Path) -> tuple[dict, np.ndarray]:
    p = checked(timed_run([sys.executable, __file__, "--child", rundir, exe, *argv], rundir,
                          py_env()), f"revad_emu recording of {exe.name}")
    r = json.loads(p.out.decode().splitlines()[-1])
    r.update(process_s=p.cpu, process_wall_s=p.wall, rss=float(p.rss))
    seeds = ",".join(["1"] * r["n_out"])
    q = checked(timed_run([sys.executable, "-m", "revad_emu", "-q", "--from-tape",
                           rundir / "tape.npz", "--vjp", seeds, "--format", "npy", "-o",
                           rundir / "grad_cli.npy"], rundir, py_env()),
                "revad_emu --from-tape")
    r.update(sweep_process_s=q.cpu, sweep_process_wall_s=q.wall)
    grad = np.load(rundir / "grad.npy")
    if not np.array_equal(np.load(rundir / "grad_cli.npy"), grad):
        raise RuntimeError("revad_emu: --from-tape gradient differs from the in-memory one")
    return r, grad


def revad_startup(exe: Path, rundir: Path) -> float:
    p = checked(timed_run([sys.executable, "-m", "revad_emu", "-q", "--record", rundir / "rv",
                           exe, repr(X_TRIVIAL)], rundir, py_env()), "revad_emu start-up")
    return p.cpu


# --- Derivgrind ----------------------------------------------------------------------------

class Derivgrind:
    """An installed Derivgrind: its valgrind launcher and its tape-evaluation tool."""

    def __init__(self, prefix: Path):
        self.valgrind = prefix / "bin" / "valgrind"
        self.evaluate = prefix / "bin" / "tape-evaluation"
        for tool in (self.valgrind, self.evaluate):
            if not os.access(tool, os.X_OK):
                raise SystemExit(f"bench_derivgrind: DERIVGRIND_PREFIX={prefix}: no {tool}")

    def record(self, exe: Path, argv: list[str], rundir: Path) -> Proc:
        d = rundir / "dg"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return checked(timed_run([self.valgrind, "--tool=derivgrind", f"--record={d}", exe,
                                  *argv], rundir), f"Derivgrind recording of {exe.name}")

    def run(self, exe: Path, argv: list[str], rundir: Path) -> tuple[dict, np.ndarray]:
        rec = self.record(exe, argv, rundir)
        d = rundir / "dg"
        outputs = [int(i) for i in (d / "dg-output-indices").read_text().split()]
        (d / "dg-output-bars").write_text("1.0\n" * len(outputs))
        ev = checked(timed_run([self.evaluate, d], rundir), "Derivgrind tape-evaluation")
        tape_bytes = (d / "dg-tape").stat().st_size
        grad = np.atleast_1d(np.loadtxt(d / "dg-input-bars"))
        return {"record_s": rec.cpu, "record_wall_s": rec.wall, "rss": float(rec.rss),
                "sweep_process_s": ev.cpu, "sweep_process_wall_s": ev.wall,
                "nodes": tape_bytes // 32 - 1, "tape_bytes": tape_bytes,
                "stdout": rec.out.decode(errors="replace")}, grad


# --- measuring -----------------------------------------------------------------------------

@dataclass
class Case:
    program: str        # key of the compiled programs
    label: str
    argv: list[str]


def measure(case: Case, exe: Path, dg: Derivgrind | None, work: Path, repeat: int,
            checks: list[dict]) -> dict:
    """Native, revad_emu and (if given) Derivgrind figures of one program and size; both
    tools back to back in each repetition, the best of each figure kept."""
    rundir = work / f"{case.program}-{'-'.join(case.argv)}"
    # burgers writes its results to its first argument: a file in each tool's own run folder
    # (its working directory; revad_emu may write only there)
    argv = ["out.json", *case.argv] if case.program == "burgers" else case.argv
    print(f"[{case.label}] native ...", flush=True)
    # native: best wall of 3, in the run folder (burgers writes files into its working
    # directory)
    native = min(checked(timed_run([exe, *argv], rundir / "native"), f"native {exe.name}").wall
                 for _ in range(3))
    row: dict = {"label": case.label, "program": case.program, "argv": case.argv,
                 "native_s": native}
    rv_runs, dg_runs = [], []
    rv_grad = dg_grad = None
    for i in range(repeat):
        print(f"[{case.label}] revad_emu {i + 1}/{repeat} ...", flush=True)
        r, rv_grad = run_revad(exe, argv, rundir / "rv")
        rv_runs.append(r)
        if dg is not None:
            print(f"[{case.label}] Derivgrind {i + 1}/{repeat} ...", flush=True)
            d, dg_grad = dg.run(exe, argv, rundir / "dg")
            dg_runs.append(d)
    row["rv"] = best(rv_runs)
    if dg is not None:
        row["dg"] = best(dg_runs)
        # Comparable: the nodes some output depends on. Beyond them revad_emu also tapes
        # what the program does with its results (printf's or iostream's |y| in libc),
        # which Derivgrind does not.
        rv_live, dg_live = live_nodes(rundir)
        same = rv_live == dg_live
        checks.append({"check": f"{case.label}: nodes an output depends on", "pass": same,
                       "note": f"revad_emu {rv_live:,}, Derivgrind {dg_live:,} (all nodes "
                               f"{row['rv']['nodes']:,} and {row['dg']['nodes']:,})"})
        row["same_nodes"] = same
        assert rv_grad is not None and dg_grad is not None
        if rv_grad.shape != dg_grad.shape:
            checks.append({"check": f"{case.label}: gradient vs Derivgrind", "pass": False,
                           "note": f"shapes {rv_grad.shape} vs {dg_grad.shape}"})
        else:
            err = float(np.max(np.abs(rv_grad - dg_grad) / (1 + np.abs(dg_grad))))
            checks.append({"check": f"{case.label}: gradient vs Derivgrind "
                                    f"({rv_grad.size} entries)", "rel_err": err,
                           "pass": bool(err <= GRAD_RTOL)})
        if case.program != "burgers":  # burgers writes its results to a file, not stdout
            if row["rv"]["stdout"] != row["dg"]["stdout"]:
                checks.append({"check": f"{case.label}: program output", "pass": False,
                               "note": "revad_emu and Derivgrind runs printed different "
                                       "things"})
    row["grad"] = rv_grad
    return row


def live_nodes(rundir: Path) -> tuple[int, int]:
    """Nodes some output depends on in revad_emu's last tape (.npz) and Derivgrind's last
    tape (dg-tape) of this run folder."""
    from revad_emu.ad.tape import Tape, read_derivgrind
    from revad_emu.views.graphwalk import needed

    return (int(needed(Tape.load(rundir / "rv" / "tape.npz")).sum()),
            int(needed(read_derivgrind(rundir / "dg" / "dg")).sum()))


def fd_checks(exes: dict[str, Path], rows: list[dict], checks: list[dict]) -> None:
    """revad_emu's gradients against the native binary (independent of Derivgrind)."""
    for r in rows:
        g = float(r["grad"][0])
        if r["program"] == "trivial":
            err = abs(g - 2 * X_TRIVIAL) / (2 * X_TRIVIAL)
            checks.append({"check": f"{r['label']}: dy/dx = 2x", "rel_err": err,
                           "pass": err <= 1e-15})
        elif r["program"] == "loop":
            fd = float(fd_jacobian(exes["loop"], [X0], extra_args=[r["argv"][1]])[0, 0])
            err = abs(g - fd) / max(1.0, abs(fd))
            checks.append({"check": f"{r['label']}: dy/dx vs finite difference", "rel_err": err,
                           "pass": err <= FD_RTOL})


# --- the table -----------------------------------------------------------------------------

def slope(rows: list[dict], tool: str, key: str) -> float | None:
    """CPU seconds per extra node between the smallest and the largest size; None when
    there is no such pair or the difference is not positive (the noise of the fixed costs
    exceeded the extra work: larger sizes are needed)."""
    if len(rows) < 2:
        return None
    a, b = rows[0][tool], rows[-1][tool]
    dn = b["nodes"] - a["nodes"]
    if dn <= 0 or b[key] <= a[key]:
        print(f"note: {tool} {key} did not grow from {a['nodes']:,} to {b['nodes']:,} nodes "
              f"({a[key]:.3f} -> {b[key]:.3f} s): no slope; try larger sizes")
        return None
    return (b[key] - a[key]) / dn


def summary(by_prog: dict[str, list[dict]], startup: dict) -> list[tuple]:
    """(what, unit, revad_emu figure, Derivgrind figure or None, ratio kind) rows; ratio kind
    't' = revad_emu ÷ Derivgrind, 'r' = Derivgrind ÷ revad_emu (for rates)."""
    out: list[tuple] = []
    have_dg = "dg" in startup
    for prog, name in (("loop", "scalar loop"), ("burgers", "Burgers")):
        rows = by_prog.get(prog, [])
        if not rows:
            continue
        sizes = f"{rows[0]['label'].split()[-1]}→{rows[-1]['label'].split()[-1]}"
        s_rec = slope(rows, "rv", "record_s")
        rv_save = [{"nodes": r["rv"]["nodes"],
                    "t": r["rv"]["record_s"] + r["rv"]["save_s"]} for r in rows]
        s_rs = slope([{"rv": x} for x in rv_save], "rv", "t")
        s_dg = slope(rows, "dg", "record_s") if have_dg else None
        if s_rs is not None:
            out.append((f"recording + tape to disk, {name} (slope {sizes})", "µs/node",
                        s_rs * 1e6, None if s_dg is None else s_dg * 1e6, "t"))
            out.append((f"  recording alone (no tape save), {name}", "µs/node",
                        s_rec * 1e6 if s_rec is not None else None,
                        None if s_dg is None else s_dg * 1e6, "t"))
        big = rows[-1]
        n = big["rv"]["nodes"]
        out.append((f"reverse sweep, whole process, {name} {big['label'].split()[-1]}",
                    "M nodes/s", n / big["rv"]["sweep_process_s"] / 1e6,
                    big["dg"]["nodes"] / big["dg"]["sweep_process_s"] / 1e6 if have_dg
                    else None, "r"))
        out.append(("  the same, tape in memory (revad_emu)", "M nodes/s",
                    n / max(big["rv"]["sweep_mem_s"], 1e-9) / 1e6,
                    big["dg"]["nodes"] / big["dg"]["sweep_process_s"] / 1e6 if have_dg
                    else None, "r"))
        out.append((f"tape on disk, {name} {big['label'].split()[-1]}", "B/node",
                    big["rv"]["tape_bytes"] / n,
                    big["dg"]["tape_bytes"] / big["dg"]["nodes"] if have_dg else None, "t"))
        out.append((f"peak RSS while recording, {name} {big['label'].split()[-1]}", "MB",
                    big["rv"]["rss"] / 2**20, big["dg"]["rss"] / 2**20 if have_dg else None,
                    "t"))
    out.append(("start-up, trivial marked program, whole process", "s",
                startup["rv"], startup.get("dg"), "t"))
    return out


def fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.3f}" if v < 10 else f"{v:,.1f}"


def print_tables(rows: list[dict], summ: list[tuple], have_dg: bool) -> None:
    print(f"\n{'run':<22}{'nodes':>12}{'native s':>10}{'rv record':>11}{'rv save':>9}"
          f"{'rv sweep':>10}{'rv sweep*':>10}" + (f"{'dg record':>11}{'dg sweep*':>11}"
                                                  f"{'same nodes':>12}" if have_dg else ""))
    for r in rows:
        rv = r["rv"]
        line = (f"{r['label']:<22}{rv['nodes']:>12,}{r['native_s']:>10.4f}{rv['record_s']:>11.3f}"
                f"{rv['save_s']:>9.3f}{rv['sweep_mem_s']:>10.4f}{rv['sweep_process_s']:>10.3f}")
        if have_dg:
            dg = r["dg"]
            line += (f"{dg['record_s']:>11.3f}{dg['sweep_process_s']:>11.3f}"
                     f"{'yes' if r['same_nodes'] else 'NO':>12}")
        print(line)
    print("(CPU seconds; * = whole process: revad_emu --from-tape / Derivgrind tape-evaluation;"
          " rv record = Emulator.record() in a warm process)")
    print(f"\n{'':<64}{'unit':>10}{'revad_emu':>12}{'Derivgrind':>12}{'rv ÷ dg':>10}")
    for what, unit, rv, dg, kind in summ:
        ratio = "-"
        if rv is not None and dg is not None and rv > 0 and dg > 0:
            x = rv / dg if kind == "t" else dg / rv
            ratio = f"{x:.2f}×"
        print(f"{what:<64}{unit:>10}{fmt(rv):>12}{fmt(dg):>12}{ratio:>10}")
    print("(rv ÷ dg: time or bytes of revad_emu over Derivgrind's; for rates, Derivgrind's "
          "over revad_emu's; above 1 = revad_emu slower or larger)")


# --- main ----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--repeat", type=int, default=2, help="repetitions, best kept (default 2)")
    ap.add_argument("--loop", default=None,
                    help="two iteration counts of the scalar loop (default 200000,2000000; "
                         "--quick 2000,10000)")
    ap.add_argument("--burgers", default=None,
                    help="Burgers grid sizes nx=nt (default 30,60; --quick 6,10)")
    ap.add_argument("--derivgrind-src", default=os.environ.get("DERIVGRIND_SRC"),
                    help="Derivgrind source checkout holding " + str(BURGERS)
                         + " (default: $DERIVGRIND_SRC; Burgers is skipped without one)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(revad_child(a.child[0], a.child[1], a.child[2:])))
        return 0

    prefix_env = os.environ.get("DERIVGRIND_PREFIX")
    prefix = Path(prefix_env).resolve() if prefix_env else None
    dg = Derivgrind(prefix) if prefix is not None else None
    burgers_src = None
    if a.derivgrind_src:
        burgers_src = Path(a.derivgrind_src) / BURGERS
        if not burgers_src.is_file():
            raise SystemExit(f"bench_derivgrind: no {burgers_src}")
    loop_sizes = (a.loop or ("2000,10000" if a.quick else "200000,2000000")).split(",")
    burgers_sizes = (a.burgers or ("6,10" if a.quick else "30,60")).split(",")

    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)} on {os.cpu_count()} cores; "
          + (f"Derivgrind: {prefix}" if dg else
             "Derivgrind skipped (set DERIVGRIND_PREFIX to a Derivgrind install)"), flush=True)
    exes = compile_programs(include_dir(prefix), burgers_src)
    cases = [Case("loop", f"scalar loop n={n}", [repr(X0), n]) for n in loop_sizes]
    if burgers_src is not None:
        cases += [Case("burgers", f"Burgers {s}x{s}", [s, s]) for s in burgers_sizes]
    else:
        print("Burgers skipped (no Derivgrind source checkout: --derivgrind-src or "
              "DERIVGRIND_SRC)")

    checks: list[dict] = []
    rows: list[dict] = []
    startup: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_dg_") as tmp:
        work = Path(tmp)
        print("[start-up] ...", flush=True)
        rv_s, dg_s = [], []
        for _ in range(max(a.repeat, 2)):
            rv_s.append(revad_startup(exes["trivial"], work / "startup"))
            if dg is not None:
                dg_s.append(dg.record(exes["trivial"], [repr(X_TRIVIAL)],
                                      work / "startup").cpu)
        startup["rv"] = min(rv_s)
        if dg is not None:
            startup["dg"] = min(dg_s)
        rows.append(measure(Case("trivial", "trivial", [repr(X_TRIVIAL)]), exes["trivial"],
                            dg, work, 1, checks))
        for case in cases:
            rows.append(measure(case, exes[case.program], dg, work, a.repeat, checks))
    fd_checks(exes, rows, checks)

    by_prog: dict[str, list[dict]] = {}
    for r in rows:
        by_prog.setdefault(r["program"], []).append(r)
    summ = summary(by_prog, startup)
    load_end = Path("/proc/loadavg").read_text().split()[:3]
    print_tables(rows, summ, dg is not None)
    print(f"load average at the start {' '.join(load)}, at the end {' '.join(load_end)}")
    if dg is None:
        print("Derivgrind skipped: DERIVGRIND_PREFIX is not set (revad_emu figures only)")
    print("\nchecks:")
    ok = True
    for c in checks:
        if not c.get("info"):
            ok &= c["pass"]
        tag = "info" if c.get("info") else "PASS" if c["pass"] else "FAIL"
        err = f" rel_err={c['rel_err']:.1e}" if "rel_err" in c else ""
        note = f" {c['note']}" if "note" in c else ""
        print(f"  {tag:<5}{c['check']}:{err}{note}")
    print(f"\noverall: {'PASS' if ok else 'FAIL'}")
    if a.json:
        for r in rows:
            r.pop("grad", None)
        Path(a.json).write_text(json.dumps(
            {"load_start": load, "load_end": load_end, "derivgrind": str(prefix or ""),
             "startup_s": startup, "rows": rows, "summary": summ, "checks": checks,
             "pass": ok}, indent=1, default=float) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
