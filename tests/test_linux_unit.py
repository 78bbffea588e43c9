"""Unit tests of the guest memory map and the syscall layer (no guest code is executed)."""

from __future__ import annotations

import errno
import os
import re
import struct
import threading
from pathlib import Path

import pytest
from unicorn import UC_ARCH_X86, UC_MODE_64, Uc

from revad_emu.cpu.memory import AddressSpace, GuestMemoryError
from revad_emu.linux import AT_EMPTY_PATH, AT_FDCWD, SYSCALL_NAMES, SYSCALL_NUMBERS, Kernel

NR = SYSCALL_NUMBERS
SCRATCH = 0x10000  # guest buffers for syscall arguments
O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_DIRECTORY = 1, 2, 0o100, 0o1000, 0o200000


class Guest:
    """A kernel over fresh memory, with helpers to place arguments and collect output."""

    def __init__(self, tmp_path: Path, stdin: bytes | None = b"", **kw: object) -> None:
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.mem = AddressSpace(self.uc)
        self.mem.map(SCRATCH, 0x10000, 3, "scratch")
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.maps: list[tuple] = []
        self.fs = [0]
        self._next = SCRATCH
        kw.setdefault("exe_path", "/opt/prog")
        self.k = Kernel(
            self.mem, stdin=stdin, stdout=self.out.append, stderr=self.err.append,
            set_fs_base=lambda v: self.fs.__setitem__(0, v), get_fs_base=lambda: self.fs[0],
            on_map=lambda *a: self.maps.append(a), cwd=str(tmp_path), **kw,
        )  # fmt: skip

    def put(self, data: bytes | str, size: int = 0) -> int:
        """Copy data (a str gets a NUL) into the scratch area; returns its address."""
        if isinstance(data, str):
            data = os.fsencode(data) + b"\0"
        addr = self._next
        self.mem.write(addr, data)
        self._next += max(len(data), size, 1) + 15 & ~15
        return addr

    def buf(self, size: int) -> int:
        return self.put(bytes(size))

    def __call__(self, name: str, *args: int) -> int:
        return self.k.syscall(NR[name], (tuple(args) + (0,) * 6)[:6])


@pytest.fixture
def g(tmp_path: Path) -> Guest:
    return Guest(tmp_path, stdin=b"hello\nworld\n", allow_write=[tmp_path / "out"])


# -- AddressSpace ---------------------------------------------------------------------------


def test_map_top_down_fixed_replace_and_split() -> None:
    mem = AddressSpace(Uc(UC_ARCH_X86, UC_MODE_64), mmap_top=0x7000_0000)
    a = mem.map(None, 0x1800, 3, "a")
    assert a == 0x7000_0000 - 0x2000
    b = mem.map(None, 0x1000, 1)
    assert b == a - 0x1000
    mem.write(a, b"x" * 0x2000)
    mem.map(a + 0x1000, 0x1000, 7, "c")  # fixed map over the second page of a
    assert mem.read(a, 2) == b"xx" and mem.read(a + 0x1000, 2) == b"\0\0"
    assert [(r.start - a, r.end - a, r.prot, r.name) for r in mem.regions] == [
        (-0x1000, 0, 1, ""), (0, 0x1000, 3, "a"), (0x1000, 0x2000, 7, "c")]  # fmt: skip
    mem.protect(a, 0x2000, 3)  # different names stay apart, same protection
    assert [r.prot for r in mem.regions] == [1, 3, 3]
    mem.unmap(b, 0x1800)  # partial unmap of a as well
    assert mem.region_at(a + 0x800) is None and mem.region_at(a + 0x1000).name == "c"
    assert not mem.is_mapped(a, 0x2000) and mem.is_mapped(a + 0x1000, 0x1000)
    text = mem.maps_text()
    assert re.search(r"^[0-9a-f]{8,}-[0-9a-f]{8,} rw-p 00000000 00:00 0 +c$", text, re.M)


def test_memory_access_errors_and_cstr() -> None:
    mem = AddressSpace(Uc(UC_ARCH_X86, UC_MODE_64))
    mem.map(0x20000, 0x2000, 3)
    mem.write(0x20FFC, b"abcdefgh\0")  # crosses a page boundary
    assert mem.read_cstr(0x20FFC) == b"abcdefgh"
    assert mem.read_cstr(0x20FFC, limit=3) == b"abc"
    mem.write_u64(0x20000, 2**64 - 1)
    assert mem.read_u64(0x20000) == 2**64 - 1
    with pytest.raises(GuestMemoryError) as e:
        mem.read(0x21FF0, 0x20)
    assert e.value.addr == 0x21FF0 and not e.value.write
    with pytest.raises(GuestMemoryError):
        mem.write(0x50000, b"x")
    mem.write(0x21FF8, b"x" * 8)
    with pytest.raises(GuestMemoryError):
        mem.read_cstr(0x21FF8)  # no NUL before the end of the mapping


# -- files and streams ----------------------------------------------------------------------


def test_syscall_numbers_match_kernel_header() -> None:
    header = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
    if not header.exists():
        pytest.skip("no kernel header")
    found = dict(re.findall(r"#define __NR_(\w+) (\d+)", header.read_text()))
    assert all(int(found[name]) == nr for nr, name in SYSCALL_NAMES.items() if name in found)
    assert NR["newfstatat"] == 262 and NR["readlink"] == 89 and NR["exit_group"] == 231


def test_write_stdout_stderr_and_writev(g: Guest) -> None:
    assert g("write", 1, g.put(b"hi there"), 8) == 8
    assert g("write", 2, g.put(b"oops"), 4) == 4
    iov = g.put(struct.pack("<4Q", g.put(b"ab"), 2, g.put(b"cde"), 3))
    assert g("writev", 1, iov, 2) == 5
    assert g.out == [b"hi there", b"abcde"] and g.err == [b"oops"]
    assert g.k.counts["write"] == 2 and g.k.counts["writev"] == 1


def test_read_stdin_then_eof(g: Guest) -> None:
    buf = g.buf(64)
    assert g("read", 0, buf, 6) == 6
    assert g.mem.read(buf, 6) == b"hello\n"
    assert g("read", 0, buf, 64) == 6
    assert g("read", 0, buf, 64) == 0
    assert g("lseek", 0, 0, 0) == -errno.ESPIPE
    assert g("read", 1, buf, 1) == -errno.EBADF


def test_openat_read_host_file(g: Guest, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_bytes(b"0123456789")
    fd = g("openat", AT_FDCWD & 2**64 - 1, g.put("data.txt"), 0)
    assert fd == 3
    buf = g.buf(16)
    assert g("read", fd, buf, 4) == 4 and g.mem.read(buf, 4) == b"0123"
    assert g("pread64", fd, buf, 3, 7) == 3 and g.mem.read(buf, 3) == b"789"
    assert g("lseek", fd, 2, 1) == 6
    assert g("close", fd) == 0 and g("close", fd) == -errno.EBADF
    assert g("open", g.put(str(tmp_path / "missing")), 0) == -errno.ENOENT
    assert g.k.refused == []


def test_write_refused_outside_allow_write(g: Guest, tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    assert g("openat", AT_FDCWD, g.put(str(target)), O_WRONLY | O_CREAT | O_TRUNC, 0o644) == (
        -errno.EACCES
    )
    assert not target.exists()
    assert g.k.refused == [
        f"openat({str(target)!r}, O_WRONLY|O_CREAT|O_TRUNC) refused: "
        "writes allowed only under --allow-write directories"
    ]
    assert g("unlink", g.put(str(tmp_path))) == -errno.EACCES
    assert g("mkdir", g.put("newdir"), 0o755) == -errno.EACCES
    # a symlink inside the allowed directory must not lead outside it
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(target)
    assert g("open", g.put("out/link"), O_WRONLY | O_CREAT, 0o644) == -errno.EACCES
    assert len(g.k.refused) == 4


def test_write_allowed_inside_allow_write(g: Guest, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert g("mkdir", g.put("out/sub"), 0o755) == 0
    fd = g("open", g.put("out/sub/r.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    assert fd >= 3
    assert g("write", fd, g.put(b"result\n"), 7) == 7
    assert g("close", fd) == 0
    assert (out / "sub" / "r.txt").read_bytes() == b"result\n"
    assert g("rename", g.put("out/sub/r.txt"), g.put("out/r2.txt")) == 0
    assert g("unlink", g.put(str(out / "r2.txt"))) == 0
    assert g("unlinkat", AT_FDCWD, g.put("out/sub"), 0x200) == 0
    assert list(out.iterdir()) == [] and g.k.refused == []


def test_dup2_redirects_stdout_to_file(g: Guest, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    fd = g("open", g.put("out/log"), O_WRONLY | O_CREAT, 0o600)
    assert g("dup2", fd, 1) == 1 and g("close", fd) == 0
    assert g("write", 1, g.put(b"to file"), 7) == 7
    assert g("fcntl", 1, 3) == O_WRONLY | 0o100000 * 0  # F_GETFL
    g.k.close_all()
    assert (tmp_path / "out" / "log").read_bytes() == b"to file" and g.out == []


def test_getdents64_lists_directory(g: Guest, tmp_path: Path) -> None:
    for name in ("a", "bb"):
        (tmp_path / name).write_text(name)
    fd = g("open", g.put("."), O_DIRECTORY)
    buf = g.buf(512)
    n = g("getdents64", fd, buf, 512)
    raw, names, pos = g.mem.read(buf, n), set(), 0
    while pos < n:
        _, _, reclen, typ = struct.unpack_from("<QqHB", raw, pos)
        names.add((raw[pos + 19 : pos + reclen].split(b"\0")[0], typ))
        pos += reclen
    assert names == {(b".", 4), (b"..", 4), (b"a", 8), (b"bb", 8)}
    assert g("getdents64", fd, buf, 512) == 0


# -- stat, proc, ioctl ----------------------------------------------------------------------


def test_newfstatat_struct_layout(g: Guest, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 1234)
    buf = g.buf(144)
    assert g("newfstatat", AT_FDCWD, g.put("f"), buf, 0) == 0
    raw = g.mem.read(buf, 144)
    st = os.stat(tmp_path / "f")
    assert struct.unpack_from("<QQ", raw, 0) == (st.st_dev, st.st_ino)
    assert struct.unpack_from("<I", raw, 24)[0] == st.st_mode
    assert struct.unpack_from("<q", raw, 48)[0] == 1234  # st_size
    assert struct.unpack_from("<q", raw, 88)[0] == int(st.st_mtime)  # st_mtime
    assert g("newfstatat", 1, g.put(""), buf, AT_EMPTY_PATH) == 0
    assert struct.unpack_from("<I", g.mem.read(buf, 144), 24)[0] & 0o170000 == 0o010000  # FIFO
    assert g("fstat", 0, buf) == 0
    assert g("stat", g.put("nope"), buf) == -errno.ENOENT
    sx = g.buf(256)
    assert g("statx", AT_FDCWD, g.put("f"), 0, 0x7FF, sx) == 0
    assert struct.unpack_from("<Q", g.mem.read(sx, 256), 0x28)[0] == 1234  # stx_size


def test_tty_fds_and_ioctl(tmp_path: Path) -> None:
    g = Guest(tmp_path, tty_fds={1})
    buf = g.buf(144)
    assert g("ioctl", 1, 0x5401, buf) == 0  # TCGETS
    assert g("ioctl", 1, 0x5413, buf) == 0 and struct.unpack_from("<2H", g.mem.read(buf, 4)) == (
        24, 80)  # fmt: skip
    assert g("ioctl", 2, 0x5401, buf) == -errno.ENOTTY
    assert g("newfstatat", 1, g.put(""), buf, AT_EMPTY_PATH) == 0
    assert struct.unpack_from("<I", g.mem.read(buf, 144), 24)[0] & 0o170000 == 0o020000


def test_readlink_proc_self_exe_and_proc_policy(g: Guest) -> None:
    buf = g.buf(256)
    n = g("readlink", g.put("/proc/self/exe"), buf, 256)
    assert g.mem.read(buf, n) == b"/opt/prog"
    assert g("readlink", g.put("/proc/self/exe"), buf, 4) == 4  # truncated, no NUL
    # /proc/self/maps comes from the guest's own map
    fd = g("open", g.put("/proc/self/maps"), 0)
    n = g("read", fd, buf, 256)
    assert b"scratch" in g.mem.read(buf, n)
    # /dev/stdout reaches the guest's fd 1, not the emulator's
    fd = g("open", g.put("/dev/stdout"), O_WRONLY)
    assert fd >= 0 and g("write", fd, g.put(b"via dev"), 7) == 7 and g.out == [b"via dev"]
    assert g("open", g.put(f"/proc/{os.getpid()}/status"), 0) == -errno.ENOENT
    assert g("open", g.put("/proc/self/mem"), 0) == -errno.ENOENT
    ev = threading.Event()
    t = threading.Thread(target=ev.wait)
    t.start()
    try:
        assert g("open", g.put(f"/proc/{t.native_id}/environ"), 0) == -errno.ENOENT
    finally:
        ev.set()
        t.join()
    assert len(g.k.refused) == 3 and "hidden" in g.k.refused[0]


# -- memory syscalls ------------------------------------------------------------------------


def test_brk_grows_and_shrinks(g: Guest) -> None:
    g.k.brk_start(0x600123)
    assert g("brk", 0) == 0x601000
    assert g("brk", 0x623456) == 0x623456
    assert g.mem.is_mapped(0x601000, 0x23000) and g.mem.region_at(0x601000).name == "[heap]"
    g.mem.write(0x623000, b"heap")
    assert g("brk", 0x605000) == 0x605000
    assert g.mem.is_mapped(0x604FFF) and not g.mem.is_mapped(0x605000)
    assert g("brk", 0x500000) == 0x605000  # below the start: unchanged


def test_mmap_anonymous_fixed_and_noreplace(g: Guest) -> None:
    a = g("mmap", 0, 0x3000, 3, 0x22, 2**64 - 1, 0)  # MAP_PRIVATE|MAP_ANONYMOUS, fd -1
    assert a > 0x1000_0000 and a % 0x1000 == 0
    assert g.mem.read(a, 0x3000) == bytes(0x3000)
    g.mem.write(a, b"A" * 0x3000)
    b = g("mmap", a + 0x1000, 0x1000, 3, 0x32, 2**64 - 1, 0)  # MAP_FIXED replaces
    assert b == a + 0x1000
    assert g.mem.read(a + 0xFFF, 3) == b"A\0\0" and g.mem.read(a + 0x2000, 1) == b"A"
    assert g("mmap", a, 0x1000, 3, 0x100022, 2**64 - 1, 0) == -errno.EEXIST
    assert g("mmap", a + 1, 0x1000, 3, 0x32, 2**64 - 1, 0) == -errno.EINVAL
    x = g("mmap", 0, 0x1000, 7, 0x22, 2**64 - 1, 0)
    assert g.maps == [(x, 0x1000, 7, None, 0)]  # executable anonymous memory is reported
    assert g("mprotect", a, 0x1000, 5) == 0 and g.maps[-1] == (a, 0x1000, 5, None, 0)
    assert g("mprotect", 0x7000_0000_0000, 0x1000, 1) == -errno.ENOMEM


def test_mmap_file_backed(g: Guest, tmp_path: Path) -> None:
    data = bytes(range(256)) * 20  # 5120 bytes
    (tmp_path / "lib.so").write_bytes(data)
    fd = g("open", g.put("lib.so"), 0)
    a = g("mmap", 0, 0x2000, 5, 2, fd, 0)
    assert g.mem.read(a, 5120) == data and g.mem.read(a + 5120, 0x2000 - 5120) == bytes(3072)
    assert g.maps == [(a, 0x2000, 5, str(tmp_path / "lib.so"), 0)]
    b = g("mmap", 0, 0x1000, 1, 2, fd, 0x1000)
    assert g.mem.read(b, 4) == data[0x1000:0x1004]
    assert g.mem.region_at(b).name == str(tmp_path / "lib.so")
    assert g("mmap", 0, 0x1000, 1, 2, fd, 10) == -errno.EINVAL
    assert g("mmap", 0, 0x1000, 3, 1, fd, 0) == -errno.EACCES  # shared writable refused
    assert g("mmap", 0, 0x1000, 1, 2, 77, 0) == -errno.EBADF


def test_munmap_splits_regions(g: Guest) -> None:
    a = g("mmap", 0, 0x3000, 3, 0x22, 2**64 - 1, 0)
    assert g("munmap", a + 0x1000, 0x1000) == 0
    assert g.mem.is_mapped(a) and not g.mem.is_mapped(a + 0x1000)
    assert g.mem.is_mapped(a + 0x2000, 0x1000)
    assert g("munmap", a + 1, 0x1000) == -errno.EINVAL
    # the hole can be reused by a fixed mapping
    assert g("mmap", a + 0x1000, 0x1000, 3, 0x32, 2**64 - 1, 0) == a + 0x1000


def test_mremap_growth_preserves_contents(g: Guest) -> None:
    a = g("mmap", 0, 0x2000, 3, 0x22, 2**64 - 1, 0)
    g.mem.write(a, b"payload" + bytes(0x1FF5) + b"tail")  # fills both pages
    # a mapping right after a blocks growth in place: mremap must move and copy
    g("mmap", a + 0x2000, 0x1000, 1, 0x32, 2**64 - 1, 0)
    assert g("mremap", a, 0x2000, 0x5000, 0, 0) == -errno.ENOMEM
    b = g("mremap", a, 0x2000, 0x5000, 1, 0)  # MREMAP_MAYMOVE
    assert b != a and not g.mem.is_mapped(a)
    assert g.mem.read(b, 7) == b"payload" and g.mem.read(b + 0x1FFC, 4) == b"tail"
    assert g.mem.read(b + 0x2000, 0x3000) == bytes(0x3000)
    # growth in place when the next pages are free, and shrinking
    c = g("mmap", 0x5000_0000, 0x1000, 3, 0x32, 2**64 - 1, 0)
    g.mem.write(c, b"C")
    assert g("mremap", c, 0x1000, 0x3000, 0, 0) == c
    assert g.mem.read(c, 1) == b"C" and g.mem.is_mapped(c, 0x3000)
    assert len(g.mem.overlapping(c, c + 0x3000)) == 1  # one region again
    assert g("mremap", c, 0x3000, 0x1000, 0, 0) == c and not g.mem.is_mapped(c + 0x1000)
    assert g("mremap", c + 0x8000, 0x1000, 0x2000, 1, 0) == -errno.EFAULT


# -- process, time, policy ------------------------------------------------------------------


def test_getrandom_deterministic(tmp_path: Path) -> None:
    g1, g2 = Guest(tmp_path), Guest(tmp_path)
    b1, b2 = g1.buf(32), g2.buf(32)
    assert g1("getrandom", b1, 32, 0) == 32 and g2("getrandom", b2, 32, 0) == 32
    assert g1.mem.read(b1, 32) == g2.mem.read(b2, 32) != bytes(32)
    g1("getrandom", b1, 32, 0)
    assert g1.mem.read(b1, 32) != g2.mem.read(b2, 32)  # a stream, not one constant


def test_unknown_syscall_enosys_recorded(g: Guest) -> None:
    assert g.k.syscall(999, (0,) * 6) == -errno.ENOSYS
    assert g.k.syscall(999, (0,) * 6) == -errno.ENOSYS
    assert g.k.syscall(NR["msgget"], (0,) * 6) == -errno.ENOSYS
    assert g.k.unknown == {999: 2, NR["msgget"]: 1}
    assert g("rseq", 0, 0, 0, 0) == -errno.ENOSYS and NR["rseq"] not in g.k.unknown


def test_execve_and_friends_refused(g: Guest) -> None:
    assert g("execve", g.put("/bin/sh"), 0, 0) == -errno.EACCES
    assert g.k.refused == ["execve('/bin/sh') refused: running other programs is not allowed"]
    assert g("socket", 2, 1, 0) == -errno.EACCES
    assert g("clone", 17, 0, 0, 0, 0) == -errno.ENOSYS  # glibc's fork(): clone(SIGCHLD)
    assert g("vfork") == -errno.ENOSYS
    assert g("kill", 1, 9) == -errno.EPERM
    assert len(g.k.refused) == 5 and not g.k.exited
    assert "clone(flags=0x11) refused: new processes are not supported" in g.k.refused[2]


def test_efault_on_bad_pointers(g: Guest) -> None:
    bad = 0xDEAD_0000
    assert g("write", 1, bad, 10) == -errno.EFAULT
    assert g("read", 0, bad, 10) == -errno.EFAULT
    assert g("openat", AT_FDCWD, bad, 0) == -errno.EFAULT
    assert g("uname", bad) == -errno.EFAULT
    assert g("clock_gettime", 0, bad) == -errno.EFAULT
    assert g("getrandom", bad, 8, 0) == -errno.EFAULT
    assert g("writev", 1, bad, 1) == -errno.EFAULT
    assert g.out == []


def test_process_info_and_time(g: Guest) -> None:
    buf = g.buf(400)
    assert g("uname", buf) == 0
    raw = g.mem.read(buf, 390)
    assert raw[:6] == b"Linux\0" and raw[130:136] == b"6.1.0\0" and raw[260:267] == b"x86_64\0"
    assert g("getpid") == g("gettid") == g("set_tid_address", buf) > 0
    assert g("arch_prctl", 0x1002, 0x1234000) == 0 and g.fs == [0x1234000]
    assert g("arch_prctl", 0x1003, buf) == 0 and g.mem.read_u64(buf) == 0x1234000
    assert g("prlimit64", 0, 3, 0, buf) == 0
    assert struct.unpack("<Q", g.mem.read(buf, 8))[0] == 8 << 20  # stack soft limit
    assert g("clock_gettime", 1, buf) == 0 and struct.unpack("<qq", g.mem.read(buf, 16))[1] < 1e9
    host = sum(1 << c for c in os.sched_getaffinity(0))  # what a native run sees
    assert g("sched_getaffinity", 0, 128, buf) == 8 and g.mem.read_u64(buf) == host
    assert g("nanosleep", g.put(struct.pack("<qq", 100, 0)), 0) == 0  # returns at once
    assert g("futex", buf, 0x80, 0) == -errno.EAGAIN and g("futex", buf, 0x81, 1) == 0
    assert g("rt_sigaction", 2, 0, buf, 8) == 0 and g("rt_sigprocmask", 0, buf, 0, 8) == 0
    n = g("getcwd", buf, 400)
    assert g.mem.read(buf, n - 1) == os.fsencode(g.k.cwd)


def test_abort_terminates_with_sigabrt(g: Guest) -> None:
    pid = g("getpid")
    assert g("tgkill", pid, pid, 17) == 0 and not g.k.exited  # SIGCHLD: ignored
    assert g("tgkill", pid, pid, 6) == 0
    assert g.k.exited and g.k.term_signal == 6 and g.k.exit_status is None


def test_exit_group_sets_status(g: Guest) -> None:
    assert g("exit_group", 258) == 0
    assert g.k.exited and g.k.exit_status == 2 and g.k.term_signal is None


def test_address_space_reports_overwrites():
    """Writes, maps and unmaps from the host side are reported (the recorder forgets the
    derivatives of the bytes concerned)."""
    mem = AddressSpace(Uc(UC_ARCH_X86, UC_MODE_64))
    seen: list[tuple[int, int]] = []
    mem.on_overwrite.append(lambda addr, size: seen.append((addr, size)))
    base = mem.map(None, 0x3000, 3)
    mem.write(base + 8, b"abcd")
    mem.map(base + 0x1000, 0x1000, 3, fixed=True)
    mem.unmap(base, 0x3000)
    assert seen == [(base, 0x3000), (base + 8, 4), (base + 0x1000, 0x1000), (base, 0x3000)]


def test_dispatch_table_families() -> None:
    """Every handled syscall belongs to exactly one family (or is refused by the sandbox)."""
    from revad_emu.linux import DISPATCH, FAMILIES

    fam = {SYSCALL_NAMES[nr]: f for nr, (f, _) in DISPATCH.items()}
    assert fam["read"] == fam["openat"] == fam["getdents64"] == "files"
    assert fam["mmap"] == fam["brk"] == fam["madvise"] == "memory"
    assert fam["getpid"] == fam["uname"] == "process"
    assert fam["exit_group"] == fam["clone3"] == fam["futex"] == "threads"
    assert fam["rt_sigaction"] == fam["kill"] == "signals"
    assert fam["clock_gettime"] == fam["nanosleep"] == "time"
    assert fam["execve"] == fam["socket"] == "refused"
    assert set(fam.values()) == {*FAMILIES, "refused"}
