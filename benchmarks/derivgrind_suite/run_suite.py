"""Run Derivgrind's amd64 diff_tests (gcc, g++, gfortran; both modes) against revad_emu.

    python benchmarks/derivgrind_suite/run_suite.py --derivgrind /path/to/derivgrind-checkout

Derivgrind's own harness (derivgrind/diff_tests/run_tests.py and TestCase.py) runs unchanged
from the checkout; only its `--prefix` points at a prefix built here, outside this
repository (default: a temporary directory):

    PREFIX/bin/valgrind              this directory's stand-in, calling `python -m revad_emu`
    PREFIX/bin/tape-evaluation       built from the checkout's derivgrind/eval/
    PREFIX/include/valgrind/         the checkout's derivgrind.h, derivgrind-recording.h,
                                     valgrind.h (from include/valgrind.h.in), and the Fortran
                                     module derivgrind_clientrequests.mod
    PREFIX/lib/valgrind/libderivgrind_clientrequests-amd64_linux.a   (the Fortran wrappers)

Nothing of Derivgrind is copied into this repository. Prints per-group counts and the
failures by class (-march=native tests, which need AVX; atan2, whose expected numbers come
from Derivgrind's wrapper that swaps the partials; everything else).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
GROUPS = [f"{mode}_amd64_{cc}_*" for mode in ("dot", "bar") for cc in ("gcc", "g++", "gfortran")]
NATIVE = {"fma_add", "fma_sub", "max", "min"}  # templates built with -march=native


def build_prefix(dg: Path, prefix: Path) -> None:
    """The layout run_tests.py expects under --prefix, from the checkout at dg."""
    src = dg / "derivgrind"
    inc = prefix / "include" / "valgrind"
    lib = prefix / "lib" / "valgrind"
    bindir = prefix / "bin"
    for d in (inc, lib, bindir):
        d.mkdir(parents=True, exist_ok=True)
    text = (dg / "include" / "valgrind.h.in").read_text()
    (inc / "valgrind.h").write_text(text.replace("@VG_VER_MAJOR@", "3")
                                    .replace("@VG_VER_MINOR@", "22"))
    for h in ("derivgrind.h", "derivgrind-recording.h"):
        shutil.copy(src / h, inc / h)
    shutil.copy(HERE / "valgrind", bindir / "valgrind")
    subprocess.run(["g++", "-O2", "-std=c++17", f"-I{src / 'eval'}",
                    str(src / "eval" / "tape-evaluation.cpp"), "-o",
                    str(bindir / "tape-evaluation")], check=True)
    obj = prefix / "derivgrind_clientrequests.o"
    subprocess.run(["gcc", "-O2", "-c", f"-I{inc}",
                    str(src / "wrappers" / "compiled" / "derivgrind_clientrequests.c"), "-o",
                    str(obj)], check=True)
    subprocess.run(["ar", "rcs", str(lib / "libderivgrind_clientrequests-amd64_linux.a"),
                    str(obj)], check=True)
    if shutil.which("gfortran"):
        subprocess.run(["gfortran", "-c", str(src / "wrappers" / "fortran" /
                                              "derivgrind_clientrequests.f90"),
                        "-o", str(prefix / "dgcr_f.o")], check=True, cwd=inc)


def classify(name: str) -> str:
    template = re.sub(r"^(dot|bar)_amd64_(gcc|g\+\+|gfortran)_(double|float|longdouble|"
                      r"real4|real8)_", "", name)
    if template in NATIVE:
        return "march=native"
    if template == "atan2":
        return "atan2"
    return "other"


def patterns_of(dg: Path, group: str) -> list[str]:
    """fnmatch patterns covering a group's client-request tests but none of the interactive
    ones (those need vgdb; their names end in "_interactive", and run_tests.py would wait
    forever for the gdb server): every name not ending in "e", plus one pattern per
    client-request template that does end in "e"."""
    text = (dg / "derivgrind" / "diff_tests" / "run_tests.py").read_text()
    templates = set(re.findall(r'ClientRequestTestCase\("([^"]+)"\)', text))
    prefix = group.rstrip("*")
    return [prefix + "*[!e]"] + [f"{prefix}*_{t}" for t in sorted(templates) if
                                 t.endswith("e")]


def candidates(dg: Path) -> list[str]:
    """Names of the amd64 client-request tests in run_tests.py's order (types outer,
    templates inner); some are disabled there (a run of such a name runs nothing)."""
    text = (dg / "derivgrind" / "diff_tests" / "run_tests.py").read_text()
    templates = re.findall(r'ClientRequestTestCase\("([^"]+)"\)', text)
    types = {"gcc": ("double", "float", "longdouble"), "g++": ("double", "float", "longdouble"),
             "gfortran": ("real4", "real8")}
    return [f"{mode}_amd64_{cc}_{t}_{tmpl}" for mode in ("dot", "bar")
            for cc in ("gcc", "g++", "gfortran") for t in types[cc] for tmpl in templates]


def _run_tests(dg: Path, prefix: Path, pattern: str, env: dict, f) -> str:
    tmp = tempfile.mkdtemp(prefix="dgsuite-")
    f.write(f"=== {pattern}\n")
    f.flush()
    res = subprocess.run([sys.executable, "run_tests.py", f"--prefix={prefix}",
                          f"--tempdir={tmp}", pattern], cwd=dg / "derivgrind" / "diff_tests",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                         errors="replace")
    f.write(res.stdout)
    f.flush()
    shutil.rmtree(tmp, ignore_errors=True)
    return res.stdout


def _results(text: str, out: dict[str, bool]) -> str | None:
    """Collect PASSED/FAILED lines; a test during which run_tests.py crashed (it reads the
    tape evaluation's output without checking that the run succeeded) counts as failed.
    Returns the crashed test's name, if any."""
    for line in text.splitlines():
        m = re.match(r"^[* ] (\S+) : (PASSED|FAILED)$", line)
        if m and not m.group(1).endswith("_interactive"):
            out[m.group(1)] = m.group(2) == "PASSED"
    if "Summary:" in text:
        return None
    started = re.findall(r"regression test '([^']+)'\.\.\.", text)
    if started:
        out[started[-1]] = False
        return started[-1]
    return None


def run_group(dg: Path, prefix: Path, group: str, log: Path,
              whole: bool = False) -> dict[str, bool]:
    """run_tests.py over one group (a fnmatch pattern); {test name: passed}. After a crash
    of run_tests.py the group's remaining tests run one by one."""
    import fnmatch

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"),
                                                      env.get("PYTHONPATH")]))
    env.setdefault("REVAD_PYTHON", sys.executable)
    out: dict[str, bool] = {}
    names = candidates(dg)
    with open(log, "w") as f:
        for pattern in [group] if whole else patterns_of(dg, group):
            crashed = _results(_run_tests(dg, prefix, pattern, env, f), out)
            if crashed is None:
                continue
            rest = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
            rest = rest[rest.index(crashed) + 1:] if crashed in rest else rest
            for name in rest:
                if name not in out:
                    _results(_run_tests(dg, prefix, name, env, f), out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--derivgrind", required=True, type=Path,
                   help="checkout of github.com/SciCompKL/derivgrind (branch derivgrind)")
    p.add_argument("--prefix", type=Path, help="where to build the prefix (default: temp)")
    p.add_argument("--logs", type=Path, default=Path("dgsuite-logs"),
                   help="directory for run_tests.py output per group")
    p.add_argument("--pattern", action="append",
                   help="fnmatch pattern(s) of test names instead of the six amd64 groups, "
                        "e.g. 'bar_amd64_gcc_longdouble_sin*' (must not match an "
                        "interactive test: those wait for a gdb server)")
    args = p.parse_args(argv)
    dg = args.derivgrind.resolve()
    if not (dg / "derivgrind" / "diff_tests" / "run_tests.py").exists():
        p.error(f"{dg}: no derivgrind/diff_tests/run_tests.py (a Derivgrind checkout?)")
    prefix = args.prefix or Path(tempfile.mkdtemp(prefix="dgprefix-"))
    build_prefix(dg, prefix.resolve())
    args.logs.mkdir(parents=True, exist_ok=True)
    results: dict[str, bool] = {}
    for pattern in args.pattern or GROUPS:
        t0 = time.time()
        res = run_group(dg, prefix.resolve(), pattern,
                        args.logs / (re.sub(r"[^A-Za-z0-9_+]", "_", pattern) + ".log"),
                        whole=bool(args.pattern))
        results.update(res)
        print(f"{pattern:28s} {sum(res.values()):5d} passed {len(res) - sum(res.values()):5d} "
              f"failed  ({time.time() - t0:.0f} s)", flush=True)
    failed = sorted(k for k, v in results.items() if not v)
    by_class: dict[str, list[str]] = {}
    for name in failed:
        by_class.setdefault(classify(name), []).append(name)
    print(f"total: {sum(results.values())} of {len(results)} passed")
    for cls in ("march=native", "atan2", "other"):
        names = by_class.get(cls, [])
        print(f"failed, {cls}: {len(names)}")
        if cls == "other":
            for name in names:
                print(f"  {name}")
    return 1 if by_class.get("other") else 0


if __name__ == "__main__":
    sys.exit(main())
