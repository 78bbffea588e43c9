"""Signals: actions, masks, pending sets, timers; which signal a thread takes next.

The kernel side only: what is pending for whom, what the action is, and when a default action
ends the process. Running a handler (a signal frame on the guest stack, rt_sigreturn) needs the
CPU and is the machine's (sigframe.py): after every system call, at thread switches and after
a fault, the machine asks `take_signal()` for the current thread and builds the frame.

Time for alarm/setitimer(ITIMER_REAL) is emulated: the guest's timer clock advances one
nanosecond per executed instruction, and jumps to the next expiry when every thread is blocked
(pause, sigsuspend, a futex wait...), so a program waiting for SIGALRM neither burns host time
nor depends on it, and runs the same way every time.
"""

from __future__ import annotations

import errno as E
import struct
from dataclasses import dataclass

from .abi import _SIG_IGNORED, _SIG_STOPPING, GUEST_PID, SIGKILL, SIGSTOP, _s32
from .sandbox import _Refused
from .threads import WouldBlock

SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 4, 0x0800_0000, 0x1000_0000
SA_NODEFER, SA_RESETHAND, SA_RESTORER = 0x4000_0000, 0x8000_0000, 0x0400_0000
SS_ONSTACK, SS_DISABLE = 1, 2
SIGALRM, SIGVTALRM, SIGPROF = 14, 26, 27
SI_USER, SI_KERNEL, SI_TKILL = 0, 0x80, -6
NS_PER_INSTRUCTION = 1  # the emulated clock of the interval timers
_UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


@dataclass
class Action:
    handler: int
    flags: int
    restorer: int
    mask: int


@dataclass
class Pending:
    """One signal taken for delivery: its number, action and siginfo fields."""

    sig: int
    action: Action
    code: int = SI_USER
    addr: int = 0  # the faulting address (SIGSEGV, SIGFPE, SIGILL)
    pid: int = GUEST_PID


class SignalCalls:
    """Kernel part: signals (a mixin of `Kernel`)."""

    def _init_signals(self) -> None:
        self.proc_pending: dict[int, Pending] = {}  # process-directed (kill, alarm)
        self.instructions = lambda: 0  # set by the machine: the emulated timer clock
        self._clock_skip = 0  # ns the timer clock jumped while every thread slept
        self.itimer: tuple[int | None, int] = (None, 0)  # (expiry ns, interval ns)
        self.signal_ready = False  # something may be deliverable: the machine should look
        self.sigreturn = False  # rt_sigreturn was called: the machine restores the frame

    # -- actions and state ------------------------------------------------------------------

    def action(self, sig: int) -> Action:
        h, f, r, m = struct.unpack("<4Q", self._sigactions.get(sig, bytes(32)))
        return Action(h, f, r, m)

    def _ignored(self, sig: int) -> bool:
        h = self.action(sig).handler
        return h == SIG_IGN or (h == SIG_DFL and sig in _SIG_IGNORED | _SIG_STOPPING)

    def raise_signal(self, sig: int, tid: int | None = None, code: int = SI_USER,
                     addr: int = 0) -> None:
        """Generate sig for thread tid (None: the process). Ignored signals vanish; a
        blocked thread that can take it wakes up (EINTR, or its call restarts)."""
        if self._ignored(sig):
            return
        p = Pending(sig, self.action(sig), code, addr)
        if p.action.handler == SIG_DFL:  # fatal by default: the process ends now, unless
            targets = self.live_threads if tid is None else [self._thread(tid)]  # blocked
            if any(t is not None and not self._mask_of(t) & (1 << (sig - 1)) for t in targets):
                self.exited, self.term_signal = True, sig
                return
        if tid is None:
            self.proc_pending.setdefault(sig, p)
        else:
            t = self._thread(tid)
            if t is None:
                return
            t.pending_sigs.setdefault(sig, p)
        self.signal_ready = True
        for t in self.threads:
            if t.state == "blocked" and t.sigwait_set & (1 << (sig - 1)):
                t.sigwait_set = 0
                self._unblock(t, 0)  # its rt_sigtimedwait runs again and takes it
            elif t.state == "blocked" and self._can_take(t):
                self._interrupt(t)

    def _mask_of(self, t) -> int:
        return self._sigmask if t is self.current else t.sigmask

    def _can_take(self, t) -> bool:
        mask = self._mask_of(t)
        return any(not mask & (1 << (s - 1)) for s in (*t.pending_sigs, *self.proc_pending))

    def _interrupt(self, t) -> None:
        """A signal for a blocked thread: its call ends with EINTR (or restarts after the
        handler with SA_RESTART)."""
        restart = t.restart_nr
        self._unblock(t, -E.EINTR)
        t.restart_nr = restart  # decided at delivery, when the action is known

    def take_signal(self, t) -> Pending | None:
        """The next signal thread t takes now (removed from the pending sets), or None.
        A default fatal action ends the process here (`exited`, `term_signal`)."""
        mask = self._mask_of(t)
        for pend in (t.pending_sigs, self.proc_pending):
            for sig in sorted(pend):
                if mask & (1 << (sig - 1)):
                    continue
                p = pend.pop(sig)
                act = self.action(sig)
                if act.handler == SIG_IGN or (act.handler == SIG_DFL and
                                              sig in _SIG_IGNORED | _SIG_STOPPING):
                    continue
                if act.handler == SIG_DFL:
                    self.exited, self.term_signal = True, sig
                    return None
                p.action = act
                if act.flags & SA_RESETHAND:
                    self._sigactions.pop(sig, None)
                return p
        if t is self.current:
            self.signal_ready = False  # what is left is blocked: sigprocmask looks again
        return None

    def fault_action(self, sig: int) -> Action | None:
        """The handler a synchronous fault (SIGSEGV/SIGFPE/SIGILL/SIGBUS) goes to now, or None
        when the process dies of it (no handler, or the signal is blocked: Linux kills)."""
        act = self.action(sig)
        if act.handler in (SIG_DFL, SIG_IGN) or self._sigmask & (1 << (sig - 1)):
            return None
        if act.flags & SA_RESETHAND:
            self._sigactions.pop(sig, None)
        return act

    # -- emulated timer clock ------------------------------------------------------------

    def now_ns(self) -> int:
        return self.instructions() * NS_PER_INSTRUCTION + self._clock_skip

    def timer_due(self) -> bool:
        """Fire the interval timer if it has expired (SIGALRM to the process)."""
        exp, interval = self.itimer
        if exp is None or self.now_ns() < exp:
            return False
        self.itimer = (exp + interval if interval else None, interval)
        self.raise_signal(SIGALRM)
        return True

    def timer_instruction(self) -> int | None:
        """The instruction count at which the timer expires (the machine stops there)."""
        exp = self.itimer[0]
        if exp is None:
            return None
        return max(0, (exp - self._clock_skip) // NS_PER_INSTRUCTION)

    def sleep_until_timer(self) -> bool:
        """Every thread is blocked: let the timer clock jump to the expiry and fire it."""
        exp = self.itimer[0]
        if exp is None:
            return False
        self._clock_skip += max(0, exp - self.now_ns())
        return self.timer_due()

    def _sleep(self, ns: int, rem: int) -> int:
        """nanosleep: no host time passes. The timer clock moves on by the sleep, and other
        threads get the CPU (a switch point); a timer expiring meanwhile cuts the sleep
        short when its signal has a handler (EINTR, the rest written to rem)."""
        exp, now = self.itimer[0], self.now_ns()
        if exp is not None and exp <= now + ns:
            self._clock_skip += max(0, exp - now)
            self.timer_due()
            if self._can_take(self.current):
                if rem:
                    left = now + ns - max(exp, now)
                    self.mem.write(rem, struct.pack("<qq", *divmod(left, 10**9)))
                return -E.EINTR
            ns = max(0, now + ns - exp)
        self._clock_skip += ns
        self.sys_sched_yield()
        return 0

    # -- system calls -------------------------------------------------------------------

    def sys_rt_sigaction(self, sig: int, act: int, oact: int, size: int, *_: int) -> int:
        if size != 8 or not 1 <= sig <= 64:
            return -E.EINVAL
        if oact:
            self.mem.write(oact, self._sigactions.get(sig, bytes(32)))
        if act:
            if sig in (SIGKILL, SIGSTOP):
                return -E.EINVAL
            raw = self.mem.read(act, 32)
            if raw[:8] == bytes(8):
                self._sigactions.pop(sig, None)
            else:
                self._sigactions[sig] = raw
            if self._ignored(sig):  # setting SIG_IGN discards what is pending
                self.proc_pending.pop(sig, None)
                for t in self.threads:
                    t.pending_sigs.pop(sig, None)
        return 0

    def sys_rt_sigprocmask(self, how: int, new: int, old: int, size: int, *_: int) -> int:
        if size != 8:
            return -E.EINVAL
        if new:
            v = self.mem.read_u64(new)
            if how == 0:
                mask = self._sigmask | v
            elif how == 1:
                mask = self._sigmask & ~v
            elif how == 2:
                mask = v
            else:
                return -E.EINVAL
        if old:
            self.mem.write_u64(old, self._sigmask)
        if new:
            self._sigmask = mask & ~_UNBLOCKABLE
            self.signal_ready = True  # an unblocked pending signal is delivered now
        return 0

    def sys_rt_sigpending(self, ptr: int, size: int, *_: int) -> int:
        bits = 0
        for s in (*self.current.pending_sigs, *self.proc_pending):
            bits |= 1 << (s - 1)
        self.mem.write_u64(ptr, bits & self._sigmask)
        return 0

    def sys_sigaltstack(self, ss: int, oss: int, *_: int) -> int:
        if oss:
            self.mem.write(oss, self._altstack)
        if ss:
            raw = self.mem.read(ss, 24)
            _sp, flags, _pad, size = struct.unpack("<QiiQ", raw)
            if flags & ~(SS_DISABLE | SS_ONSTACK):
                return -E.EINVAL
            if not flags & SS_DISABLE and size < 2048:
                return -E.ENOMEM
            self._altstack = raw
        return 0

    def _signal_target(self, sig: int) -> int:
        if sig == 0:
            return 0
        if not 1 <= sig <= 64:
            return -E.EINVAL
        return 1

    def sys_kill(self, pid: int, sig: int, *_: int) -> int:
        if _s32(pid) in (0, -1, GUEST_PID):
            ok = self._signal_target(_s32(sig))
            if ok == 1:
                self.raise_signal(_s32(sig))
            return min(ok, 0)
        raise _Refused(E.EPERM, f"kill({_s32(pid)}, {_s32(sig)}) refused: "
                                "signals to other processes are not allowed")  # fmt: skip

    def sys_tgkill(self, tgid: int, tid: int, sig: int, *_: int) -> int:
        if _s32(tgid) != GUEST_PID:
            return self.sys_kill(tgid, sig)
        return self.sys_tkill(tid, sig)

    def sys_tkill(self, tid: int, sig: int, *_: int) -> int:
        if self._thread(_s32(tid)) is None:
            return -E.ESRCH
        ok = self._signal_target(_s32(sig))
        if ok == 1:
            self.raise_signal(_s32(sig), _s32(tid), SI_TKILL)
        return min(ok, 0)

    def sys_rt_sigtimedwait(self, setp: int, info: int, timeout: int, size: int,
                            *_: int) -> int:
        """sigwait/sigwaitinfo/sigtimedwait: take a pending signal of the set (blocked ones
        included) without running its handler, or wait for one."""
        if size != 8:
            return -E.EINVAL
        want = self.mem.read_u64(setp) & ~_UNBLOCKABLE
        t = self.current
        for pend in (t.pending_sigs, self.proc_pending):
            for sig in sorted(pend):
                if want & (1 << (sig - 1)):
                    p = pend.pop(sig)
                    if info:
                        raw = (struct.pack("<iiiiQ", sig, 0, p.code, 0, p.addr) if p.addr else
                               struct.pack("<iiiiiI", sig, 0, p.code, 0, p.pid, 1000))
                        self.mem.write(info, raw.ljust(128, b"\0"))
                    return sig
        timeout_ns = self._timespec_ns(timeout)
        if timeout_ns == 0:
            return -E.EAGAIN
        t.sigwait_set = want
        deadline = None if timeout_ns is None else self.now_ns() + timeout_ns
        raise WouldBlock([], "sigtimedwait (waiting for a signal)", deadline, -E.EAGAIN)

    def sys_pause(self, *_: int) -> int:
        return self._block([], "pause (waiting for a signal)", timeout_rax=-E.EINTR)

    def sys_rt_sigreturn(self, *_: int) -> int:
        self.sigreturn = True  # the machine puts back the interrupted state (sigframe.py)
        return 0

    def sys_rt_sigsuspend(self, mask: int, size: int, *_: int) -> int:
        if size != 8:
            return -E.EINVAL
        t = self.current
        if t.suspend_mask is None:
            t.suspend_mask = self._sigmask  # back in place after the handler
        self._sigmask = self.mem.read_u64(mask) & ~_UNBLOCKABLE
        if self._can_take(t):
            self.signal_ready = True
            return -E.EINTR
        return self._block([], "sigsuspend (waiting for a signal)", timeout_rax=-E.EINTR)

    def sys_alarm(self, seconds: int, *_: int) -> int:
        exp, _i = self.itimer
        left = 0 if exp is None else -(-(exp - self.now_ns()) // 10**9)
        self.itimer = (self.now_ns() + (seconds & 0xFFFF_FFFF) * 10**9 if seconds else None, 0)
        self.signal_ready = True
        return max(left, 0)

    def _itimerval(self) -> bytes:
        exp, interval = self.itimer
        left = 0 if exp is None else max(exp - self.now_ns(), 1)
        return struct.pack("<4q", interval // 10**9, interval // 1000 % 10**6,
                           left // 10**9, left // 1000 % 10**6)  # fmt: skip

    def sys_getitimer(self, which: int, cur: int, *_: int) -> int:
        if which != 0:
            return -E.EINVAL if which not in (1, 2) else self._no_vtimer(which)
        self.mem.write(cur, self._itimerval())
        return 0

    def _no_vtimer(self, which: int) -> int:
        raise _Refused(E.EINVAL, f"setitimer({which}) refused: only ITIMER_REAL is emulated")

    def sys_setitimer(self, which: int, new: int, old: int, *_: int) -> int:
        if which != 0:
            return -E.EINVAL if which not in (1, 2) else self._no_vtimer(which)
        if old:
            self.mem.write(old, self._itimerval())
        isec, iusec, vsec, vusec = struct.unpack("<4q", self.mem.read(new, 32))
        if min(isec, iusec, vsec, vusec) < 0 or iusec >= 10**6 or vusec >= 10**6:
            return -E.EINVAL
        value = vsec * 10**9 + vusec * 1000
        self.itimer = (self.now_ns() + value if value else None, isec * 10**9 + iusec * 1000)
        self.signal_ready = True
        return 0
