"""The kernel side of threads, called directly: clone3's bookkeeping, futex queues (WAIT,
WAKE, the bitset forms, CMP_REQUEUE, WAKE_OP), CLONE_CHILD_CLEARTID at exit, the round-robin
choice, timeouts and deadlock. glibc's own paths are covered by the programs in
test_threads.py; these pin down the forms glibc uses rarely."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest

from revad_emu.linux.threads import Deadlock
from test_linux_unit import Guest

FLAGS = 0x3D0F00  # pthread_create's: VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID
# CHILD_CLEARTID


@pytest.fixture
def g(tmp_path: Path) -> Guest:
    return Guest(tmp_path)


def _spawn(g: Guest) -> int:
    ptid, ctid = g.buf(4), g.buf(4)
    args = g.put(struct.pack("<11Q", FLAGS, 0, ctid, ptid, 0, 0x7000_0000, 0x10000, 0x1234,
                             0, 0, 0))
    tid = g("clone3", args, 88)
    assert tid > 0 and struct.unpack("<I", g.mem.read(ptid, 4))[0] == tid
    t = g.k.threads[-1]
    assert t.tid == tid and t.clear_tid == ctid and t.start == {"rsp": 0x7001_0000,
                                                                "fs_base": 0x1234}
    g.k.spawned.clear()
    g.mem.write(ctid, struct.pack("<I", tid))
    return tid


def _as(g: Guest, tid: int) -> None:
    g.k.enter(next(t for t in g.k.threads if t.tid == tid))


def _word(g: Guest, value: int) -> int:
    return g.put(struct.pack("<I", value))


def test_wait_wake_and_value_check(g: Guest) -> None:
    main = g.k.current.tid
    child = _spawn(g)
    w = _word(g, 7)
    assert g("futex", w, 0x80, 8) == -errno.EAGAIN  # value changed: no wait
    assert g("futex", w, 0x80, 7) == 0 and g.k.need_switch  # FUTEX_WAIT_PRIVATE
    assert g.k.schedule().tid == child
    _as(g, child)
    assert g("futex", w, 0x81, 5) == 1  # FUTEX_WAKE_PRIVATE: the one waiter
    t = g.k.threads[0]
    assert t.tid == main and t.state == "runnable" and t.resume_rax == 0
    assert g("futex", w, 0x81, 5) == 0


def test_bitset_forms(g: Guest) -> None:
    child = _spawn(g)
    w = _word(g, 1)
    assert g("futex", w, 9, 1, 0, 0, 0) == -errno.EINVAL  # empty bitset
    assert g("futex", w, 9, 1, 0, 0, 0b10) == 0  # WAIT_BITSET
    _as(g, child)
    assert g("futex", w, 10, 1, 0, 0, 0b01) == 0  # WAKE_BITSET: no overlap
    assert g("futex", w, 10, 1, 0, 0, 0b11) == 1


def test_cmp_requeue_and_wake_op(g: Guest) -> None:
    t1, t2, t3 = g.k.current.tid, _spawn(g), _spawn(g)
    a, b = _word(g, 3), _word(g, 0)
    for tid in (t1, t2):
        _as(g, tid)
        assert g("futex", a, 0, 3) == 0
    _as(g, t3)
    assert g("futex", a, 4, 1, 1, b, 99) == -errno.EAGAIN  # CMP_REQUEUE: *a != 99
    assert g("futex", a, 4, 1, 1, b, 3) == 2  # wakes t1, moves t2 onto b
    assert [t.state for t in g.k.threads] == ["runnable", "blocked", "runnable"]
    assert g("futex", a, 1, 10) == 0 and g("futex", b, 1, 10) == 1
    # WAKE_OP: *b = 5 (FUTEX_OP_SET) and wake b's waiters if the old value == 0 (CMP_EQ).
    _as(g, t1)
    assert g("futex", a, 0, 3) == 0
    _as(g, t2)
    assert g("futex", b, 0, 0) == 0
    _as(g, t3)
    op = (0 << 28) | (0 << 24) | (5 << 12) | 0
    assert g("futex", a, 5, 1, 1, b, op) == 2
    assert struct.unpack("<I", g.mem.read(b, 4))[0] == 5


def test_thread_exit_clears_tid_and_wakes_the_joiner(g: Guest) -> None:
    main = g.k.current.tid
    child = _spawn(g)
    ctid = g.k.threads[1].clear_tid
    assert g("futex", ctid, 0, child) == 0  # pthread_join's wait on the tid word
    _as(g, child)
    assert g("exit", 0) == 0 and not g.k.exited and g.k.need_switch
    assert g.mem.read(ctid, 4) == bytes(4)
    assert g.k.schedule().tid == main and g.k.threads[0].resume_rax == 0
    _as(g, main)
    assert g("exit", 3) == 0 and g.k.exited and g.k.exit_status == 3  # the last thread


def test_exit_group_ends_every_thread(g: Guest) -> None:
    child = _spawn(g)
    _as(g, child)
    assert g("exit_group", 9) == 0 and g.k.exited and g.k.exit_status == 9


def test_round_robin_timeout_and_deadlock(g: Guest) -> None:
    t1, t2, t3 = g.k.current.tid, _spawn(g), _spawn(g)
    assert g.k.schedule().tid == t2  # the next in tid order after the current
    _as(g, t3)
    assert g.k.schedule().tid == t1  # wraps around
    w = _word(g, 0)
    for tid in (t1, t2):
        _as(g, tid)
        assert g("futex", w, 0, 0) == 0
    _as(g, t3)
    assert g("futex", w, 0, 0, g.put(struct.pack("<qq", 5, 0))) == 0  # 5 s timeout
    t = g.k.schedule()  # all blocked: the one with a deadline times out, at once
    assert t.tid == t3 and t.resume_rax == -errno.ETIMEDOUT
    _as(g, t3)
    assert g("futex", w, 0, 0) == 0
    with pytest.raises(Deadlock) as e:
        g.k.schedule()
    assert str(e.value).count("waits in futex_wait") == 3


def test_processes_refused_threads_need_their_flags(g: Guest) -> None:
    assert g("clone", 0x11, 0, 0, 0, 0) == -errno.ENOSYS  # fork
    assert g("clone", 0x100 | 0x4000 | 0x11, 0, 0, 0, 0) == -errno.ENOSYS  # vfork-like
    assert len(g.k.threads) == 1 and len(g.k.refused) == 2
    assert g("clone3", g.put(struct.pack("<11Q", FLAGS, *[0] * 10)), 88) == -errno.EINVAL
