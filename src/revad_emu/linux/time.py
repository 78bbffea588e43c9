"""System calls about clocks and sleeping (no real sleeping: a sleep returns at once)."""

from __future__ import annotations

import errno as E
import struct
import time

from .abi import _s32


class TimeCalls:
    """Kernel part: time system calls (a mixin of `Kernel`)."""

    def sys_clock_gettime(self, clk: int, tp: int, *_: int) -> int:
        clk = _s32(clk)
        if not 0 <= clk <= 11:
            return -E.EINVAL
        ns = time.clock_gettime_ns(clk)
        self.mem.write(tp, struct.pack("<qq", *divmod(ns, 1_000_000_000)))
        return 0

    def sys_clock_getres(self, clk: int, res: int, *_: int) -> int:
        if not 0 <= _s32(clk) <= 11:
            return -E.EINVAL
        if res:
            self.mem.write(res, struct.pack("<qq", 0, 4_000_000 if clk in (5, 6) else 1))
        return 0

    def sys_gettimeofday(self, tv: int, tz: int, *_: int) -> int:
        ns = time.time_ns()
        if tv:
            self.mem.write(tv, struct.pack("<qq", ns // 10**9, ns // 1000 % 10**6))
        if tz:
            self.mem.write(tz, bytes(8))
        return 0

    def sys_time(self, tloc: int, *_: int) -> int:
        t = int(time.time())
        if tloc:
            self.mem.write_u64(tloc, t)
        return t

    def sys_nanosleep(self, req: int, rem: int, *_: int) -> int:
        sec, nsec = struct.unpack("<qq", self.mem.read(req, 16))
        if sec < 0 or not 0 <= nsec < 10**9:
            return -E.EINVAL
        return self._sleep(sec * 10**9 + nsec, rem)  # no real sleeping: see signals.py

    def sys_clock_nanosleep(self, clk: int, flags: int, req: int, rem: int, *_: int) -> int:
        if flags & 1:  # TIMER_ABSTIME: until a time on that clock
            sec, nsec = struct.unpack("<qq", self.mem.read(req, 16))
            now = time.clock_gettime_ns(_s32(clk)) if 0 <= _s32(clk) <= 11 else 0
            return self._sleep(max(0, sec * 10**9 + nsec - now), 0)
        return self.sys_nanosleep(req, rem)
