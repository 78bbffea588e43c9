"""Start-up snapshots (startup.py): a run started from the state at `main` is the same run.

Each real program (C dynamic and static, C++ with iostream, Fortran) is recorded cold with the
cache off, then three times with it on (the first notes the key, the second takes the snapshot
on its way, the third starts from it); every run must give bit-identical output, tape,
instruction and system-call counts. Starts that cannot be replayed (output before `main`)
and files that change under a snapshot must make runs start cold again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from buildcache import CACHE, INCLUDE, PROGRAMS, build, have
from revad_emu import Emulator
from revad_emu.cpu import startup

COLUMNS = ("parents", "partials", "values", "addr", "op", "depth", "input_values",
           "output_values")


def _fortran() -> Path:
    moddir = CACHE / "fortran-modules"
    moddir.mkdir(parents=True, exist_ok=True)
    return build(INCLUDE / "revad.f90", ("-O2", f"-J{moddir}"),
                 extra_sources=(str(PROGRAMS / "ad/fortran_arrays.f90"),
                                str(INCLUDE / "revad_fortran.c")))


PROGRAMS_UNDER_TEST = {
    "c-dyn": (lambda: build("ad/arith.c"), ["1.3", "0.7", "2.1"], "gcc"),
    "c-static": (lambda: build("ad/arith.c", static=True), ["1.3", "0.7", "2.1"], "gcc"),
    "cxx-iostream": (lambda: build("startup/cxx_iostream.cc", libs=()), ["0.7"], "g++"),
    "fortran": (_fortran, ["0.3", "-1.1", "2.0", "0.7", "-0.4", "0.25"], "gfortran"),
}


def _assert_same(a, b) -> None:
    assert a.stdout == b.stdout and a.stderr == b.stderr and a.exit_code == b.exit_code
    assert a.fault == b.fault
    assert a.stats["instructions"] == b.stats["instructions"]
    assert a.run_result.syscalls == b.run_result.syscalls
    for c in COLUMNS:
        assert getattr(a.tape, c).tobytes() == getattr(b.tape, c).tobytes(), c
    assert a.tape.inputs == b.tape.inputs and a.tape.outputs == b.tape.outputs
    assert a.tape.meta == b.tape.meta


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.delenv("REVAD_STARTUP_CACHE", raising=False)
    startup.clear()
    before = dict(startup.stats)
    yield before
    startup.clear()


def _delta(before: dict, keys=("hits", "taken", "unsafe")) -> dict:
    return {k: startup.stats[k] - before[k] for k in keys}


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) if k == "cxx-iostream"
                                  else k for k in sorted(PROGRAMS_UNDER_TEST)])
def test_snapshot_start_is_bit_identical(kind, monkeypatch, _fresh_cache):
    make, argv, tool = PROGRAMS_UNDER_TEST[kind]
    if not have(tool):
        pytest.skip(f"{tool} not installed")
    exe = str(make())
    monkeypatch.setenv("REVAD_STARTUP_CACHE", "0")
    cold = Emulator(exe, argv).record()
    cold_plain = Emulator(exe, argv).run()
    assert cold.exit_code == 0 and cold.outputs and cold.inputs
    assert _delta(_fresh_cache) == {"hits": 0, "taken": 0, "unsafe": 0}
    monkeypatch.delenv("REVAD_STARTUP_CACHE")
    runs = [Emulator(exe, argv).record() for _ in range(3)]
    assert _delta(_fresh_cache) == {"hits": 1, "taken": 1, "unsafe": 0}
    for r in runs:
        _assert_same(r, cold)
    # A plain run of the same start uses the same snapshot and prints the same.
    plain = Emulator(exe, argv).run()
    assert _delta(_fresh_cache)["hits"] == 2
    assert (plain.stdout, plain.instructions, plain.syscalls) == \
        (cold_plain.stdout, cold_plain.instructions, cold_plain.syscalls)


def test_other_arguments_are_another_start(_fresh_cache):
    exe = str(build("ad/arith.c"))
    for _ in range(3):
        Emulator(exe, ["1.3", "0.7", "2.1"]).record()
    a = Emulator(exe, ["1.5", "0.7", "2.1"]).record()  # a new key: noted, started cold
    assert _delta(_fresh_cache) == {"hits": 1, "taken": 1, "unsafe": 0}
    b = Emulator(exe, ["1.5", "0.7", "2.1"]).record()
    c = Emulator(exe, ["1.5", "0.7", "2.1"]).record()
    assert _delta(_fresh_cache) == {"hits": 2, "taken": 2, "unsafe": 0}
    _assert_same(b, a)
    _assert_same(c, a)


def test_output_before_main_is_not_replayed(_fresh_cache):
    exe = str(build("startup/ctor_output.c"))
    runs = [Emulator(exe).record() for _ in range(3)]
    assert _delta(_fresh_cache) == {"hits": 0, "taken": 0, "unsafe": 1}
    for r in runs:
        assert r.stdout == b"constructor ran\ny = 3.90625\n"
        _assert_same(r, runs[0])
    assert runs[0].jacobian()[0, 0] == 2 * 2.5 * 1.25


def test_a_library_appearing_where_the_loader_looked_is_seen(tmp_path, _fresh_cache):
    """ld.so probes LD_LIBRARY_PATH before the system directories: a libm put there after
    the snapshot must be loaded by the next run, as a cold run would."""
    exe = str(build("ad/arith.c"))
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(tmp_path)}
    first = [Emulator(exe, ["1.3", "0.7", "2.1"], env).record() for _ in range(3)]
    assert _delta(_fresh_cache) == {"hits": 1, "taken": 1, "unsafe": 0}
    libm = next(m[0] for m in first[0].tape.meta["modules"] if "libm" in m[0])
    shutil.copy(libm, tmp_path / os.path.basename(libm))
    later = Emulator(exe, ["1.3", "0.7", "2.1"], env).record()
    assert _delta(_fresh_cache) == {"hits": 1, "taken": 2, "unsafe": 0}  # taken anew
    paths = [m[0] for m in later.tape.meta["modules"]]
    assert str(tmp_path / os.path.basename(libm)) in paths and libm not in paths
    assert later.stdout == first[0].stdout


def test_check_reruns_start_from_the_snapshot(_fresh_cache):
    exe = str(build("ad/arith.c"))
    rec = Emulator(exe, ["1.3", "0.7", "2.1"]).record()
    res = rec.check()
    assert res.passed
    d = _delta(_fresh_cache)
    assert d["taken"] == 1 and d["hits"] >= 2 * len(rec.inputs) - 1


def test_env_var_turns_it_off(monkeypatch, _fresh_cache):
    monkeypatch.setenv("REVAD_STARTUP_CACHE", "off")
    exe = str(build("ad/arith.c"))
    for _ in range(3):
        Emulator(exe, ["1.3", "0.7", "2.1"]).run()
    assert _delta(_fresh_cache) == {"hits": 0, "taken": 0, "unsafe": 0}


@pytest.mark.slow
def test_disk_cache_across_processes(tmp_path, monkeypatch, _fresh_cache):
    """REVAD_STARTUP_CACHE=disk: the first run saves the start, a later process (here: the
    memory cache emptied) loads it; both equal a cold run. A damaged file is ignored."""
    exe = str(build("startup/cxx_iostream.cc", libs=()))
    monkeypatch.setenv("REVAD_STARTUP_CACHE", "0")
    cold = Emulator(exe, ["0.7"]).record()
    monkeypatch.setenv("REVAD_STARTUP_CACHE", "disk")
    monkeypatch.setenv("REVAD_STARTUP_CACHE_DIR", str(tmp_path / "c"))
    first = Emulator(exe, ["0.7"]).record()
    files = list((tmp_path / "c").glob("*.pickle"))
    assert len(files) == 1 and _delta(_fresh_cache)["taken"] == 1
    assert (tmp_path / "c").stat().st_mode & 0o077 == 0
    startup.clear()
    second = Emulator(exe, ["0.7"]).record()
    d = _delta(_fresh_cache, ("loaded", "hits", "taken"))
    assert d["loaded"] == 1 and d["hits"] == 1 and d["taken"] == 1
    _assert_same(first, cold)
    _assert_same(second, cold)
    files[0].write_bytes(b"not a pickle")
    startup.clear()
    third = Emulator(exe, ["0.7"]).record()
    assert _delta(_fresh_cache)["taken"] == 2  # taken (and saved) anew
    _assert_same(third, cold)
    startup.clear()
    Emulator(exe, ["0.7"]).record()
    assert _delta(_fresh_cache, ("loaded",))["loaded"] == 2


def test_cli_with_disk_cache_gives_the_same_tape(tmp_path):
    import subprocess
    import sys

    import numpy as np

    exe = str(build("ad/arith.c"))
    env = {**os.environ, "REVAD_STARTUP_CACHE": "disk",
           "REVAD_STARTUP_CACHE_DIR": str(tmp_path / "c")}
    outs = []
    for i in range(2):
        tape = tmp_path / f"t{i}.npz"
        r = subprocess.run([sys.executable, "-m", "revad_emu", "-q", "--tape", str(tape), exe,
                            "1.3", "0.7", "2.1"], env=env, capture_output=True)
        assert r.returncode == 0, r.stderr
        outs.append((r.stdout, dict(np.load(tape))))
        (saved,) = (tmp_path / "c").glob("*.pickle")
        stamp = saved.stat().st_mtime_ns
        if i == 0:
            first_stamp = stamp
    assert stamp == first_stamp  # the second process loaded the file, did not take anew
    assert outs[0][0] == outs[1][0]
    a, b = outs[0][1], outs[1][1]
    assert a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a)


def test_library_images_start_from_the_snapshot(tmp_path, monkeypatch, _fresh_cache):
    """image.start goes through the same cache: a library loaded again (closed, or in a new
    process with the disk cache) skips ld.so and its constructors and computes the same."""
    import numpy as np

    import revad_emu as rv

    so = str(build("funcs/funcs.c", ("-O2", "-shared", "-fPIC")))
    # An earlier test in this process may have left this library's image open: rv.load
    # would share it without going through the cache being tested.
    from revad_emu.functions import library

    with library._IMAGES_LOCK:
        for k in [k for k in library._IMAGES if k[0] == os.path.realpath(so)]:
            del library._IMAGES[k]
    x = np.array([0.5, -1.25, 2.0])
    values = []
    for _ in range(3):
        lib = rv.load(so)
        f = lib.function("energy", "double energy(const double *x, int n)")
        values.append((f(x, 3), rv.grad(f)(x, 3)))
        lib.close()
    assert _delta(_fresh_cache) == {"hits": 1, "taken": 1, "unsafe": 0}
    for v, g in values:
        assert v == values[0][0] == float(np.sum(x * x))
        assert np.array_equal(g, 2 * x)
    monkeypatch.setenv("REVAD_STARTUP_CACHE", "disk")
    monkeypatch.setenv("REVAD_STARTUP_CACHE_DIR", str(tmp_path))
    startup.clear()
    rv.load(so).close()          # taken and saved
    startup.clear()
    lib = rv.load(so)            # loaded from disk
    f = lib.function("energy", "double energy(const double *x, int n)")
    assert f(x, 3) == values[0][0] and np.array_equal(rv.grad(f)(x, 3), 2 * x)
    lib.close()
    assert _delta(_fresh_cache, ("loaded",))["loaded"] == 1
