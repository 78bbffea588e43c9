"""Guest threads, run one at a time in a fixed order (so a run, and its tape, is reproducible).

The kernel side of threads: ids, clone/clone3, futex, exit vs exit_group, CLONE_CHILD_CLEARTID,
robust lists, sched_yield, and the scheduler's choice of the next thread. The CPU side (saving
and restoring registers, FS base, x87/SSE state, and the register shadows of layers above) is
the machine's: the kernel only says *that* the current thread cannot go on (`need_switch`) and
*which* thread runs next (`schedule`). A thread switch happens at a blocking futex wait, at
sched_yield, at a thread's exit, and every N instructions (the machine's time slice).

Waiting with a timeout never lets time pass while another thread can run; when every thread is
blocked, the one whose deadline comes first times out (as if the others were infinitely fast).
When every thread is blocked with no deadline, the run stops with a `Deadlock` naming each
thread and where it waits.
"""

from __future__ import annotations

import errno as E
import struct
import time
from dataclasses import dataclass, field

from ..errors import EmulationError
from .abi import GUEST_PID, _s32
from .futex import (
    FUTEX_BITSET_MATCH_ANY,
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMD_MASK,
    FUTEX_CMP_REQUEUE,
    FUTEX_REQUEUE,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
    FutexTable,
    Waiter,
    wake_op_apply,
)
from .sandbox import _Refused

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_VFORK, CLONE_PARENT, CLONE_THREAD = 0x1000, 0x4000, 0x8000, 0x10000
CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID = 0x20000, 0x40000, 0x80000, 0x100000
CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_UNTRACED = 0x200000, 0x400000, 0x800000
CLONE_CHILD_SETTID = 0x1000000
# What a thread needs; anything outside _THREAD_OK (namespaces, vfork...) is refused.
_THREAD_NEEDS = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND
_THREAD_OK = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
              | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED
              | CLONE_CHILD_SETTID | CLONE_UNTRACED)  # fmt: skip
MAX_THREADS = 4096


class Deadlock(EmulationError):
    """Every guest thread is blocked and none can ever be woken."""


class WouldBlock(Exception):
    """Raised by a syscall handler that must wait: the thread blocks on `keys` and runs the
    call again when woken (or returns timeout_rax at the deadline)."""

    def __init__(self, keys: list, what: str, deadline: int | None = None,
                 timeout_rax: int = 0) -> None:
        super().__init__(what)
        self.keys, self.what, self.deadline, self.timeout_rax = keys, what, deadline, timeout_rax


@dataclass(eq=False)
class Thread:
    """One guest thread as the kernel sees it."""

    tid: int
    state: str = "runnable"  # "runnable", "blocked" or "dead"
    clear_tid: int = 0  # CLONE_CHILD_CLEARTID / set_tid_address: zeroed + woken at exit
    robust_list: int = 0
    sigmask: int = 0
    waiters: list[Waiter] = field(default_factory=list)  # one per queue it waits in
    deadline: int | None = None  # when its wait times out (ns, guest clock), None: never
    timeout_rax: int = -E.ETIMEDOUT  # what the call returns when it times out
    restart_nr: int | None = None  # run this syscall again when woken (a blocking read)
    wait_what: str = ""  # what it waits for, for the deadlock message
    # Set by the machine: CPU state (opaque here), where a blocked thread's syscall was, and
    # register values a new thread starts with.
    cpu: object = None
    wait_pc: int = 0
    wait_sp: int = 0
    start: dict[str, int] | None = None
    parts: list = field(default_factory=list)  # saved state of layers above (recorder)
    resume_rax: int | None = None  # the result its blocking syscall returns when it resumes
    pending_sigs: dict = field(default_factory=dict)  # thread-directed: sig -> signals.Pending
    suspend_mask: int | None = None  # the mask rt_sigsuspend replaced, until its handler ran
    altstack: bytes = struct.pack("<QiiQ", 0, 2, 0, 0)  # sigaltstack: SS_DISABLE
    sigframes: list = field(default_factory=list)  # the machine's saved state per handler
    sigwait_set: int = 0  # signals an rt_sigtimedwait is waiting for
    exit_status: int = 0


class ThreadCalls:
    """Kernel part: threads and futexes (a mixin of `Kernel`)."""

    def _init_threads(self) -> None:
        main = Thread(GUEST_PID)
        self.threads: list[Thread] = [main]
        self.current: Thread = main
        self.futexes = FutexTable()
        self.need_switch = False  # the current thread cannot (or should not) go on now
        self.spawned: list[Thread] = []  # created by the last syscall: the machine sets them up
        self._next_tid = GUEST_PID + 1

    # -- scheduling (called by the machine) -----------------------------------------------

    @property
    def live_threads(self) -> list[Thread]:
        return [t for t in self.threads if t.state != "dead"]

    def schedule(self, where=None) -> Thread:
        """The thread to run next: the first runnable one after the current in tid order
        (round robin); if all are blocked, the earliest deadline times out; else Deadlock."""
        live = self.live_threads
        if not live:
            raise EmulationError("no thread left to run")
        order = sorted(live, key=lambda t: t.tid)
        cur = self.current.tid
        after = [t for t in order if t.tid > cur] + [t for t in order if t.tid <= cur]
        for t in after:
            if t.state == "runnable":
                return t
        timed = [t for t in after if t.state == "blocked" and t.deadline is not None]
        if timed:
            t = min(timed, key=lambda t: t.deadline)
            t.restart_nr = None
            self._unblock(t, t.timeout_rax)
            return t
        # signals.py: the timer clock jumps to the expiry, which may wake a thread
        if self.sleep_until_timer() and any(t.state == "runnable" for t in live):
            return self.schedule(where)
        raise Deadlock(self.deadlock_text(where))

    def deadlock_text(self, where=None) -> str:
        parts = []
        for t in self.live_threads:
            loc = f" at {where(t)}" if where is not None else ""
            parts.append(f"thread {t.tid} waits in {t.wait_what or 'an unknown call'}{loc}")
        if len(parts) == 1:
            return f"deadlock: the only thread left waits forever: {parts[0]}"
        return ("deadlock: every thread is blocked and none can wake another: "
                + "; ".join(parts))

    def enter(self, t: Thread) -> None:
        """Make t the current thread (kernel-side per-thread state: the signal mask)."""
        cur = self.current
        cur.sigmask, cur.altstack = self._sigmask, self._altstack
        self._sigmask, self._altstack = t.sigmask, t.altstack
        self.current = t
        self.need_switch = False

    def _block(self, keys: list, what: str, *, bitset: int = FUTEX_BITSET_MATCH_ANY,
               deadline: int | None = None, timeout_rax: int = -E.ETIMEDOUT,
               restart_nr: int | None = None) -> int:
        """Block the current thread in the queue of every key (a futex address, or a
        channel's key for reads, writes and polls) until one wakes it or the deadline."""
        t = self.current
        t.state, t.wait_what, t.resume_rax = "blocked", what, None
        t.deadline, t.timeout_rax, t.restart_nr = deadline, timeout_rax, restart_nr
        t.waiters = [Waiter(t, k, bitset, deadline) for k in keys]
        for w in t.waiters:
            self.futexes.wait(w)
        self.need_switch = True
        return 0  # placeholder: resume_rax is what the thread sees when it runs again

    def _unblock(self, t: Thread, rax: int) -> None:
        for w in t.waiters:
            self.futexes.remove(w)
        t.state, t.waiters, t.resume_rax, t.deadline = "runnable", [], rax, None

    def _wait_restart(self, nr: int, wb: WouldBlock) -> int:
        """A call that must wait (empty pipe...): block, and run it again once woken."""
        return self._block(wb.keys, wb.what, deadline=wb.deadline, timeout_rax=wb.timeout_rax,
                           restart_nr=nr)

    # -- clone ------------------------------------------------------------------------------

    def _new_thread(self, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        if flags & _THREAD_NEEDS != _THREAD_NEEDS or flags & ~_THREAD_OK & ~0xFF:
            raise _Refused(E.ENOSYS, f"clone(flags={flags:#x}) refused: new processes are not "
                                     "supported (only threads: CLONE_VM|CLONE_THREAD)")
        if len(self.live_threads) >= MAX_THREADS:
            return -E.EAGAIN
        tid = self._next_tid
        t = Thread(tid, sigmask=self._sigmask)
        t.start = {"rsp": stack}
        if flags & CLONE_SETTLS:
            t.start["fs_base"] = tls
        if flags & CLONE_PARENT_SETTID:
            self.mem.write(ptid, struct.pack("<I", tid))
        if flags & CLONE_CHILD_SETTID:
            self.mem.write(ctid, struct.pack("<I", tid))
        if flags & CLONE_CHILD_CLEARTID:
            t.clear_tid = ctid
        self._next_tid += 1
        self.threads.append(t)
        self.spawned.append(t)
        return tid

    def sys_clone(self, flags: int, stack: int, ptid: int, ctid: int, tls: int, *_: int) -> int:
        return self._new_thread(flags & 0xFFFF_FFFF, stack, ptid, ctid, tls)

    def sys_clone3(self, args: int, size: int, *_: int) -> int:
        if size < 64:
            return -E.EINVAL
        (flags, _pidfd, ctid, ptid, _exit_signal, stack, stack_size,
         tls) = struct.unpack("<8Q", self.mem.read(args, 64))
        if not stack or not stack_size:
            return -E.EINVAL  # a thread sharing the caller's stack is not something glibc does
        return self._new_thread(flags, stack + stack_size, ptid, ctid, tls)

    # -- ids and small calls --------------------------------------------------------------

    def sys_gettid(self, *_: int) -> int:
        return self.current.tid

    def sys_set_tid_address(self, ptr: int, *_: int) -> int:
        self.current.clear_tid = ptr
        return self.current.tid

    def sys_set_robust_list(self, head: int, length: int, *_: int) -> int:
        if length != 24:
            return -E.EINVAL
        self.current.robust_list = head
        return 0

    def sys_get_robust_list(self, tid: int, head_ptr: int, len_ptr: int, *_: int) -> int:
        t = self._thread(_s32(tid) or self.current.tid)
        if t is None:
            return -E.ESRCH
        self.mem.write_u64(head_ptr, t.robust_list)
        self.mem.write_u64(len_ptr, 24)
        return 0

    def sys_rseq(self, *_: int) -> int:
        return -E.ENOSYS  # glibc then runs without restartable sequences

    def sys_sched_yield(self, *_: int) -> int:
        if any(t.state == "runnable" for t in self.threads if t is not self.current):
            self.need_switch = True
        return 0

    def _thread(self, tid: int) -> Thread | None:
        for t in self.threads:
            if t.tid == tid and t.state != "dead":
                return t
        return None

    # -- exit -------------------------------------------------------------------------------

    def sys_exit(self, status: int, *_: int) -> int:
        """One thread ends; the process ends with the last one."""
        t = self.current
        t.state, t.exit_status = "dead", status & 0xFF
        if t.clear_tid:
            try:
                self.mem.write(t.clear_tid, bytes(4))
            except Exception:  # noqa: BLE001  (an unmapped address: Linux ignores it too)
                pass
            else:
                self._wake(t.clear_tid, 1)
        if not self.live_threads:
            self.exited, self.exit_status = True, status & 0xFF
        else:
            self.need_switch = True
        return 0

    def sys_exit_group(self, status: int, *_: int) -> int:
        self.exited, self.exit_status = True, status & 0xFF
        return 0

    # -- futex ------------------------------------------------------------------------------

    def _wake(self, addr, n: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
        woken = self.futexes.wake(addr, n, bitset)
        for w in woken:
            if w.thread.state == "blocked":
                self._unblock(w.thread, 0)
        return len(woken)

    def _deadline(self, timeout: int, absolute: bool, realtime: bool) -> int | None:
        if not timeout:
            return None
        sec, nsec = struct.unpack("<qq", self.mem.read(timeout, 16))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise OSError(E.EINVAL, "bad timespec")
        ns = sec * 10**9 + nsec
        if absolute:
            return ns
        clock = time.CLOCK_REALTIME if realtime else time.CLOCK_MONOTONIC
        return time.clock_gettime_ns(clock) + ns

    def sys_futex(self, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int,
                  *_: int) -> int:
        cmd = op & FUTEX_CMD_MASK & 0xFFFF_FFFF
        val &= 0xFFFF_FFFF
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            bitset = val3 & 0xFFFF_FFFF if cmd == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
            if bitset == 0:
                return -E.EINVAL
            word = struct.unpack("<I", self.mem.read(uaddr, 4))[0]
            if word != val:
                return -E.EAGAIN
            deadline = self._deadline(timeout, cmd == FUTEX_WAIT_BITSET,
                                      bool(op & FUTEX_CLOCK_REALTIME))
            return self._block([uaddr], f"futex_wait({uaddr:#x}, value {val})", bitset=bitset,
                                deadline=deadline)
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
            bitset = val3 & 0xFFFF_FFFF if cmd == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
            if bitset == 0:
                return -E.EINVAL
            return self._wake(uaddr, _s32(val), bitset)
        if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
            if cmd == FUTEX_CMP_REQUEUE:
                word = struct.unpack("<I", self.mem.read(uaddr, 4))[0]
                if word != val3 & 0xFFFF_FFFF:
                    return -E.EAGAIN
            n = self._wake(uaddr, _s32(val))
            return n + self.futexes.requeue(uaddr, uaddr2, _s32(timeout & 0xFFFF_FFFF))
        if cmd == FUTEX_WAKE_OP:
            old = struct.unpack("<I", self.mem.read(uaddr2, 4))[0]
            new, hit = wake_op_apply(val3 & 0xFFFF_FFFF, old)
            self.mem.write(uaddr2, struct.pack("<I", new))
            n = self._wake(uaddr, _s32(val))
            if hit:
                n += self._wake(uaddr2, _s32(timeout & 0xFFFF_FFFF))
            return n
        return -E.ENOSYS  # PI futexes, FUTEX_FD, futex_waitv: not emulated
