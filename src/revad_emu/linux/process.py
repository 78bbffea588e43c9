"""System calls about the process itself: exit, ids, limits, system info; and signals."""

from __future__ import annotations

import errno as E
import os
import resource
import struct
import time

from .abi import (
    GUEST_PID,
    GUEST_PPID,
    MAX_IO,
    _s32,
)

_UTSNAME = b"".join(
    s.ljust(65, b"\0") for s in (b"Linux", b"revad", b"6.1.0", b"#1 SMP", b"x86_64", b"(none)")
)


class ProcessCalls:
    """Kernel part: process system calls (a mixin of `Kernel`); threads: threads.py."""

    def sys_arch_prctl(self, code: int, addr: int, *_: int) -> int:
        if code == 0x1002:  # ARCH_SET_FS
            self.set_fs_base(addr)
            return 0
        if code == 0x1003:  # ARCH_GET_FS
            self.mem.write_u64(addr, self.get_fs_base())
            return 0
        return -E.EINVAL

    def sys_getpid(self, *_: int) -> int:
        return GUEST_PID

    def sys_getppid(self, *_: int) -> int:
        return GUEST_PPID

    def sys_getuid(self, *_: int) -> int:
        return os.getuid()

    sys_geteuid = sys_getuid

    def sys_getgid(self, *_: int) -> int:
        return os.getgid()

    sys_getegid = sys_getgid

    def sys_prlimit64(self, pid: int, res: int, new: int, old: int, *_: int) -> int:
        if _s32(pid) not in (0, GUEST_PID):
            return -E.ESRCH
        if res not in self._rlimits:
            return -E.EINVAL
        if old:
            self.mem.write(old, struct.pack("<QQ", *self._rlimits[res]))
        if new:
            soft, hard = struct.unpack("<QQ", self.mem.read(new, 16))
            if soft > hard:
                return -E.EINVAL
            self._rlimits[res] = (soft, hard)
        return 0

    def sys_getrlimit(self, res: int, ptr: int, *_: int) -> int:
        return self.sys_prlimit64(0, res, 0, ptr)

    def sys_setrlimit(self, res: int, ptr: int, *_: int) -> int:
        return self.sys_prlimit64(0, res, ptr, 0)

    def sys_getrusage(self, who: int, buf: int, *_: int) -> int:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        tv = [int(t) for x in (ru.ru_utime, ru.ru_stime) for t in divmod(x * 1e6, 1e6)]
        self.mem.write(buf, struct.pack("<4q14q", *tv, ru.ru_maxrss, *[0] * 13))
        return 0

    def sys_times(self, buf: int, *_: int) -> int:
        t = os.times()
        if buf:
            self.mem.write(buf, struct.pack("<4q", int(t.user * 100), int(t.system * 100), 0, 0))
        return int(time.monotonic() * 100)

    def sys_uname(self, buf: int, *_: int) -> int:
        self.mem.write(buf, _UTSNAME)
        return 0

    def sys_sysinfo(self, buf: int, *_: int) -> int:
        gib = 1 << 30
        info = struct.pack("<q3Q6QHHI2QI", int(time.monotonic()), 0, 0, 0,
                           8 * gib, 4 * gib, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)  # fmt: skip
        self.mem.write(buf, info.ljust(112, b"\0"))
        return 0

    def sys_sched_getaffinity(self, pid: int, size: int, mask: int, *_: int) -> int:
        """The host's CPUs, as a native run sees them: OpenMP (libgomp) sizes its default
        team by this count, and the issue asks for the thread count a native run would use.
        The guest's threads still run one at a time."""
        cpus = os.sched_getaffinity(0)
        nbytes = (max(cpus) // 64 + 1) * 8
        if size < nbytes or size % 8:
            return -E.EINVAL
        self.mem.write(mask, sum(1 << c for c in cpus).to_bytes(nbytes, "little"))
        return nbytes

    def sys_sched_setaffinity(self, *_: int) -> int:
        return 0  # nothing to pin: one host thread runs every guest thread

    def sys_getrandom(self, buf: int, count: int, flags: int, *_: int) -> int:
        n = min(count, MAX_IO)
        if n and not self.mem.is_mapped(buf, n):
            return -E.EFAULT
        self.mem.write(buf, self._rng.randbytes(n))
        return n
