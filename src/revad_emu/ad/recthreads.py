"""The recorder's per-thread state, saved and restored at guest thread switches.

Memory shadow and tape are one for the whole process: a value one thread stores and another
loads keeps its node, exactly as a value moved within one thread does. What each thread has
for itself is its registers, so the register part of the shadow (the slots above 2**60) is
swapped with them, together with the instruction the hook saw last in that thread (the
compiled hook recognises later iterations of a `rep` instruction by it). A pending post-step
(the previous instruction's result still to be placed in the shadow) is run before the switch,
while that thread's registers are still live.
"""

from __future__ import annotations

from revad_emu.cpu.locations import gpr_loc

_SYSCALL_CLOBBERS = (0, 1, 4, 11)  # rax (0 in the child), rcx, rsp (new stack), r11


class RecorderThreads:
    """`threadswitch.ThreadPart` for a `Recorder`."""

    def __init__(self, rec) -> None:
        self.rec = rec

    def can_switch(self) -> bool:
        # An intercepted math call runs unrecorded until it returns to its caller; the
        # return is recognised by address, which another thread could reach first.
        rec = self.rec
        return rec.suppress is None and (rec.hot is None or rec.hot.suppress_ret == -1)

    def save(self) -> tuple:
        rec = self.rec
        rec.flush()
        return rec.sh.save_regs(), rec.prev, False

    def spawn(self) -> tuple:
        return self.rec.sh.save_regs(), -1, True

    def restore(self, state: tuple) -> None:
        rec = self.rec
        regs, prev, fresh = state
        rec.sh.load_regs(regs)
        if fresh:  # a new thread: a copy of its creator's registers, but for these
            for i in _SYSCALL_CLOBBERS:
                rec.sh.clear(gpr_loc(i), 8)
        if rec.hot is not None:
            rec.hot.prev = prev & 0xFFFF_FFFF_FFFF_FFFF
        else:
            rec._prev = prev
        rec.update_fp_mode()

    def clobbered(self, gprs: tuple[int, ...]) -> None:
        """These general registers were given new values from outside (a signal handler's
        arguments): their shadows go."""
        for i in gprs:
            self.rec.sh.clear(gpr_loc(i), 8)
