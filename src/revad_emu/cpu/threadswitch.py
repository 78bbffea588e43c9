"""The CPU side of guest threads: one Unicorn engine, one thread's registers at a time.

The kernel (linux/threads.py) decides when the current thread cannot go on and which thread
runs next; this module moves the CPU over. A switch happens between two `emu_start` calls
(never inside a hook): the hook that wants a switch stops the engine, the machine's run loop
calls `switch()`, which saves the whole CPU context of the current thread (GPRs, RIP, flags,
FS base, x87, SSE, MXCSR: `uc.context_save`), asks every registered layer above (the recorder:
its register shadow) to save its per-thread state, restores the next thread's, and returns the
address to resume at.

Time slices: with more than one live thread, the machine's instruction-budget check (the same
block-hook counter that enforces --max-instructions) also ends the current thread's slice every
`SLICE` instructions. The fixed slice length and the kernel's fixed round-robin order make the
interleaving, and so every printed result and tape, the same on every run.
"""

from __future__ import annotations

from typing import Protocol

from revad_emu.cpu import fastuc
from revad_emu.errors import EmulationError

EINTR_NEG = -4  # -EINTR
SLICE = 50_000  # instructions per time slice (deterministic, not a wall-clock quantum)
RETRY = 64  # instructions until the next look when a switch or a signal has to wait


class ThreadPart(Protocol):
    """A layer above the machine with per-thread state (the recorder's register shadow)."""

    def can_switch(self) -> bool:
        """False while a switch now would lose state (the slice is then extended)."""

    def save(self) -> object:
        """The current thread's state (called with its registers still live)."""

    def restore(self, state: object) -> None:
        """Make `state` (from save or spawn) current."""

    def spawn(self) -> object:
        """Initial state of a thread just created by the current one."""

    def clobbered(self, gprs: tuple[int, ...]) -> None:
        """These general registers got values from outside (a signal handler's arguments)."""


class ThreadSwitcher:
    """Saves and restores CPU contexts for the machine's guest threads."""

    def __init__(self, machine) -> None:
        self.m = machine
        self.parts: list[ThreadPart] = []
        self.slice = SLICE
        self.slice_end: int | None = None  # instruction count that ends the slice
        self.preempt = False  # the slice has ended: switch at the next stop
        self.switches = 0
        self.signal_stop = False  # a signal may be due (timer, sigreturn...): look at the stop
        self.sync = None  # a fault going to a handler: (signals.Pending, faulting pc)
        # `pause` instructions seen (spin-wait loops: libgomp's barriers, spin locks). Once
        # several threads exist each gets a code hook that ends the slice of a thread
        # spinning there while another thread can run, instead of burning the whole slice.
        self.pause_sites: set[int] = set()
        self._pause_hooked: set[int] = set()
        self._resume_pc: int | None = None

    @property
    def multi(self) -> bool:
        return len(self.m.kernel.threads) > 1

    # -- from inside hooks --------------------------------------------------------------
    def after_syscall(self, rip: int) -> None:
        """In the syscall hook: set up threads the call created, note where a blocked
        thread waits, and stop the engine if the current thread cannot go on."""
        k, f = self.m.kernel, self.m.fast
        for t in k.spawned:
            t.cpu = self.m.uc.context_save()
            t.start = {**(t.start or {}), "rip": rip + 2, "rax": 0}
            t.parts = [p.spawn() for p in self.parts]
        if k.spawned:
            k.spawned.clear()
            self._new_slice()
        if k.need_switch:
            cur = k.current
            cur.wait_pc, cur.wait_sp = rip, f.gpr(4)
            f.stop()
        elif k.signal_ready or k.sigreturn:
            self.signal_stop = True
            f.stop()

    def slice_over(self, instructions: int) -> bool:
        """From the budget check: True if this is the end of a time slice (the engine is
        stopped for a switch), False if the real --max-instructions budget is exceeded."""
        mx = self.m.max_instructions
        if mx is not None and instructions > mx:
            return False
        if self.m.kernel.timer_due():  # SIGALRM: stop here and deliver it
            self.signal_stop = True
            self.m.fast.stop()
            return True
        if self.slice_end is None or instructions <= self.slice_end:
            self.m.set_limit(self.limit())
            return True
        if not all(p.can_switch() for p in self.parts):
            self.slice_end = instructions + RETRY  # e.g. inside an intercepted math call
            self.m.set_limit(self.limit())
            return True
        self.preempt = True
        self.m.fast.stop()
        return True

    # -- between emu_start calls --------------------------------------------------------
    def wants_switch(self) -> bool:
        return (self.preempt or self.m.kernel.need_switch or self.signal_stop
                or self.sync is not None)

    def switch(self) -> int | None:
        """Between two emu_start calls: finish a rt_sigreturn, move the CPU to the next
        thread if the current one cannot or should not go on, and enter a signal handler
        if a signal is due. Returns the address to resume at (None: the process ended)."""
        from revad_emu.linux import sigframe

        m, k = self.m, self.m.kernel
        self.signal_stop = False
        if k.sigreturn:
            k.sigreturn = False
            sigframe.sigreturn(m)
        clean = all(p.can_switch() for p in self.parts)
        if self.sync is not None:
            p, pc = self.sync
            self.sync = None
            if not clean:  # the handler would run unrecorded: never silently
                raise EmulationError(
                    f"signal {p.sig} raised inside an intercepted math-library call at "
                    f"{m.describe(pc)}: a handler there is not supported")
            sigframe.deliver(m, p, fault_pc=pc)
            return self._resume()
        if self.preempt or k.need_switch:
            self._switch_thread()
            clean = all(p.can_switch() for p in self.parts)
        t = k.current
        if not clean and (k.signal_ready or t.pending_sigs or k.proc_pending):
            # Inside an intercepted math call (run unrecorded): look again in a moment.
            m._sync_counts()
            self.slice_end = m.stats.instructions + RETRY
        elif k.signal_ready or t.pending_sigs or k.proc_pending:
            p = k.take_signal(t)
            if k.exited:
                return None
            if p is not None:
                self._interrupted_call(t, p)
                sigframe.deliver(m, p)
        if t.restart_nr is not None and t.resume_rax == EINTR_NEG:  # its signal went elsewhere
            self._interrupted_call(t, None)
        return self._resume()

    def _interrupted_call(self, t, p) -> None:
        """A blocking call the signal cut short runs again after the handler (SA_RESTART,
        reads and writes) or returns EINTR."""
        from revad_emu.linux.signals import SA_RESTART

        if t.restart_nr is not None and t.resume_rax == EINTR_NEG:  # woken by a signal
            if p is None or p.action.flags & SA_RESTART:
                self.m.fast.set_gpr(0, t.restart_nr)
                self.m.fast.set_reg(fastuc.UC_RIP, self.m.fast.reg(fastuc.UC_RIP) - 2)
            else:
                self.m.fast.set_gpr(0, EINTR_NEG)
            t.restart_nr = t.resume_rax = None

    def _resume(self) -> int:
        self.m.set_limit(self.limit())
        self._resume_pc = self.m.fast.reg(fastuc.UC_RIP)
        return self._resume_pc

    def _switch_thread(self) -> None:
        m, k, uc = self.m, self.m.kernel, self.m.uc
        self.preempt = False
        cur = k.current
        if not all(p.can_switch() for p in self.parts):
            if cur.state == "runnable":
                return  # a preemption can wait: the slice was extended (slice_over)
            raise EmulationError(
                f"thread {cur.tid} blocked inside an intercepted math-library call "
                f"at {m.describe(m.fast.reg(fastuc.UC_RIP))}: not supported")
        nxt = k.schedule(where=self.where)
        if nxt is not cur:
            if cur.state != "dead" or self.parts:
                states = [p.save() for p in self.parts]
                if cur.state != "dead":
                    cur.cpu, cur.parts = uc.context_save(), states
                else:
                    cur.cpu, cur.parts = None, []
            uc.context_restore(nxt.cpu)
            if nxt.start:
                f = m.fast
                for name, v in nxt.start.items():
                    if name == "rip":
                        f.set_reg(fastuc.UC_RIP, v)
                    elif name == "fs_base":
                        f.set_reg(fastuc.UC_FS_BASE, v)
                    else:
                        f.set_gpr(fastuc.GPR_NAMES.index(name), v)
                nxt.start = None
            for p, st in zip(self.parts, nxt.parts, strict=True):
                p.restore(st)
            nxt.parts = []
            self.switches += 1
        k.enter(nxt)
        if nxt.restart_nr is not None and nxt.resume_rax == EINTR_NEG:
            m.fast.set_gpr(0, EINTR_NEG)  # cut short by a signal: see _interrupted_call
        elif nxt.restart_nr is not None:  # woken from a blocking read/write: run it again
            m.fast.set_gpr(0, nxt.restart_nr)
            m.fast.set_reg(fastuc.UC_RIP, m.fast.reg(fastuc.UC_RIP) - 2)
            nxt.restart_nr = nxt.resume_rax = None
        elif nxt.resume_rax is not None:
            m.fast.set_gpr(0, nxt.resume_rax)
            nxt.resume_rax = None
        self._new_slice()
        self._hook_pauses()

    def note_pause(self, addr: int) -> None:
        """From block vetting: a `pause` at addr. With several threads, stop now (the block
        has not run yet) so the next switch can hook it before the loop spins a slice away."""
        self.pause_sites.add(addr)
        if addr not in self._pause_hooked and len(self.m.kernel.live_threads) > 1:
            self.preempt = True
            self.m.fast.stop()

    def _hook_pauses(self) -> None:
        new = self.pause_sites - self._pause_hooked
        if not new or len(self.m.kernel.live_threads) < 2:
            return
        for a in sorted(new):
            self.m.fast.hook_code(self.m._guard(self._pause_hit), a, a)
        self._pause_hooked |= new
        self.m.uc.ctl_flush_tb()  # translated blocks do not call hooks added after them

    def _pause_hit(self, addr: int, _size: int) -> None:
        if addr == self._resume_pc:  # resuming at the pause it stopped at: run it
            self._resume_pc = None
            return
        self._resume_pc = None
        k = self.m.kernel
        if any(t.state == "runnable" for t in k.threads if t is not k.current):
            self.preempt = True
            self.m.fast.stop()

    def _new_slice(self) -> None:
        m = self.m
        if self.multi and len(m.kernel.live_threads) > 1:
            m._sync_counts()
            self.slice_end = m.stats.instructions + self.slice
        else:
            self.slice_end = None
        m.set_limit(self.limit())

    def limit(self) -> int | None:
        """The instruction count the block hook checks against: the budget, the end of the
        time slice, or the interval timer's expiry, whichever comes first."""
        cands = [c for c in (self.m.max_instructions, self.slice_end,
                             self.m.kernel.timer_instruction()) if c is not None]
        return min(cands) if cands else None

    def where(self, t) -> str:
        """Where a blocked thread waits: its syscall and the program's frame found on its
        stack (a scan for a return address into the program with a source line)."""
        m = self.m
        text = m.describe(t.wait_pc) if t.wait_pc else "(not started)"
        mod = m.symbols.module
        for i in range(512):
            raw = m.fast.mem(t.wait_sp + 8 * i, 8) if t.wait_sp else None
            if raw is None:
                break
            v = int.from_bytes(raw, "little")
            hit = mod(v)
            if hit is not None and hit[1].path == m.exe.path and m.symbols.line(v) is not None:
                return f"{text}, called from {m.describe(v)}"
        return text
