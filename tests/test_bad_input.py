"""Bad input gets one clear line (issue 10, items 9-13): damaged tape files, size bombs,
non-UTF-8 bytes, execve limits, output paths, and wrong values given to the Python API.

CLI contract checked here: status 2 for usage errors (found before anything runs), 125 for
a tape file that is not a valid tape, 126 for E2BIG; one `revad-emu: error:` line, never a
traceback or "internal error". Most CLI checks call `cli.main` in-process (an exception
escaping it fails the test just as a traceback would); a few run the real command.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from buildcache import ROOT, build
from test_errors import cli, cli_env, one_error_line

try:
    import revad_emu  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

from revad_emu import Emulator  # noqa: E402
from revad_emu.ad import sweep
from revad_emu.ad.tape import Tape  # noqa: E402
from revad_emu.cli import main  # noqa: E402
from revad_emu.errors import ArgumentListTooLong, ElfError, TapeError  # noqa: E402


def run_main(capsys, *args: str) -> tuple[int, str]:
    """cli.main in-process: its status and its single stderr line."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("revad-emu: error:"), lines[0]
    return code, lines[0]


@pytest.fixture(scope="module")
def arith() -> Path:
    return build("ad/arith.c", ("-O2",))


@pytest.fixture(scope="module")
def hello() -> Path:
    return build("run/hello.c", ("-O2",), static=True)


@pytest.fixture(scope="module")
def tape_file(tmp_path_factory, arith) -> Path:
    """A real tape: arith.c recorded (3 inputs, 6 outputs)."""
    path = tmp_path_factory.mktemp("tape") / "arith.npz"
    rec = Emulator(arith).record()
    assert len(rec.inputs) == 3 and len(rec.outputs) == 6
    rec.tape.save(path)
    return path


def arrays_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def write_npz(path: Path, arrays: dict[str, np.ndarray], compressed: bool = False) -> Path:
    with open(path, "wb") as f:
        (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return path


def with_header(arrays: dict, **changes) -> dict:
    header = json.loads(str(arrays["header"]))
    header.update(changes)
    return {**arrays, "header": np.array(json.dumps(header))}


# --- item 9: a broken --from-tape file --------------------------------------------------

def _corrupt(kind: str, good: Path, out: Path) -> Path:
    a = arrays_of(good)
    n = len(a["parents"])
    raw = good.read_bytes()
    if kind == "npy-named-npz":
        with open(out, "wb") as f:
            np.save(f, a["values"])
    elif kind == "empty":
        out.write_bytes(b"")
    elif kind == "truncated-zip":
        out.write_bytes(raw[: len(raw) // 2])
    elif kind == "header-inputs-int":
        write_npz(out, with_header(a, inputs=5))
    elif kind == "header-not-json":
        write_npz(out, {**a, "header": np.array("{not json")})
    elif kind == "header-deep-json":
        write_npz(out, {**a, "header": np.array("[" * 100000 + "]" * 100000)})
    elif kind == "header-version":
        write_npz(out, with_header(a, version="1"))
    elif kind == "header-mark-name":
        write_npz(out, with_header(a, outputs=[[3, 1]]))
    elif kind == "short-ops":
        write_npz(out, with_header(a, ops=["passive", "input"]))
    elif kind == "bad-op-code":
        op = a["op"].copy()
        op[n - 1] = 60000
        write_npz(out, {**a, "op": op})
    elif kind == "index-2^63":
        parents = a["parents"].astype(np.uint64)
        parents[n - 1, 0] = 2**63 + 5
        write_npz(out, {**a, "parents": parents})
    elif kind == "parent-after-child":
        parents = a["parents"].copy()
        parents[n - 2, 1] = n - 1
        write_npz(out, {**a, "parents": parents})
    elif kind == "mark-out-of-range":
        outputs = json.loads(str(a["header"]))["outputs"]
        outputs[0][1] = n + 7
        write_npz(out, with_header(a, outputs=outputs))
    elif kind == "short-values":
        write_npz(out, {**a, "values": a["values"][:-1]})
    elif kind == "float-parents":
        write_npz(out, {**a, "parents": a["parents"].astype(np.float64)})
    elif kind == "missing-entry":
        write_npz(out, {k: v for k, v in a.items() if k != "depth"})
    elif kind == "bad-crc":
        buf = bytearray(raw)
        i = raw.index(a["partials"][-3:].tobytes())  # flip a byte inside a stored entry
        buf[i + 3] ^= 0xFF
        out.write_bytes(bytes(buf))
    elif kind == "shape-lies":
        buf = bytearray(raw)
        i = raw.index(b"'shape': (%d," % n)
        buf[i:i + len(b"'shape': (%d," % n)] = b"'shape': (%d," % (n + 1)  # same length if n<9
        out.write_bytes(bytes(buf))
    else:
        raise AssertionError(kind)
    return out


CORRUPTIONS = {  # kind -> words the one error line must contain
    "npy-named-npz": ".npy", "empty": "empty", "truncated-zip": "zip",
    "header-inputs-int": "inputs", "header-not-json": "JSON", "header-deep-json": "JSON",
    "header-version": "version", "header-mark-name": "outputs[0]", "short-ops": "op.npy",
    "bad-op-code": "operation code 60000", "index-2^63": "9223372036854775813",
    "parent-after-child": "before it", "mark-out-of-range": "outputs[0]",
    "short-values": "values.npy", "float-parents": "parents.npy",
    "missing-entry": "depth.npy", "bad-crc": "partials.npy", "shape-lies": "shape",
}


SWEEP_NEVER_READS = {"bad-op-code", "short-ops"}  # content of op.npy; its shape is checked


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_broken_tape_file(capsys, tmp_path, tape_file, kind):
    path = _corrupt(kind, tape_file, tmp_path / f"{kind}.npz")
    if kind == "shape-lies" and b"'shape': (%d," % (len(arrays_of(tape_file)["parents"]) + 1) \
            not in path.read_bytes():
        pytest.skip("node count changes digit count")
    with pytest.raises(TapeError) as info:
        Tape.load(path)
    assert CORRUPTIONS[kind] in str(info.value), str(info.value)
    if kind in SWEEP_NEVER_READS:
        # --from-tape reads only what the sweep uses: a damaged op-code column cannot
        # change the Jacobian, which must equal the intact tape's.
        assert main(["--from-tape", str(tape_file), "--jacobian", "--format", "json"]) == 0
        good = json.loads(capsys.readouterr().out)
        assert main(["--from-tape", str(path), "--jacobian", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out) == good
        return
    code, line = run_main(capsys, "--from-tape", str(path), "--jacobian")
    assert code == 125
    assert line.startswith("revad-emu: error: not a valid revad_emu tape: "), line
    assert str(path) in line and CORRUPTIONS[kind] in line, line


def test_op_names_cannot_overflow_the_registry(tmp_path, tape_file, monkeypatch):
    """A tape naming more new operations than 16-bit codes leave is refused before any of
    its names enter the process-wide registry (later recordings still need codes)."""
    import revad_emu.ad.tape as tape_mod

    a = arrays_of(tape_file)
    n = len(a["op"])
    op = (np.arange(n) % 10 + 2).astype(np.uint16)
    op[0] = 0
    path = write_npz(tmp_path / "ops.npz", {**with_header(
        a, ops=["passive", "input", *(f"new op {i}" for i in range(10))]), "op": op})
    full = ["passive", "input", *(f"old op {i}" for i in range(0x10000 - 7))]
    monkeypatch.setattr(tape_mod, "OPS", full)
    monkeypatch.setattr(tape_mod, "_OP_INDEX", {s: i for i, s in enumerate(full)})
    with pytest.raises(TapeError, match="overflow"):
        Tape.load(path)
    assert len(tape_mod.OPS) == 0x10000 - 5  # nothing registered
    monkeypatch.setattr(tape_mod, "OPS", full[:100])
    monkeypatch.setattr(tape_mod, "_OP_INDEX", {s: i for i, s in enumerate(full[:100])})
    t = Tape.load(path)
    assert t.op_names([1, 2, 9]) == ["new op 1", "new op 2", "new op 9"]


def test_good_tape_still_loads_and_sweeps(capsys, tape_file, arith):
    t = Tape.load(tape_file)
    J = sweep.jacobian(t)
    assert J.shape == (6, 3)
    # mix = x*y + z/x - y/z at (1.3, 0.7, 2.1): d/dx = y - z/x^2
    assert J[0, 0] == pytest.approx(0.7 - 2.1 / 1.3**2, rel=1e-12)
    capsys.readouterr()
    assert main(["--from-tape", str(tape_file), "--vjp", "1,0,0,0,0,0"]) == 0
    out = capsys.readouterr().out  # one "d/d NAME = value" line per input
    got = [float(line.split("=")[-1]) for line in out.strip().splitlines()]
    np.testing.assert_allclose(got, J[0], rtol=1e-15)


def test_from_tape_arguments(capsys, tmp_path, tape_file):
    code, line = run_main(capsys, "--from-tape", str(tape_file), "--vjp", str(tmp_path))
    assert code == 2 and "--vjp" in line and "directory" in line
    code, line = run_main(capsys, "--from-tape", str(tape_file), "-o",
                          str(tmp_path / "missing" / "J.txt"))
    assert code == 2 and "does not exist" in line
    code, line = run_main(capsys, "--from-tape", str(tape_file), "--vjp", "1,2")
    assert code == 2 and "6 outputs" in line
    code, line = run_main(capsys, "--from-tape", str(tmp_path / "nope.npz"))
    assert code == 125 and "nope.npz" in line
    code, line = run_main(capsys, "--from-tape", str(tape_file), "--stdin", str(tape_file))
    assert code == 2 and "--stdin" in line


# --- item 10: size bombs ------------------------------------------------------------------

def test_zip_bomb_is_refused_before_decompressing(tmp_path, tape_file):
    """A consistent tape whose deflated columns expand ~1000x: refused from the zip
    directory alone, without allocating the arrays."""
    a = arrays_of(tape_file)
    n = 12_000_000  # 12e6 nodes: ~660 MB of arrays in a ~0.7 MB file
    bomb = {"parents": np.zeros((n, 2), np.int64), "partials": np.zeros((n, 2)),
            "values": np.zeros(n), "addr": np.zeros(n, np.uint64),
            "op": np.zeros(n, np.uint16), "depth": np.zeros(n, np.uint32),
            "input_values": np.zeros(0), "output_values": np.zeros(0),
            "header": with_header(a, inputs=[], outputs=[])["header"]}
    path = write_npz(tmp_path / "bomb.npz", bomb, compressed=True)
    del bomb
    size = path.stat().st_size
    assert size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(TapeError, match="expand"):
            Tape.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * size, peak


def test_huge_depth_is_refused_and_sweeps_size_buffers_by_nodes(tmp_path, tape_file):
    a = arrays_of(tape_file)
    depth = a["depth"].copy()
    depth[-1] = 2**31 - 1
    path = write_npz(tmp_path / "deep.npz", {**a, "depth": depth})
    assert path.stat().st_size < 64_000  # a small file (its metadata names the mapped files)
    with pytest.raises(TapeError, match="depth"):
        Tape.load(path)
    # a Tape whose depth was edited after construction: the level schedule must not build
    # a table indexed by depth (16 GiB here)
    t = Tape.load(tape_file)
    J = sweep.jacobian(t, method="loop")
    for out in t.output_nodes:
        if out:
            t.depth[out] = 2**31 - 1
    t.cache.clear()
    tracemalloc.start()
    try:
        J2 = sweep.jacobian(t, method="levels")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(J2, J, rtol=1e-14)
    assert peak < 10 << 20, peak


def test_jacobian_too_large_for_memory_is_refused(tmp_path, tape_file):
    """20,000 inputs and outputs on the passive node: a small file whose dense Jacobian
    takes 3.2 GB. Under a 3 GiB address-space limit, --jacobian refuses it up front with
    one line; --vjp still works."""
    a = arrays_of(tape_file)
    m = 20_000
    marks = [[f"m{i}", 0] for i in range(m)]
    arrays = {**with_header(a, inputs=marks, outputs=marks), "input_values": np.zeros(m),
              "output_values": np.zeros(m)}
    path = write_npz(tmp_path / "wide.npz", arrays, compressed=True)
    assert path.stat().st_size < 200_000

    def limited(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "revad_emu", *args], capture_output=True, text=True,
            env=cli_env(), stdin=subprocess.DEVNULL, timeout=120,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)))

    line = one_error_line(limited("--from-tape", str(path), "--jacobian"))
    assert "Jacobian needs" in line and "--vjp" in line
    seeds = tmp_path / "w.npy"
    np.save(seeds, np.ones(m))
    res = limited("--from-tape", str(path), "--vjp", str(seeds), "--format", "npy", "-o",
                  str(tmp_path / "g.npy"))
    assert res.returncode == 0, res.stderr
    g = np.load(tmp_path / "g.npy")
    assert g.shape == (m,) and not g.any()  # passive marks: zero derivatives


# --- item 11: bytes that are not UTF-8 -----------------------------------------------------

def test_non_utf8_argv_env_and_program_name(tmp_path):
    exe = build("run/args_env.c", ("-O2",))
    d = os.fsencode(tmp_path) + b"/dir\xff"
    os.mkdir(d)
    prog = d + b"/prog\xfe"
    shutil.copy(exe, prog)
    env = {os.fsencode(k): os.fsencode(v) for k, v in cli_env().items()
           if k in ("PATH", "PYTHONPATH", "HOME")}
    env[b"LC_ALL"] = b"C.UTF-8"  # no locale coercion adding LC_CTYPE to the child's env
    env[b"BAD\xfb"] = b"value \xfc\x80"
    argv = [prog, b"a\xff", b"\xc3(", b"ok"]
    native = subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL)
    assert native.returncode == 0 and b"BAD\xfb=value \xfc\x80" in native.stdout
    emu = subprocess.run([sys.executable, "-m", "revad_emu", "-q", *argv], capture_output=True,
                         env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert emu.stderr == b"", emu.stderr  # -q: not even the "no marks reached" note
    assert emu.returncode == 0
    assert emu.stdout == native.stdout
    # the API takes the same bytes
    res = Emulator(prog, [b"a\xff", b"\xc3(", b"ok"], env).run()
    assert res.exit_code == 0 and res.stdout == native.stdout


# --- item 12: execve limits, unmappable segments, output paths -----------------------------

def test_argument_list_too_long_like_execve(capsys, hello):
    big = "x" * (9 << 20)
    with pytest.raises(OSError) as native:  # the premise: Linux refuses it
        subprocess.run([str(hello), big], capture_output=True)
    assert native.value.errno == 7  # E2BIG
    with pytest.raises(ArgumentListTooLong, match="E2BIG"):
        Emulator(hello, [big]).run()
    code, line = run_main(capsys, str(hello), "y" * 200_000)  # the CLI cannot exec it either
    assert code == 126 and "E2BIG" in line
    # many strings, each under the per-string limit, over the total
    with pytest.raises(ArgumentListTooLong, match="E2BIG"):
        Emulator(hello, ["z" * 100_000] * 30).run()
    ok = "w" * 100_000  # under both limits: runs natively and under emulation
    assert subprocess.run([str(hello), ok], capture_output=True).returncode == 0
    assert Emulator(hello, [ok]).run().exit_code == 0


def _bss_patched(hello: Path, tmp_path: Path, memsz: int) -> Path:
    data = bytearray(hello.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    loads = [phoff + 56 * i for i in range(phnum)
             if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1]
    struct.pack_into("<Q", data, loads[-1] + 40, memsz)
    path = tmp_path / f"hello-bss-{memsz:x}"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("memsz", [1 << 44, 1 << 47])
def test_load_segment_too_large(tmp_path, hello, memsz):
    path = _bss_patched(hello, tmp_path, memsz)
    native = subprocess.run([str(path)], capture_output=True)
    assert native.returncode != 0 and native.stdout == b""  # Linux cannot run it either
    with pytest.raises(ElfError, match="segment"):
        Emulator(path).run()
    assert "segment" in one_error_line(cli(str(path)))


@pytest.mark.parametrize("flag", ["-o", "--tape", "--record"])
def test_output_path_checked_before_running(capsys, tmp_path, hello, flag):
    target = tmp_path / "missing" / "out"
    if flag == "--record":  # a directory is created as needed, but not under a file
        (tmp_path / "missing").write_text("a file")
    code, line = run_main(capsys, flag, str(target), str(hello))
    assert code == 2 and flag in line, line
    assert "hello" not in capsys.readouterr().out  # the program did not run
    if flag != "--record":
        code, line = run_main(capsys, flag, str(tmp_path), str(hello))
        assert code == 2 and "is a directory" in line


# --- item 13: unchecked values --------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, words", [
    ({"max_instructions": -1}, ValueError, "max_instructions"),
    ({"max_instructions": 0}, ValueError, "max_instructions"),
    ({"max_instructions": 1.5}, TypeError, "max_instructions"),
    ({"stdin": 123}, TypeError, "stdin"),
    ({"stdin": "text"}, TypeError, "stdin"),
    ({"argv": [None]}, TypeError, "argv[0]"),
    ({"argv": "one two"}, TypeError, "argv"),
    ({"argv": ["a\0b"]}, ValueError, "argv[0]"),
    ({"env": {"A": None}}, TypeError, "env"),
    ({"env": {"A=B": "c"}}, ValueError, "env"),
    ({"env": ["A=B"]}, TypeError, "env"),
])
def test_emulator_refuses_bad_values(hello, kwargs, exc, words):
    with pytest.raises(exc) as info:
        Emulator(hello, **kwargs)
    assert words in str(info.value)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"dg_mode": "z"}, ValueError, "dg_mode"),
    ({"strict": "yes"}, TypeError, "strict"),
    ({"max_instructions": -5}, ValueError, "max_instructions"),
])
def test_record_refuses_bad_values(hello, kwargs, exc, words):
    with pytest.raises(exc) as info:
        Emulator(hello).record(**kwargs)
    assert words in str(info.value)


def test_bytes_path_and_numbers_in_argv(hello):
    res = Emulator(os.fsencode(hello)).run()
    assert res.exit_code == 0 and b"hello" in res.stdout.lower()
    exe = build("run/args_env.c", ("-O2",))
    res = Emulator(exe, [1.5, 7, np.float32(0.1)], {}).run()
    assert b'argv[1]="1.5"' in res.stdout and b'argv[2]="7"' in res.stdout
    assert float(res.stdout.split(b'argv[3]="')[1].split(b'"')[0]) == float(np.float32(0.1))


def test_gradient_without_marks(hello, tape_file, arith):
    rec = Emulator(hello).record()
    with pytest.raises(ValueError, match="no outputs"):
        rec.gradient()
    rec = Emulator(arith).record()
    np.testing.assert_allclose(rec.gradient(-1), rec.jacobian()[-1], rtol=1e-15)
    with pytest.raises(ValueError, match="out of range"):
        rec.gradient(6)
    with pytest.raises(TypeError):
        rec.gradient("0")


@pytest.mark.parametrize("args, words", [
    (["--max-instructions", "-5"], "--max-instructions"),
    (["--max-instructions", "0"], "--max-instructions"),
    (["--vjp", "1"], "--from-tape"),
    (["--jacobian"], "--from-tape"),
    (["--dg-mode", "z"], "--dg-mode"),
    (["--no-ad", "--tape", "t.npz"], "--no-ad"),
])
def test_cli_usage_errors(capsys, hello, args, words):
    code, line = run_main(capsys, *args, str(hello))
    assert code == 2 and words in line, line
    assert "hello" not in capsys.readouterr().out


def test_stdin_from_an_endless_device_is_bounded(capsys, hello, monkeypatch):
    """`--stdin /dev/zero` used to read for ever; a device or pipe is read up to a limit."""
    from revad_emu import cli

    monkeypatch.setattr(cli, "STDIN_STREAM_LIMIT", 1 << 20)
    code, line = run_main(capsys, "--stdin", "/dev/zero", str(hello))
    assert code == 2 and "--stdin /dev/zero" in line and "not a regular file" in line
    assert cli._read_stdin_file("/dev/null") == b""  # a device that ends is fine
