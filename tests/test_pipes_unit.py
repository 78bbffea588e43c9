"""Pipes, eventfds, poll and select of the syscall layer, called directly (one thread: a call
that would block raises WouldBlock, which the dispatcher turns into a blocked thread)."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest

from revad_emu.linux import SYSCALL_NUMBERS as NR
from revad_emu.linux.pipes import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT
from test_linux_unit import Guest


@pytest.fixture
def g(tmp_path: Path) -> Guest:
    return Guest(tmp_path)


def _pipe(g: Guest, flags: int = 0) -> tuple[int, int]:
    buf = g.buf(8)
    assert g("pipe2", buf, flags) == 0
    return struct.unpack("<ii", g.mem.read(buf, 8))


def test_pipe_roundtrip_eof_and_epipe(g: Guest) -> None:
    r, w = _pipe(g)
    assert (r, w) == (3, 4)
    data = g.put(b"hello, pipe")
    assert g("write", w, data, 11) == 11
    out = g.buf(64)
    assert g("read", r, out, 5) == 5 and g.mem.read(out, 5) == b"hello"
    assert g("read", r, out, 64) == 6 and g.mem.read(out, 6) == b", pipe"
    assert g("write", r, data, 1) == -errno.EBADF and g("read", w, out, 1) == -errno.EBADF
    assert g("lseek", r, 0, 0) == -errno.ESPIPE
    assert g("dup2", w, 9) == 9 and g("close", w) == 0
    assert g("write", 9, data, 2) == 2 and g("close", 9) == 0  # last writer gone
    assert g("read", r, out, 64) == 2 and g("read", r, out, 64) == 0  # then end of file
    r2, w2 = _pipe(g)
    assert g("close", r2) == 0 and g("write", w2, data, 1) == -errno.EPIPE


def test_empty_pipe_read_blocks_the_thread(g: Guest) -> None:
    r, _w = _pipe(g)
    out = g.buf(8)
    assert g("read", r, out, 8) == 0  # placeholder result: the thread is now blocked
    t = g.k.current
    assert t.state == "blocked" and g.k.need_switch and t.restart_nr == NR["read"]
    assert "read from an empty pipe" in t.wait_what


def test_nonblocking_pipe_and_full_pipe(g: Guest) -> None:
    r, w = _pipe(g, 0o4000)  # O_NONBLOCK
    out = g.buf(8)
    assert g("read", r, out, 8) == -errno.EAGAIN and not g.k.need_switch
    page = g.put(bytes(4096))
    assert all(g("write", w, page, 4096) == 4096 for _ in range(16))  # 64 KiB: full
    assert g("write", w, page, 1) == -errno.EAGAIN
    assert g("read", r, out, 8) == 8 and g("write", w, page, 8) == 8


def test_eventfd_counter_and_semaphore(g: Guest) -> None:
    fd = g("eventfd2", 3, 0)
    out = g.buf(8)
    assert g("read", fd, out, 8) == 8 and g.mem.read_u64(out) == 3
    assert g("write", fd, g.put(struct.pack("<Q", 5)), 8) == 8
    assert g("write", fd, g.put(struct.pack("<Q", 2)), 8) == 8
    assert g("read", fd, out, 8) == 8 and g.mem.read_u64(out) == 7
    assert g("read", fd, out, 4) == -errno.EINVAL
    sem = g("eventfd2", 2, 1 | 0o4000)  # EFD_SEMAPHORE | EFD_NONBLOCK
    assert g("read", sem, out, 8) == 8 and g.mem.read_u64(out) == 1
    assert g("read", sem, out, 8) == 8 and g("read", sem, out, 8) == -errno.EAGAIN


def test_poll_and_select_readiness(g: Guest) -> None:
    r, w = _pipe(g)
    fds = g.put(struct.pack("<ihh", r, POLLIN, 0) + struct.pack("<ihh", w, POLLOUT, 0)
                + struct.pack("<ihh", 99, POLLIN, 0))
    assert g("poll", fds, 3, 0) == 2
    revents = [struct.unpack_from("<ihh", g.mem.read(fds, 24), 8 * i)[2] for i in range(3)]
    assert revents == [0, POLLOUT, POLLNVAL]
    assert g("write", w, g.put(b"z"), 1) == 1
    assert g("poll", fds, 1, 0) == 1
    assert struct.unpack_from("<ihh", g.mem.read(fds, 8))[2] == POLLIN
    sets = g.put((1 << r).to_bytes(8, "little"))
    assert g("select", r + 1, sets, 0, 0, g.put(bytes(16))) == 1
    assert g.mem.read_u64(sets) == 1 << r
    assert g("close", w) == 0
    assert g("read", r, g.buf(8), 8) == 1 and g("poll", fds, 1, 0) == 1
    assert struct.unpack_from("<ihh", g.mem.read(fds, 8))[2] == POLLHUP
    r2, w2 = _pipe(g)
    g("close", r2)
    fds2 = g.put(struct.pack("<ihh", w2, POLLOUT, 0))
    assert g("poll", fds2, 1, 0) == 1 and struct.unpack("<ihh", g.mem.read(fds2, 8))[2] == POLLERR


def test_poll_on_empty_pipe_blocks(g: Guest) -> None:
    r, _w = _pipe(g)
    fds = g.put(struct.pack("<ihh", r, POLLIN, 0))
    assert g("poll", fds, 1, 0) == 0 and not g.k.need_switch  # zero timeout: at once
    g("poll", fds, 1, -1)
    assert g.k.current.state == "blocked" and g.k.current.wait_what == "poll"


def test_epoll_over_pipes_and_eventfds(g: Guest) -> None:
    r, w = _pipe(g)
    ev = g("eventfd2", 0, 0)
    ep = g("epoll_create1", 0o2000000)
    assert ep > ev
    assert g("epoll_ctl", ep, 1, r, g.put(struct.pack("<IQ", POLLIN, 111))) == 0
    assert g("epoll_ctl", ep, 1, ev, g.put(struct.pack("<IQ", POLLIN | (1 << 30), 222))) == 0
    assert g("epoll_ctl", ep, 1, r, g.put(struct.pack("<IQ", POLLIN, 0))) == -errno.EEXIST
    out = g.buf(48)
    assert g("epoll_wait", ep, out, 4, 0) == 0
    assert g("write", w, g.put(b"ab"), 2) == 2
    assert g("write", ev, g.put(struct.pack("<Q", 1)), 8) == 8
    assert g("epoll_wait", ep, out, 4, 0) == 2
    assert [struct.unpack_from("<IQ", g.mem.read(out, 24), 12 * i) for i in range(2)] == [
        (POLLIN, 111), (POLLIN, 222)]  # fd order
    assert g("epoll_wait", ep, out, 4, 0) == 1  # the eventfd was one-shot: disarmed
    assert g("epoll_ctl", ep, 2, r, 0) == 0 and g("epoll_wait", ep, out, 4, 0) == 0
    assert g("read", ep, out, 8) == -errno.EINVAL
    g("epoll_wait", ep, out, 4, -1)  # nothing armed is ready: the thread blocks
    assert g.k.current.state == "blocked" and g.k.current.wait_what == "epoll_wait"
