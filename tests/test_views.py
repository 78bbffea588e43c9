"""The teaching views on real binaries: explain, to_dot/graph, by_line, check, trace, notebook
display, the public Tape API, and the CLI options built on them.

The program `views/poly.c` computes f = sin(p0) * (p0² + p1² + p2²) and g = exp(p1 - p2),
so every number a view shows can be checked against calculus; it is built at -O0 and -O2,
static and dynamic, with and without debug information (libm calls must be named either
way, source lines only with DWARF). `views/bittrick.c` hides a dependence in integer
arithmetic on a double's bits: the recorded Jacobian is wrong there, and check() must say so.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from buildcache import CACHE, ROOT, build

try:
    import revad_emu  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

import revad_emu  # noqa: E402
from revad_emu import Emulator, Recording, Tape  # noqa: E402
from revad_emu.views.graphwalk import adjoints, needed  # noqa: E402

P = (0.5, 1.5, 2.5)
ARGV = [str(v) for v in P]

VARIANTS = {  # name: (flags, static, debug info)
    "O0-dyn": (("-O0",), False, True),
    "O2-dyn": (("-O2",), False, True),
    "O2-static": (("-O2",), True, True),
    "O0-static-nodebug": (("-O0",), True, False),
    "O2-dyn-nodebug": (("-O2",), False, False),
}


def analytic():
    p0, p1, p2 = P
    s = p0 * p0 + p1 * p1 + p2 * p2
    f, g = math.sin(p0) * s, math.exp(p1 - p2)
    J = np.array([[math.cos(p0) * s + math.sin(p0) * 2 * p0, math.sin(p0) * 2 * p1,
                   math.sin(p0) * 2 * p2],
                  [0.0, g, -g]])
    return f, g, J


def binary(source: str, variant: str) -> Path:
    flags, static, debug = VARIANTS[variant]
    exe = build(f"views/{source}", flags, static=static)
    if debug:
        return exe
    stripped = CACHE / (exe.name + "-nodebug")
    if not stripped.exists():
        tmp = stripped.with_suffix(f".tmp{os.getpid()}")
        subprocess.run(["objcopy", "--strip-debug", str(exe), str(tmp)], check=True)
        os.replace(tmp, stripped)
    return stripped


_RECS: dict[tuple[str, str], Recording] = {}


def record(source: str, variant: str, argv=ARGV) -> Recording:
    key = (source, variant)
    if key not in _RECS:
        _RECS[key] = Emulator(binary(source, variant), argv=argv).record()
    return _RECS[key]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "revad_emu", *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=timeout)


# --------------------------------------------------------------------------- explain

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_explain_rows_name_instructions_lines_and_libm_calls(variant):
    rec = record("poly.c", variant)
    f, g, J = analytic()
    np.testing.assert_allclose(rec.jacobian(), J, rtol=1e-13)
    ex = rec.explain()
    tape = rec.tape
    keep = needed(tape)
    assert [r["node"] for r in ex.rows] == [int(k) for k in np.nonzero(keep)[0]]
    # printf's |f| and |g| (formatting in libc) are recorded but no output needs them.
    assert ex.hidden == len(tape) - 1 - len(ex.rows) and ex.hidden >= 2
    assert len(rec.explain(all=True).rows) == len(tape) - 1
    debug = VARIANTS[variant][2]
    for r in ex.rows:
        k = r["node"]
        assert r["value"] == tape.values[k]
        assert r["parents"] == [p for p in tape.parents[k].tolist() if p]
        if r["op"] == "input":
            assert r["mark"].startswith("input p[")
            continue
        assert int(r["address"], 16) == tape.addr[k]
        assert r["function"].startswith("main+0x"), r
        assert r["disasm"], r
        assert (r["line"].startswith("poly.c:") if debug else r["line"] == ""), r
    ops = {r["op"]: r for r in ex.rows}
    assert ops["libm:sin"]["disasm"] == "call sin@plt" or (
        VARIANTS[variant][1] and ops["libm:sin"]["disasm"] in ("call sin", "call sin@plt"))
    assert ops["libm:exp"]["disasm"] in ("call exp@plt", "call exp")
    if not VARIANTS[variant][1]:
        assert ops["libm:exp"]["disasm"] == "call exp@plt"
    assert ops["libm:sin"]["partials"] == [pytest.approx(math.cos(P[0]), rel=1e-15)]
    assert ops["libm:exp"]["mark"] == "output g" and ops["libm:exp"]["value"] == g
    if debug:  # sin(p[0]) is on line 18, exp(...) on line 19 of poly.c
        assert ops["libm:sin"]["line"] == "poly.c:18"
        assert ops["libm:exp"]["line"] == "poly.c:19"
    text = str(ex)
    assert text.splitlines()[0].split()[:5] == ["node", "op", "value", "parents", "partials"]
    assert f"{ex.hidden} node(s) that no output depends on are hidden" in text
    assert "<table>" in ex._repr_html_() and "call exp" in ex._repr_html_()


def test_explain_adjoints_and_ranges():
    rec = record("poly.c", "O2-dyn")
    J = rec.jacobian()
    for k in range(2):
        ex = rec.explain(output=k)
        adj = {r["node"]: r["adjoint"] for r in ex.rows}
        for j, (_name, node) in enumerate(rec.tape.inputs):
            assert adj.get(node, 0.0) == pytest.approx(J[k, j], rel=1e-14)
        out_node = rec.tape.outputs[k][1]
        assert adj[out_node] == 1.0
    # g depends on p1, p2, their difference and exp only.
    assert [r["op"] for r in rec.explain(output=1).rows] == ["input", "input", "sub", "libm:exp"]
    part = rec.explain(nodes=range(4, 8), all=True)
    assert [r["node"] for r in part.rows] == [4, 5, 6, 7]
    assert [r["node"] for r in rec.explain(nodes=slice(1, 3)).rows] == [1, 2]
    short = rec.explain(limit=3)
    assert len(short.rows) == 3 and short.cut == len(rec.explain().rows) - 3
    assert f"{short.cut} more row(s) beyond the limit" in str(short)


# --------------------------------------------------------------------------- DOT / graph

def parse_dot(text: str):
    """Nodes (name → label), edges (src, dst, label) and clusters (label → members), with
    pydot when it is installed, else with a parser for the subset to_dot writes."""
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is not None:
        (g,) = pydot.graph_from_dot_data(text)
        nodes = {n.get_name(): (n.get_label() or "").strip('"') for n in g.get_nodes()
                 if n.get_name() not in ("node", "edge")}
        edges = [(e.get_source(), e.get_destination(), (e.get_label() or "").strip('"'))
                 for e in g.get_edges()]
        clusters = {}
        for sg in g.get_subgraphs():
            clusters[sg.get_label().strip('"')] = {n.get_name() for n in sg.get_nodes()}
            for n in sg.get_nodes():
                nodes.setdefault(n.get_name(), "")
        return nodes, edges, clusters
    nodes = dict(re.findall(r'^\s*(\w+) \[shape=.*?label="((?:[^"\\]|\\.)*)"', text, re.M))
    edges = [(a, b, lab) for a, b, lab in
             re.findall(r'^\s*(\w+) -> (\w+) \[(?:label="([^"]*)")?', text, re.M)]
    clusters = {lab: set(re.findall(r"(\w+);", members)) for lab, members in
                re.findall(r'subgraph \w+ \{ label="([^"]*)";[^;]*;[^;]*;(.*)\}', text)}
    return nodes, edges, clusters


@pytest.mark.parametrize("variant", ["O0-dyn", "O2-static", "O2-dyn-nodebug"])
def test_to_dot_has_the_tape_nodes_and_edges(variant):
    rec = record("poly.c", variant)
    tape = rec.tape
    nodes, edges, clusters = parse_dot(rec.to_dot())
    want = {int(k) for k in np.nonzero(needed(tape))[0]}
    assert {n for n in nodes if n.startswith("n")} == {f"n{k}" for k in want}
    assert {n for n in nodes if n.startswith("out")} == {"out0", "out1"}
    got = sorted((a, b, float(lab)) for a, b, lab in edges if not b.startswith("out"))
    expect = sorted((f"n{p}", f"n{k}", float(f"{d:.6g}")) for k in want
                    for p, d in zip(tape.parents[k].tolist(), tape.partials[k].tolist(),
                                    strict=True) if p)
    assert got == expect
    outs = {(a, b) for a, b, _ in edges if b.startswith("out")}
    assert outs == {(f"n{tape.outputs[0][1]}", "out0"), (f"n{tape.outputs[1][1]}", "out1")}
    assert "p[0] = 0.5" in nodes["n1"].replace("\\n", "\n")
    if VARIANTS[variant][2]:
        assert set(clusters) <= {"poly.c:17", "poly.c:18", "poly.c:19"}
        assert f"n{tape.outputs[1][1]}" in clusters["poly.c:19"]
    else:  # without line information, clusters are functions
        assert set(clusters) == {"main"}


def test_graph_draws_with_matplotlib_or_graphviz(tmp_path):
    pytest.importorskip("matplotlib")
    rec = record("poly.c", "O2-dyn")
    fig = rec.graph()
    if hasattr(fig, "savefig"):
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert any(t.startswith("n13 libm:exp") or "libm:exp" in t for t in texts)
        assert any(t.startswith("p[0] = 0.5") for t in texts)
    else:  # graphviz.Source
        assert "libm:exp" in fig.source
    from revad_emu.views.dot import write_graph

    for name in ("t.svg", "t.png", "t.dot"):
        write_graph(rec, str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 100
    assert (tmp_path / "t.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- by_line

@pytest.mark.parametrize("variant", ["O2-dyn", "O0-static", "O2-dyn-nodebug"])
def test_by_line_sums_adjoint_times_partial(variant):
    if variant == "O0-static":
        variant = "O0-static-nodebug"
        debug = False
    else:
        debug = VARIANTS[variant][2]
    rec = record("poly.c", variant)
    f, g, J = analytic()
    m = rec.by_line(output=1)
    # g = exp(p1 - p2): the sub node (partials 1, -1, adjoint g) and the exp node (partial
    # g, adjoint 1) contribute g + g + g; nothing else.
    top = m.rows[0]
    assert top["contribution"] == pytest.approx(3 * g, rel=1e-14)
    assert top["where"] == ("poly.c:19" if debug else "main")
    assert sum(r["contribution"] for r in m.rows[1:]) == 0.0
    assert sum(r["nodes"] for r in m.rows) == sum(1 for a in rec.tape.addr[1:] if a)
    # output f: the contributions equal an independent sum over the tape.
    a = adjoints(rec.tape, 0)
    total = sum(abs(a[k] * d) for k in range(1, len(rec.tape))
                for p, d in zip(rec.tape.parents[k], rec.tape.partials[k], strict=True) if p)
    assert sum(r["contribution"] for r in rec.by_line(0).rows) == pytest.approx(total)
    assert "<table>" in m._repr_html_() and "contribution" in str(m)


# --------------------------------------------------------------------------- check

@pytest.mark.parametrize("variant", ["O2-dyn", "O0-static-nodebug"])
def test_check_passes_on_a_correct_program(variant):
    res = record("poly.c", variant).check()
    assert res.passed, str(res)
    assert [r["input"] for r in res.rows] == ["p[0]", "p[1]", "p[2]"]
    assert all(r["max_rel_error"] < 1e-7 for r in res.rows)
    np.testing.assert_allclose(res.fd, analytic()[2], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("flags", [("-O0",), ("-O2",)])
def test_check_flags_a_bit_trick(flags):
    exe = build("views/bittrick.c", flags)
    rec = Emulator(exe, argv=["3.0"]).record()
    assert len(rec.warnings) == 1, rec.warnings  # one origin, two uses: grouped
    assert "bit trick" in rec.warnings[0] and "bittrick.c:17" in rec.warnings[0]
    assert "used by 2 instructions" in rec.warnings[0]
    assert rec.jacobian()[0, 0] == 1.0  # the guess's dependence on x is lost
    res = rec.check()
    assert not res.passed and not bool(res)
    # The piecewise-linear guess has slope -0.125 near x = 3 (bits: one exponent range).
    assert res.fd[0, 0] == pytest.approx(0.875, rel=1e-6)
    # z = g * x: the lost part is x * g'(x) = 3 * -0.125.
    assert res.rows[0]["max_abs_error"] == pytest.approx(0.375, rel=1e-5)
    assert res.rows[0]["worst_output"] == "z"
    assert "FAILED" in str(res) and "NO" in str(res)


# --------------------------------------------------------------------------- display, Tape

def test_notebook_display_and_frame():
    rec = record("poly.c", "O2-dyn")
    from IPython.lib.pretty import pretty

    text = pretty(rec)
    assert "Jacobian" in text and "p[0]" in text and "f = " in text
    html = rec._repr_html_()
    J = rec.jacobian()
    for name in ("p[0]", "p[2]", "f", "g"):
        assert f"{name}" in html
    assert f"{J[0, 0]:.7g}" in html
    assert "Recording(3 inputs, 2 outputs" in repr(rec)
    pd = pytest.importorskip("pandas")
    df = rec.jacobian_frame()
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == ["f", "g"] and list(df.columns) == ["p[0]", "p[1]", "p[2]"]
    assert df.loc["g", "p[2]"] == J[1, 2]


def test_public_tape_api(tmp_path):
    rec = record("poly.c", "O2-static")
    path = tmp_path / "run.npz"
    rec.tape.save(path)
    assert revad_emu.Tape is Tape
    t = Tape.load(path)
    J = rec.jacobian()
    np.testing.assert_array_equal(t.jacobian(), J)
    np.testing.assert_array_equal(t.vjp([0.0, 1.0]), J[1])
    np.testing.assert_array_equal(t.jvp([1.0, 0.0, 0.0]), J[:, 0])
    np.testing.assert_array_equal(t.gradient(0), J[0])
    st = t.stats()
    assert st["nodes"] == len(t) - 1 and st["ops"]["libm:sin"] == 1
    assert sum(st["depth_histogram"]) == st["nodes"] and st["bytes"] > 0
    # A loaded tape still knows where its nodes came from (module list in its metadata).
    rows = t.explain().rows
    assert any(r["disasm"] == "call exp" for r in rows)
    assert "Tape" in t._repr_html_()
    r2 = Recording.load(path)
    assert r2.inputs == rec.inputs and r2.outputs == rec.outputs
    np.testing.assert_array_equal(r2.jacobian(), J)
    assert r2.warnings == rec.warnings
    with pytest.raises(revad_emu.RevadError, match="re-run"):
        r2.check()


def test_progress_callable_and_bar(capsys):
    exe = build("views/poly.c", ("-O2",))
    calls = []
    rec = Emulator(exe, argv=ARGV).record(progress=lambda n, s: calls.append(n))
    assert rec.outputs[0][1] == pytest.approx(analytic()[0])
    assert calls == sorted(calls)  # ticks are rare on a short run; never decreasing
    rec = Emulator(exe, argv=ARGV).record(progress=True)
    np.testing.assert_allclose(rec.jacobian(), analytic()[2], rtol=1e-13)
    from revad_emu.views.progress import ProgressBar

    bar = ProgressBar(delay=0.0, notebook=False, file=sys.stderr)
    bar.nodes = lambda: 11
    bar(2_000_000, 1.0)
    bar.clear()
    bar.close()
    err = capsys.readouterr().err
    assert "10 tape nodes" in err and "2.00M instructions" in err and "2.00 M/s" in err


# --------------------------------------------------------------------------- CLI

def test_cli_explain_graph_trace(tmp_path):
    exe = build("views/poly.c", ("-O2",))
    res = cli("-q", "--explain", str(exe), *ARGV)
    assert res.returncode == 0, res.stderr
    assert [float(v) for v in res.stdout.split()] == pytest.approx(analytic()[:2], rel=1e-15)
    assert "call exp@plt" in res.stderr and "poly.c:19" in res.stderr
    assert "d/d" not in res.stderr  # -q: no Jacobian table
    out = tmp_path / "ex.txt"
    dot = tmp_path / "g.dot"
    res = cli("-q", f"--explain={out}", "--graph", str(dot), str(exe), *ARGV)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "call sin@plt" in out.read_text()
    nodes, edges, _ = parse_dot(dot.read_text())
    assert "out1" in nodes and len(edges) > 10
    res = cli("-q", "--trace", str(exe), *ARGV)
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("[trace] n")]
    rec = record("poly.c", "O2-dyn")
    assert len(lines) == len(rec.tape) - 1
    exp_line = next(ln for ln in lines if " libm:exp " in ln)
    assert f"= {analytic()[1]!r}" in exp_line and "call exp@plt" in exp_line


def test_cli_trace_forward_mode_tangents():
    """Derivgrind's forward mode: --dg-mode d; the trace shows tangents from its seeds."""
    exe = build("views/poly.c", ("-O2",))
    res = cli("-q", "--trace", "--dg-mode", "d", str(exe), *ARGV)
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("[trace] n")]
    assert all("tangent" in ln for ln in lines)
    # No DG seeds: direction (1, 1, 1); g = exp(p1 - p2) has tangent g * (1 - 1) = 0.
    exp_line = next(ln for ln in lines if " libm:exp " in ln)
    assert "tangent 0 " in exp_line or "tangent 0.0" in exp_line


def test_cli_version_help_notes(tmp_path):
    res = cli("--version")
    assert res.returncode == 0
    assert re.match(r"revad-emu \S+ \(unicorn 2\.1\.4, capstone \S+; compiled hot path: ",
                    res.stdout), res.stdout
    res = cli("--help")
    assert "options go before PROG" in res.stdout and "exit status" in res.stdout
    assert "--from-tape run.npz --jvp" in res.stdout
    hello = build("run/hello.c", ("-O2",))
    res = cli(str(hello))
    assert res.returncode == 0
    assert res.stderr.strip() == ("revad-emu: note: the program reached no "
                                  "REVAD_INPUT/REVAD_OUTPUT marks; nothing to differentiate")
    assert cli("-q", str(hello)).stderr == ""
    crash = build("run/null_deref.c", ("-O2",))
    res = cli(str(crash))
    assert res.returncode == 139 and "mark" not in res.stderr.lower()
    crash = build("views/crash_after_input.c", ("-O2",))
    for extra in ([], ["--tape", str(tmp_path / "c.npz")]):
        res = cli(*extra, str(crash))
        assert res.returncode == 139, res.stderr
        assert "invalid memory access" in res.stderr
        assert "mark" not in res.stderr.lower() and "REVAD_" not in res.stderr, res.stderr


def test_cli_formats_and_from_tape(tmp_path):
    exe = build("views/poly.c", ("-O2",))
    J = analytic()[2]
    rj, rc, tape = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "t.npz"
    assert cli("-q", "--format", "json", "-o", str(rj), "--tape", str(tape), str(exe),
               *ARGV).returncode == 0
    text = rj.read_text()
    data = json.loads(text)
    np.testing.assert_allclose(data["jacobian"], J, rtol=1e-13)
    jac_lines = [ln for ln in text.splitlines() if ln.strip().startswith("[") and "," in ln]
    assert len(jac_lines) == 2  # each Jacobian row on one line
    assert cli("-q", "--format", "csv", "-o", str(rc), str(exe), *ARGV).returncode == 0
    rows = [ln.split(",") for ln in rc.read_text().splitlines()]
    assert rows[0] == ["output", "value", "p[0]", "p[1]", "p[2]"]
    assert rows[1][0] == "(input value)"
    assert [r[0] for r in rows[2:]] == ["f", "g"]
    np.testing.assert_allclose([[float(x) for x in r[2:]] for r in rows[2:]], J, rtol=1e-13)
    res = cli("--from-tape", str(tape), "--vjp", "0,1")
    assert res.returncode == 0, res.stderr
    got = dict(ln.split(" = ") for ln in res.stdout.strip().splitlines())
    assert [k.strip() for k in got] == ["d/d p[0]", "d/d p[1]", "d/d p[2]"]
    np.testing.assert_allclose([float(v) for v in got.values()], J[1], rtol=1e-13)
    res = cli("--from-tape", str(tape), "--jvp", "1,0,0")
    got = dict(ln.split(" = ") for ln in res.stdout.strip().splitlines())
    assert [k.strip() for k in got] == ["f", "g"]
    res = cli("--from-tape", str(tape), "--jacobian", "--format", "json")
    data = json.loads(res.stdout)
    assert data["inputs"] == ["p[0]", "p[1]", "p[2]"] and data["outputs"] == ["f", "g"]
    np.testing.assert_allclose(data["jacobian"], J, rtol=1e-13)


@pytest.mark.skipif(shutil.which("objcopy") is None, reason="objcopy (binutils) missing")
def test_nodebug_binary_really_has_no_lines():
    exe = binary("poly.c", "O2-dyn-nodebug")
    from revad_emu.loading.elf import read_elf

    assert read_elf(exe).lines.lookup(0x1000) is None


@pytest.mark.slow
def test_cli_progress_on_a_terminal_never_garbles_program_output():
    """On a terminal the bar appears after a second and is erased before every write of
    the program, so each program line starts on a clean line and stays whole."""
    import pty

    exe = build("views/chatty.c", ("-O2",))
    master, slave = pty.openpty()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "revad_emu", str(exe)], stdin=slave,
                            stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    assert proc.wait(timeout=300) == 0
    os.close(master)
    text = out.decode()
    assert "recording:" in text and "tape nodes" in text  # the bar was shown
    for k in range(5):
        for line in (f"line {k} from the program\r\n", f"out {k}\r\n"):
            i = text.index(line)
            assert i == 0 or text[i - 1] in "\r\n", repr(text[max(0, i - 80):i + 30])
    # After the last erase, the report starts on a clean line.
    assert re.search(r"(^|[\r\n])revad-emu: 1 output", text), text[-500:]
