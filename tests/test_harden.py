"""Hardening (issue 10): the sandbox, bounded host memory, Ctrl-C and CPU fidelity.

Each test fails on the code before its fix. Host-memory tests run the emulator in a child
process under `resource.setrlimit` so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from buildcache import ROOT, build

try:
    import revad_emu  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

from revad_emu import Emulator  # noqa: E402
from revad_emu.linux import sandbox  # noqa: E402
from test_linux_unit import AT_FDCWD, NR, O_CREAT, O_WRONLY, Guest  # noqa: E402

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


# -- 3, 4, 6, 7: host memory follows what the guest uses --------------------------------------

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from revad_emu.cli import main
try:
    code = main(sys.argv[1:])
finally:  # VmHWM: this process's own peak (ru_maxrss would include the forked parent's)
    hwm = [ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    sys.stderr.write("maxrss_kib=%s\\n" % hwm[0])
sys.exit(code)
"""


def limited_cli(*args: str, limit_gib: int = 4, timeout: float = 120):
    """The CLI in a child process whose address space is capped; returns (result, peak RSS
    in MiB)."""
    script = LIMITED.format(limit=limit_gib << 30)
    res = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         env=cli_env(), stdin=subprocess.DEVNULL, timeout=timeout)  # fmt: skip
    rss = [int(ln.split("=")[1]) for ln in res.stderr.splitlines() if ln.startswith("maxrss_kib=")]
    return res, (rss[0] / 1024 if rss else float("inf"))


@pytest.fixture(scope="module")
def memory_prog() -> Path:
    return build("harden/memory.c", ("-O2",), static=True)


@pytest.mark.parametrize("case", ["bigsplit", "devzero", "mremap"])
def test_host_rss_follows_touched_pages(memory_prog: Path, case: str) -> None:
    """1 GiB mappings touched in a few pages: mprotect/munmap of one page, MADV_DONTNEED,
    mmap of /dev/zero (and ENODEV for /dev/urandom), mremap growth."""
    native = subprocess.run([str(memory_prog), case], capture_output=True, text=True)
    res, rss = limited_cli("--no-ad", str(memory_prog), case)
    assert res.returncode == native.returncode == 0, res.stderr
    assert res.stdout == native.stdout
    assert rss < 300, f"peak RSS {rss:.0f} MiB"


def test_huge_maps_then_enomem_exit_normally(memory_prog: Path) -> None:
    """64 GiB mappings fail (address-space limit), 2 GiB ones come and go, then mmaps fail
    with ENOMEM: the program exits 0 as natively, not with a Unicorn UC_ERR_NOMEM."""
    assert subprocess.run([str(memory_prog), "hugefail"]).returncode == 0
    res, _ = limited_cli("--no-ad", str(memory_prog), "hugefail", limit_gib=8)
    assert res.returncode == 0 and res.stdout == "hugefail ok\n", res.stderr


def test_file_mapping_reads_only_its_pages(memory_prog: Path, tmp_path: Path) -> None:
    """2000 one-page mmaps of a 64 MiB file: neither the mapping nor the symbol look-up reads
    the whole file each time."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 20)
        f.seek(4096)
        f.write(bytes(range(256)) * 16)
    native = subprocess.run([str(memory_prog), "filemap", str(big)], capture_output=True,
                            text=True)  # fmt: skip
    res, rss = limited_cli("--no-ad", str(memory_prog), "filemap", str(big), timeout=60)
    assert res.returncode == 0 and res.stdout == native.stdout, res.stderr
    assert rss < 300


@pytest.mark.parametrize("dev", ["/dev/zero", "/dev/urandom"])
def test_device_as_program_or_interpreter(tmp_path: Path, dev: str) -> None:
    """PROG or PT_INTERP naming a character device: one error line, nothing read."""
    res, rss = limited_cli(dev, timeout=30)
    assert res.returncode == 125 and "not a regular file" in res.stderr, res.stderr
    hello = build("run/hello.c").read_bytes()
    interp = b"/lib64/ld-linux-x86-64.so.2"
    assert interp in hello and len(dev) < len(interp)
    prog = tmp_path / "hello-dev-interp"
    prog.write_bytes(hello.replace(interp, dev.encode().ljust(len(interp), b"\0")))
    prog.chmod(0o755)
    res, rss = limited_cli(str(prog), timeout=30)
    assert res.returncode == 125 and "not a regular file" in res.stderr, res.stderr
    assert rss < 300


def test_realloc_moves_derivatives_in_bounded_memory(tmp_path: Path) -> None:
    """A 256 MiB block holding derivatives grows to 512 MiB through mremap: the shadow moves
    without 8 bytes per byte moved."""
    import json

    prog = build("harden/realloc_ad.c", ("-O2",))
    out = tmp_path / "r.json"
    res, rss = limited_cli("--format", "json", "-o", str(out), str(prog), "256")
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text())["jacobian"] == [[5.0]]
    assert rss < 400, f"peak RSS {rss:.0f} MiB"


# -- 5. writev caps; MemoryError becomes ENOMEM ----------------------------------------------


def test_writev_caps_and_errors(tmp_path: Path) -> None:
    import struct

    g = Guest(tmp_path)
    big = g("mmap", 0, 1 << 30, 3, 0x22, 2**64 - 1, 0)
    iov = g.put(b"".join(struct.pack("<QQ", big, 64 << 20) for _ in range(64)))
    assert g("writev", 1, iov, 64) == 1 << 24  # capped like write: a short count
    assert sum(map(len, g.out)) == 1 << 24
    g.out.clear()
    msg = g.put(b"hello")
    assert g("writev", 1, g.put(struct.pack("<QQ", msg, 1 << 60)), 1) == -errno.EFAULT
    assert g("writev", 1, g.put(struct.pack("<QQ", msg, 1 << 63)), 1) == -errno.EINVAL
    assert g("writev", 1, iov, 1025) == -errno.EINVAL
    two = g.put(struct.pack("<QQQQ", msg, 5, 0xDEAD_0000, 5))
    assert g("writev", 1, two, 2) == 5 and g.out == [b"hello"]  # up to the fault
    assert g("readv", 0, g.put(struct.pack("<QQ", msg, 1 << 63)), 1) == -errno.EINVAL

    def out_of_memory(*_: int) -> int:
        raise MemoryError

    g.k._table[NR["uname"]] = ("uname", out_of_memory)
    assert g("uname", g.buf(400)) == -errno.ENOMEM


# -- 8. Ctrl-C ends any run within a second -----------------------------------------------------


@pytest.mark.parametrize("mode", ["read", "flood"])
def test_ctrl_c_interrupts_blocking_syscall(mode: str) -> None:
    """The guest blocks in read() on a pipe nobody writes, or in write() to a full pipe:
    SIGINT ends the run within a second, status 130, one error line, output kept."""
    import signal
    import time

    prog = build("harden/blocking.c", ("-O2",), static=True)
    proc = subprocess.Popen([sys.executable, "-m", "revad_emu", "--no-ad", str(prog), mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cli_env())  # fmt: skip
    try:
        assert proc.stderr.readline() == b"ready\n"  # the guest is running
        time.sleep(0.5)  # ... and now blocked in its syscall
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
        elapsed = time.monotonic() - t0
        out, err = proc.stdout.read(), proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert elapsed < 1.0, elapsed
    assert err.strip().splitlines() == ["revad-emu: error: interrupted (Ctrl-C)"], err
    if mode == "flood":
        assert len(out) >= 1 << 16 and set(out) == {ord("x")}  # what was written stays


INTERRUPT_API = """
import os, signal, sys, threading
from revad_emu import Emulator
from revad_emu.errors import RevadError
prog, hello = sys.argv[1:3]
emu = Emulator(prog, stdin=None)
threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    emu.run()
    print("not interrupted")
except KeyboardInterrupt as e:
    assert isinstance(e, RevadError)
    print("KeyboardInterrupt", e.stderr.decode().strip())
print("hello", Emulator(hello).run().stdout.decode().strip())
emu.stdin = b"abc"  # the same emulator runs again
print(emu.run().stdout.decode().strip())
"""


def test_ctrl_c_from_python_is_keyboard_interrupt() -> None:
    prog = build("harden/blocking.c", ("-O2",), static=True)
    hello = build("run/hello.c", ("-O2",), static=True)
    r, w = os.pipe()  # the guest's stdin: never written, never closed during the run
    try:
        res = subprocess.run([sys.executable, "-c", INTERRUPT_API, str(prog), str(hello)],
                             stdin=r, capture_output=True, text=True, env=cli_env(),
                             timeout=60)  # fmt: skip
    finally:
        os.close(r)
        os.close(w)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "KeyboardInterrupt ready", res.stdout
    assert lines[1].startswith("hello ") and lines[2] == "read 3", res.stdout


# -- 14. CPU fidelity: what a user process may not run ------------------------------------------


@pytest.fixture(scope="module")
def ring3() -> Path:
    return build("harden/ring3.c", ("-O2", "-no-pie"), static=True)


@pytest.mark.parametrize("case", [
    "movapd", "addpd", "movdqa_store", "movaps_ok", "cli", "sti", "in", "out", "wrmsr", "rdmsr",
    "lgdt", "sysenter", "hlt", "int80", "blockadd", "blockcopy", "blockmask",
    "blockmask_ok", "blockindex"])  # fmt: skip
def test_user_mode_faults_match_native(ring3: Path, case: str) -> None:
    native = subprocess.run([str(ring3), case], capture_output=True)
    res = cli("--no-ad", str(ring3), case)
    native_status = 128 - native.returncode if native.returncode < 0 else native.returncode
    assert res.returncode == native_status, (case, res.returncode, native_status, res.stderr)
    assert res.stdout.encode() == native.stdout
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    if native_status == 139:
        assert re.search(r"(privileged instruction|aligned|misaligned).*main\+0x", res.stderr)


def test_alignment_checked_each_time_pure_python(ring3: Path) -> None:
    """The same fault without the compiled hot path (the Python code hook)."""
    env = cli_env() | {"REVAD_PURE_PYTHON": "1"}
    res = subprocess.run([sys.executable, "-m", "revad_emu", "--no-ad", str(ring3), "movapd"],
                         capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert res.returncode == 139 and "not 16-byte aligned" in res.stderr, res.stderr


def test_int80_unknown_number_is_reported(tmp_path: Path) -> None:
    g = Guest(tmp_path)
    assert g.k.syscall_i386(9999, (0,) * 6) == -errno.ENOSYS
    assert "int $0x80" in g.k.refused[-1]
    msg = g.put(b"via i386")
    assert g.k.syscall_i386(4, (1, msg, 8, 0, 0, 0)) == 8 and g.out == [b"via i386"]
    assert g.k.syscall_i386(19, (0, 0xFFFF_FFFF, 1, 0, 0, 0)) == -errno.ESPIPE  # lseek(-1)
