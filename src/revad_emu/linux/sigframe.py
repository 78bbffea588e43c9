"""Running guest signal handlers: the signal frame on the guest stack, and rt_sigreturn.

The frame has Linux's x86-64 layout (the handler may read or change it through its ucontext:
`uc_mcontext.gregs[REG_RIP]`, the saved mask...): the return address (the action's restorer,
which calls rt_sigreturn), a ucontext (flags, link, the alternate stack, 23 general registers
with RIP, flags, CR2 and the old mask, an FPU-state pointer, the signal mask) and a siginfo.
The FPU pointer is 0: x87/SSE/MXCSR/FS state is saved here instead, together with the whole
CPU context and the per-thread state of the layers above (the recorder's register shadow),
and put back by rt_sigreturn, which then takes the general registers, RIP and flags from the
frame, so a handler's changes to them count. Derivatives therefore survive a handler: memory
keeps its shadow, and registers get theirs back with their values.
"""

from __future__ import annotations

import struct

from revad_emu.cpu import fastuc
from revad_emu.errors import EmulationError
from revad_emu.linux.signals import SA_NODEFER, SA_ONSTACK, SA_RESTORER, SS_DISABLE, SS_ONSTACK

UCONTEXT = 304  # flags, link, stack_t (24), sigcontext (256), sigmask (8)
SIGINFO = 128
FRAME = 8 + UCONTEXT + SIGINFO
_GREGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx",
          "rdx", "rax", "rcx", "rsp")  # then rip, eflags, csgsfs, err, trapno, oldmask, cr2
_GPR = {n: fastuc.GPR_NAMES.index(n) for n in _GREGS}
_UNBLOCKABLE = (1 << 8) | (1 << 18)
_HANDLER_ARGS = (0, 2, 4, 6, 7)  # rax, rdx, rsp, rsi, rdi: set for the handler
MAX_NESTED = 64


def deliver(m, p, *, fault_pc: int | None = None) -> None:
    """Build the frame for pending signal p on the current thread and enter its handler."""
    f, k = m.fast, m.kernel
    t = k.current
    act = p.action
    if not act.flags & SA_RESTORER or not act.restorer:
        raise EmulationError(f"signal {p.sig}: handler at {m.describe(act.handler)} has no "
                             "SA_RESTORER return path (not set up through libc)")
    if fault_pc is not None:
        f.set_reg(fastuc.UC_RIP, fault_pc)
    regs = [f.gpr(_GPR[n]) for n in _GREGS]
    rip, eflags = f.reg(fastuc.UC_RIP), f.reg(fastuc.UC_EFLAGS)
    sp = regs[-1]
    alt_sp, alt_flags, _pad, alt_size = struct.unpack("<QiiQ", k._altstack)
    alt_on = not alt_flags & SS_DISABLE
    on_alt = alt_on and alt_sp <= sp < alt_sp + alt_size
    if act.flags & SA_ONSTACK and alt_on and not on_alt:
        sp = alt_sp + alt_size
    else:
        sp -= 128  # the interrupted code's red zone
    frame = ((sp - FRAME) & ~15) - 8  # the handler starts as if called: (rsp + 8) % 16 == 0
    old_mask = k._sigmask if t.suspend_mask is None else t.suspend_mask
    t.suspend_mask = None
    stack_t = struct.pack("<QiiQ", alt_sp, SS_ONSTACK if on_alt else alt_flags & SS_DISABLE, 0,
                          alt_size)  # fmt: skip
    gregs = struct.pack("<16Q", *regs) + struct.pack(
        "<QQHHHHQQQQ", rip, eflags, 0x33, 0, 0, 0x2B, 0, 14 if p.addr else 0, old_mask, p.addr)
    mcontext = gregs + struct.pack("<Q", 0) + bytes(64)
    ucontext = struct.pack("<QQ", 0, 0) + stack_t + mcontext + struct.pack("<Q", old_mask)
    assert len(ucontext) == UCONTEXT
    if p.addr:
        info = struct.pack("<iiiiQ", p.sig, 0, p.code, 0, p.addr)
    else:
        info = struct.pack("<iiiiiI", p.sig, 0, p.code, 0, p.pid, 1000)
    m.mem.write(frame, struct.pack("<Q", act.restorer) + ucontext + info.ljust(SIGINFO, b"\0"))
    parts = [part.save() for part in m.threads.parts]
    if len(t.sigframes) >= MAX_NESTED:  # handlers that longjmp'ed out leave theirs behind
        del t.sigframes[0]
    t.sigframes.append((frame, m.uc.context_save(), parts))
    mask = old_mask | act.mask | (0 if act.flags & SA_NODEFER else 1 << (p.sig - 1))
    k._sigmask = mask & ~_UNBLOCKABLE
    for reg, v in ((7, p.sig), (6, frame + 8 + UCONTEXT), (2, frame + 8), (0, 0), (4, frame)):
        f.set_gpr(reg, v)
    f.set_reg(fastuc.UC_EFLAGS, eflags & ~0x400)  # DF clear, as the ABI wants at a call
    f.set_reg(fastuc.UC_RIP, act.handler)
    for part in m.threads.parts:
        part.clobbered(_HANDLER_ARGS)


def sigreturn(m) -> None:
    """rt_sigreturn: the state the handler interrupted, with the frame's registers."""
    f, k = m.fast, m.kernel
    t = k.current
    frame = f.gpr(4) - 8  # the handler's `ret` popped the restorer's address
    raw = m.mem.read(frame + 8, UCONTEXT)
    gregs = struct.unpack_from("<16QQQ", raw, 40)
    mask = struct.unpack_from("<Q", raw, 296)[0]
    for part in m.threads.parts:
        part.save()  # finish the handler's last instruction while its registers are live
    for i in range(len(t.sigframes) - 1, -1, -1):
        if t.sigframes[i][0] == frame:
            _frame, ctx, parts = t.sigframes[i]
            del t.sigframes[i:]
            m.uc.context_restore(ctx)  # x87, SSE, MXCSR, FS base of the interrupted code
            for part, st in zip(m.threads.parts, parts, strict=True):
                part.restore(st)
            break
    else:  # not a frame of ours (a hand-made context): registers only, shadows dropped
        for part in m.threads.parts:
            part.clobbered(tuple(range(16)))
    for n, v in zip(_GREGS, gregs, strict=False):
        f.set_gpr(_GPR[n], v)
    f.set_reg(fastuc.UC_RIP, gregs[16])
    f.set_reg(fastuc.UC_EFLAGS, gregs[17])
    k._sigmask = mask & ~_UNBLOCKABLE
    k.signal_ready = True  # a signal blocked during the handler may be due now
