"""The futex wait queues of the one guest process.

Threads run one at a time (threads.py), so a futex is only a FIFO queue of blocked threads per
address: WAIT puts the current thread at the back, WAKE takes threads from the front. FIFO
order (not the kernel's priority order) keeps the schedule, and so the tape, reproducible.
The address space is private to the process: FUTEX_PRIVATE_FLAG changes nothing here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 2, 3, 4
FUTEX_WAKE_OP = 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
FUTEX_BITSET_MATCH_ANY = 0xFFFF_FFFF


@dataclass(eq=False)
class Waiter:
    """A blocked thread on a futex word (`thread` is threads.Thread)."""

    thread: object
    addr: int
    bitset: int = FUTEX_BITSET_MATCH_ANY
    deadline: int | None = None  # absolute ns on the guest's clock, None: no timeout


@dataclass
class FutexTable:
    """addr -> FIFO of waiters; every waiter is in exactly one queue."""

    queues: dict[int, deque[Waiter]] = field(default_factory=dict)

    def wait(self, w: Waiter) -> None:
        self.queues.setdefault(w.addr, deque()).append(w)

    def remove(self, w: Waiter) -> None:
        q = self.queues.get(w.addr)
        if q is not None and w in q:
            q.remove(w)
            if not q:
                del self.queues[w.addr]

    def wake(self, addr: int, n: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> list[Waiter]:
        """Take up to n waiters on addr whose bitset meets `bitset`, oldest first."""
        q = self.queues.get(addr)
        out: list[Waiter] = []
        if not q or n <= 0:
            return out
        for w in list(q):
            if len(out) >= n:
                break
            if w.bitset & bitset:
                q.remove(w)
                out.append(w)
        if not q:
            del self.queues[addr]
        return out

    def requeue(self, addr: int, addr2: int, n: int) -> int:
        """Move up to n waiters (oldest first) from addr to addr2; returns how many moved."""
        q = self.queues.get(addr)
        moved = 0
        while q and moved < n:
            w = q.popleft()
            w.addr = addr2
            self.queues.setdefault(addr2, deque()).append(w)
            moved += 1
        if q is not None and not q:
            del self.queues[addr]
        return moved


def wake_op_apply(op: int, oldval: int) -> tuple[int, bool]:
    """FUTEX_WAKE_OP's encoded operation on the word at uaddr2: (new value, compare result)."""
    kind, cmp = (op >> 28) & 7, (op >> 24) & 15
    oparg, cmparg = (op >> 12) & 0xFFF, op & 0xFFF
    if op & (8 << 28):  # FUTEX_OP_OPARG_SHIFT
        oparg = 1 << (oparg & 31)
    new = {0: oparg, 1: oldval + oparg, 2: oldval | oparg, 3: oldval & ~oparg,
           4: oldval ^ oparg}.get(kind, oldval) & 0xFFFF_FFFF  # fmt: skip
    old = oldval - (1 << 32) if oldval & 0x8000_0000 else oldval
    res = {0: old == cmparg, 1: old != cmparg, 2: old < cmparg, 3: old <= cmparg,
           4: old > cmparg, 5: old >= cmparg}.get(cmp, False)  # fmt: skip
    return new, res
