"""Fuzzing with a fixed seed over mutated ELF files and mutated tape files (issue 10).

The driver, `fuzz_cases.py`, runs in a fresh interpreter and runs each case in a forked
child under `resource.setrlimit` (address space over its own, CPU seconds): no case may
print a traceback or "internal error", die of a signal, run out of time, or grow its RSS by
more than 1 GiB. Measured at idle on 2 cores: about 25 s for 60 ELF and 200 tape cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from buildcache import build
from test_errors import cli_env

HERE = Path(__file__).resolve().parent


def test_fuzz_elf_and_tape_files(tmp_path):
    from revad_emu import Emulator

    rec = Emulator(build("ad/arith.c", ("-O2",))).record()
    tape = tmp_path / "arith.npz"
    rec.tape.save(tape)
    work = tmp_path / "cases"
    work.mkdir()
    static = build("run/hello.c", ("-O2",), static=True)
    dynamic = build("run/hello.c", ("-O2",))
    res = subprocess.run([sys.executable, str(HERE / "fuzz_cases.py"), str(work), str(static),
                          str(dynamic), str(tape)], capture_output=True, text=True,
                         env=cli_env(), stdin=subprocess.DEVNULL, timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.splitlines()[-1])
    assert not out["failures"], "\n".join(out["failures"][:10])
    seen = out["seen"]
    # the mutations reach past the first check: some cases load and sweep, most are refused
    assert seen.get("0", 0) >= 20 and seen.get("125", 0) >= 100, seen
    assert out["cpu"] < 90, out  # CPU seconds: independent of the machine's load
