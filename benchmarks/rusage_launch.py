"""Run a command and write its own CPU seconds, wall seconds, peak RSS and exit status as JSON.

    python benchmarks/rusage_launch.py RESULT.json CMD [ARGS...]

Why a separate small process: Linux keeps a process's peak RSS (ru_maxrss) across exec, and a
forked child starts with its parent's resident pages, so a command started directly from a
benchmark that holds large arrays would report the benchmark's memory as its own. Started
from this launcher (a bare interpreter importing nothing heavy), a command's figure is its
own plus at most the launcher's ~10 MB. stdin, stdout and stderr are passed through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    result, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(result, "w") as f:
        json.dump({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
                   "rc": p.returncode}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
