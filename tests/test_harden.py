"""Hardening (issue 10): the sandbox, bounded host memory, Ctrl-C and CPU fidelity.

Each test fails on the code before its fix. Host-memory tests run the emulator in a child
process under `resource.setrlimit` so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from buildcache import ROOT, build

try:
    import revad_emu  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

from test_linux_unit import AT_FDCWD, NR, O_CREAT, O_WRONLY, Guest  # noqa: E402

from revad_emu import Emulator  # noqa: E402
from revad_emu.linux import sandbox  # noqa: E402

O_RDONLY, O_DIRECTORY = 0, 0o200000


def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def cli(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "revad_emu", *args], capture_output=True,
                          text=True, env=cli_env(), stdin=subprocess.DEVNULL, timeout=timeout,
                          **kw)  # fmt: skip


# -- 1. allow_write takes one path or a list of them ----------------------------------------


def test_allow_write_str_is_one_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert Emulator("prog", allow_write=str(out)).allow_write == [str(out)]
    assert Emulator("prog", allow_write=out).allow_write == [str(out)]
    assert Emulator("prog", allow_write=[out, str(tmp_path)]).allow_write == [
        str(out), str(tmp_path)]  # fmt: skip
    for bad in (123, [None], [1, 2], 4.5):
        with pytest.raises(TypeError, match="allow_write"):
            Emulator("prog", allow_write=bad)
    with pytest.raises(TypeError, match="allow_read"):
        Emulator("prog", allow_read=7)
    # A str reaching the kernel is one directory, not one per character ("/" among them).
    g = Guest(tmp_path, allow_write=str(out))
    assert g("open", g.put(str(tmp_path / "x")), O_WRONLY | O_CREAT, 0o644) == -errno.EACCES
    assert g("open", g.put(str(out / "x")), O_WRONLY | O_CREAT, 0o644) >= 3
    assert not (tmp_path / "x").exists() and (out / "x").exists()
    assert g.k.allow_write == [os.path.realpath(out)]


# -- 2. writes below an fd of the allowed directory, no symlink followed; reads restricted --


@pytest.mark.parametrize("openat2", [True, False], ids=["openat2", "nofollow-walk"])
def test_open_beneath_never_leaves_the_directory(tmp_path: Path, monkeypatch, openat2) -> None:
    monkeypatch.setattr(sandbox, "_openat2_state", [None if openat2 else False])
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "link").symlink_to(outside)
    (root / "sub" / "flink").symlink_to(outside / "f")
    rfd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        for rel in ("link/x", "sub/flink", "sub/../link/y"):
            with pytest.raises(OSError):
                sandbox.open_beneath(rfd, rel, os.O_WRONLY | os.O_CREAT, 0o644)
        fd = sandbox.open_beneath(rfd, "sub/new", os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    finally:
        os.close(rfd)
    assert list(outside.iterdir()) == [] and (root / "sub" / "new").exists()


def test_symlink_swapped_after_check_is_not_followed(tmp_path: Path, monkeypatch) -> None:
    """The path is checked, then a directory on it becomes a symlink out of the allowed
    directory before the open (what another process could do): the open must fail."""
    out, outside = tmp_path / "out", tmp_path / "outside"
    (out / "sub").mkdir(parents=True)
    outside.mkdir()
    g = Guest(tmp_path, allow_write=[out])
    lookup = g.k._lookup

    def lookup_then_swap(*a, **kw):
        res = lookup(*a, **kw)
        if (out / "sub").is_dir() and not (out / "sub").is_symlink():
            (out / "sub").rmdir()
            (out / "sub").symlink_to(outside)
        return res

    monkeypatch.setattr(g.k, "_lookup", lookup_then_swap)
    fd = g("open", g.put("out/sub/f"), O_WRONLY | O_CREAT, 0o644)
    assert fd < 0 and list(outside.iterdir()) == []
    (out / "sub").unlink()
    (out / "sub").mkdir()
    assert g("mkdir", g.put("out/sub/d"), 0o755) < 0 and list(outside.iterdir()) == []


def test_allowed_directory_itself_cannot_be_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "inner").mkdir(parents=True)
    g = Guest(tmp_path, allow_write=[out, out / "inner"])
    assert g("rmdir", g.put("out/inner")) == -errno.EBUSY
    assert g("rename", g.put("out/inner"), g.put("out/moved")) == -errno.EBUSY
    assert g("unlinkat", AT_FDCWD, g.put(str(out)), 0x200) == -errno.EBUSY
    assert (out / "inner").is_dir() and len(g.k.refused) == 3
    assert "itself" in g.k.refused[0]
    assert g("mkdir", g.put("out/inner/d"), 0o755) == 0
    assert g("rmdir", g.put("out/inner/d")) == 0
    assert g("mkdir", g.put("out"), 0o755) == -errno.EEXIST


def test_no_read_restricts_reads(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("s")
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "data").write_text("d")
    g = Guest(tmp_path, allow_read=[tmp_path / "pub"])
    assert g("open", g.put("secret"), O_RDONLY) == -errno.EACCES
    assert "--allow-read" in g.k.refused[-1]
    assert g("open", g.put("missing"), O_RDONLY) == -errno.ENOENT
    assert g("open", g.put("pub/data"), O_RDONLY) >= 3
    assert g("open", g.put("/etc/ld.so.cache"), O_RDONLY) >= 3 or not os.path.exists(
        "/etc/ld.so.cache")  # fmt: skip
    assert g("open", g.put("/dev/null"), O_RDONLY) >= 3
    assert g("open", g.put("/proc/self/maps"), O_RDONLY) >= 3
    dfd = g("open", g.put("."), O_DIRECTORY)  # a directory opens, but is not listed
    assert dfd >= 3 and g("getdents64", dfd, g.buf(512), 512) == -errno.EACCES
    assert g("newfstatat", AT_FDCWD, g.put("secret"), g.buf(144), 0) == 0  # metadata: allowed
    unrestricted = Guest(tmp_path)
    assert unrestricted("open", unrestricted.put("secret"), O_RDONLY) >= 3


def test_no_read_cli_dynamic_program(tmp_path: Path) -> None:
    """--no-read keeps what the dynamic loader needs (libc, libm, libstdc++...) readable."""
    data = tmp_path / "data.txt"
    data.write_text("value 1.5\n")
    reader = build("run/read_file.c")
    res = cli("--no-read", str(reader), str(data))
    assert res.returncode == 1 and "Permission denied" in res.stderr, res.stderr
    assert "refused" in res.stderr
    res = cli("--allow-read", str(tmp_path), str(reader), str(data))
    assert res.returncode == 0 and "numsum=1.5" in res.stdout, res.stderr
    cxx = build("run/cxx_features.cc")
    native = subprocess.run([str(cxx)], capture_output=True, text=True)
    res = cli("--no-read", "--no-ad", str(cxx))
    assert res.returncode == native.returncode and res.stdout == native.stdout, res.stderr
    assert "refused" not in res.stderr, res.stderr
