"""README and notebooks stay true: every README command runs as written on README's own
example, and the notebooks in examples/ run top to bottom headless (nbclient).

Commands that cannot run inside the test suite are listed in NOT_RUN with the reason; the
test fails if README gains a command that is neither run nor listed, so nothing is skipped
silently.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest

from buildcache import ROOT

README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"

NOT_RUN = {
    "pip install -e '.[test]'": "installs the package; the tests run from the source tree",
    "python -m pytest -q": "the test suite itself",
    "python benchmarks/bench_run.py": "a benchmark (minutes); see docs/performance.md",
    "python benchmarks/bench_record.py": "a benchmark (minutes)",
    "python benchmarks/bench_libm.py": "a benchmark (minutes)",
    "python benchmarks/bench_sweep.py": "a benchmark (minutes)",
    "python benchmarks/bench_call.py": "a benchmark (minutes)",
    "python benchmarks/bench_avx.py": "a benchmark (minutes)",
    "python benchmarks/bench_scaling.py": "a benchmark (minutes)",
    "python benchmarks/bench_bigtape.py": "a benchmark (minutes, gigabytes of spill files)",
    "python benchmarks/bench_startup.py": "a benchmark (minutes)",
    "python benchmarks/bench_x87.py": "a benchmark (minutes)",
    "python benchmarks/bench_derivgrind.py": "a benchmark (minutes; Derivgrind optional)",
}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(), re.M | re.S)


def commands() -> list[str]:
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.strip():
                out.append(line.strip())
    return out


def _bare(cmd: str) -> str:
    """The command without its trailing comment (for matching NOT_RUN)."""
    return re.sub(r"\s+#.*$", "", cmd)


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), e.get("PYTHONPATH")]))
    return e


def test_readme_program_is_examples_first_c():
    """The complete program shown in README is the file the README commands compile."""
    first, *others = [b for b in blocks("c") if "int main" in b]
    assert first == (EXAMPLES / "first.c").read_text()
    assert len(first.splitlines()) <= 15
    # every other complete program is a file of examples/ too, so its commands can run
    files = {p.read_text() for p in EXAMPLES.glob("*.c")}
    assert all(b in files for b in others)


def test_readme_lists_every_command_it_does_not_run():
    cmds = [_bare(c) for c in commands()]
    for cmd in NOT_RUN:
        assert cmd in cmds, f"NOT_RUN names {cmd!r}, which README no longer has"
    assert "python -m revad_emu --from-tape run.npz --jvp 0,1 | --jacobian" not in cmds


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    """Run each README shell command in order, in a scratch directory that sees the
    repository's examples/ and build/, then the README's Python block."""
    (tmp_path / "examples").symlink_to(EXAMPLES)
    (ROOT / "build").mkdir(exist_ok=True)
    (tmp_path / "build").symlink_to(ROOT / "build")
    ran = []
    for cmd in commands():
        if _bare(cmd) in NOT_RUN:
            continue
        res = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env(), capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert res.returncode == 0, f"README command failed: {cmd}\n{res.stdout}\n{res.stderr}"
        assert "Traceback" not in res.stderr, (cmd, res.stderr)
        ran.append((cmd, res))
    assert len(ran) >= 15
    by_start = {cmd.split("#")[0].strip(): res for cmd, res in ran}
    # The results agree with each other: the JSON report, the saved tape's vjp/jvp, csv.
    report = json.loads((tmp_path / "report.json").read_text())
    J = report["jacobian"]
    assert [o["name"] for o in report["outputs"]] == ["y", "z[0]", "z[1]"]
    vjp = by_start["python -m revad_emu --from-tape run.npz --vjp 1,0,0"].stdout
    got = [float(line.split("=")[1]) for line in vjp.strip().splitlines()]
    assert got == pytest.approx(J[0], rel=1e-15)
    jvp = by_start["python -m revad_emu --from-tape run.npz --jvp 0,1,0"].stdout
    assert [float(line.split("=")[1]) for line in jvp.strip().splitlines()] == \
        pytest.approx([row[1] for row in J], rel=1e-15)
    first = by_start["python -m revad_emu build/examples/first"]
    assert first.stdout.startswith("y = 3.33333") and "d/d v[1]" in first.stderr
    explain = by_start["python -m revad_emu --explain build/examples/example 1.5 2.0"].stderr
    assert "example.c:19" in explain and "sqrtsd" in explain
    assert (tmp_path / "tape.svg").stat().st_size > 1000
    assert (tmp_path / "dgtape" / "dg-tape").stat().st_size == 32 * (report["stats"][
        "tape_nodes"] + 1)
    out = {}
    for py_block in blocks("python"):  # each Python block, in README order
        res = subprocess.run([sys.executable, "-c", py_block], cwd=tmp_path, env=env(),
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, f"README Python block failed:\n{py_block}\n{res.stderr}"
        out[py_block] = res.stdout
    (main_block,) = [b for b in out if "rec.check()" in b]
    assert "check: PASSED" in out[main_block] and "example.c:19" in out[main_block]
    (outside,) = [b for b in out if "parsed" in b]
    assert "parsed[0]=0.25 (argv[1])" in out[outside]
    (calls,) = [b for b in out if "rv.load" in b]
    energy = 0.0  # examples/physics.c's loop, in its order
    for xi in (1.0, 2.0):
        energy += 0.5 * xi * xi + 0.1 * math.cos(3.0 * xi)
    assert out[calls].splitlines()[0] == repr(energy)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["binary_ad_in_ten_minutes.ipynb", "your_own_program.ipynb"])
def test_notebook_runs_headless(name, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    monkeypatch.setenv("PYTHONPATH", env()["PYTHONPATH"])
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError on any failing cell (the asserts included)
    images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                 if "image/png" in o.get("data", {}))
    assert images >= 3, "the notebook's plots were not drawn"
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("<table>" in h for h in html), "no rich table was displayed"


@pytest.mark.slow
def test_functions_notebook_runs_headless(monkeypatch):
    """examples/functions.ipynb (issue 12's notebook) runs top to bottom, and its gradient
    matches the analytic one it prints a check of."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", env()["PYTHONPATH"])
    nb = nbformat.read(EXAMPLES / "functions.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "True\n" in text  # np.allclose(grad, x - 0.3 sin(3x))
