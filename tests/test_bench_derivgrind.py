"""benchmarks/bench_derivgrind.py's revad_emu-only path (no DERIVGRIND_PREFIX) runs end to end
at a tiny size: it builds the Derivgrind-marked programs against revad_emu's compatible
header, records them, checks their gradients and says Derivgrind was skipped. No timing is
asserted (benchmarks report figures; tests do not time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from buildcache import ROOT


def test_bench_derivgrind_without_derivgrind(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DERIVGRIND_PREFIX", "DERIVGRIND_SRC")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    out = tmp_path / "r.json"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_derivgrind.py"),
                          "--repeat", "1", "--loop", "200,1000", "--json", str(out)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Derivgrind skipped" in res.stdout
    assert "start-up, trivial marked program" in res.stdout
    data = json.loads(out.read_text())
    assert data["pass"] and data["derivgrind"] == ""
    loops = [r for r in data["rows"] if r["program"] == "loop"]
    # 5 taped operations per iteration: the slope the benchmark divides by
    assert loops[1]["rv"]["nodes"] - loops[0]["rv"]["nodes"] == 5 * 800
    assert all(c["pass"] for c in data["checks"])
    assert any("finite difference" in c["check"] for c in data["checks"])
