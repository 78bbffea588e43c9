"""Pipes and eventfds inside the guest process, and poll/select/epoll over them.

A pipe is a bounded byte queue shared by two open file descriptions (read end, write end); an
eventfd is a 64-bit counter. Both live here, in the emulator, never on the host. A read from
an empty pipe (or a zero eventfd), or a write to a full one, blocks the calling thread: the
handler raises `WouldBlock`, the thread waits in the channel's queue and runs the same system
call again when the other side has acted (threads.py). poll/ppoll/select/pselect6/epoll_wait
block the same way on every channel they watch; other descriptors (files, stdin, stdout) are always
ready.

Derivatives travel through pipes: the kernel knows nothing of AD, but it reports every move of
guest bytes through `on_copy(src, dst, n)` (as mremap does). Each pipe has a stretch of the
shadow's address space of its own (`_shadow_loc`: above every guest address, below the
registers) where byte i of the pipe's stream sits at offset i mod 2**32: a write copies the
shadow of the bytes it sends there, a read copies it from there to where the bytes land (an
`on_overwrite` observer placed after the recorder's, which has just cleared that memory) and
then clears it. So a double sent by one thread and read by another keeps its tape node.
"""

from __future__ import annotations

import errno as E
import struct
import time
from dataclasses import dataclass, field

from .abi import O_ACCMODE, O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, _err, _s32
from .fds import OpenFile
from .threads import WouldBlock

PIPE_SIZE = 65536
PIPE_BUF = 4096  # writes up to this size are atomic: all or (block) nothing
EFD_SEMAPHORE = 1
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 2, 4, 8, 0x10, 0x20
POLLRDNORM, POLLWRNORM = 0x40, 0x100
_IN_SET = POLLIN | POLLRDNORM | POLLHUP | POLLERR  # what select counts as readable
_OUT_SET = POLLOUT | POLLWRNORM | POLLERR
SIGPIPE = 13
_SHADOW_PIPES = 1 << 58  # the pipes' shadow stretches (see the module doc)
_SHADOW_ZERO = (1 << 58) - (1 << 20)  # never written: copying from here clears


@dataclass(eq=False)
class Pipe:
    buf: bytearray = field(default_factory=bytearray)
    readers: int = 0  # open read-end descriptions
    writers: int = 0
    number: int = 0  # shown as pipe:[number]
    wpos: int = 0  # bytes ever written / read: stream offsets of the buffer's ends
    rpos: int = 0


def _shadow_loc(p: Pipe, pos: int) -> int:
    return _SHADOW_PIPES + ((p.number % (1 << 25)) << 32) + (pos & 0xFFFF_FFFF)


def _spans(p: Pipe, pos: int, n: int):
    """(shadow location, offset in the piece, length) of a stream range, split where its
    stretch wraps."""
    off = 0
    while off < n:
        loc = _shadow_loc(p, pos + off)
        m = min(n - off, (1 << 32) - ((pos + off) & 0xFFFF_FFFF))
        yield loc, off, m
        off += m


@dataclass(eq=False)
class Epoll:
    """An epoll instance: fd -> (event mask, user data). Level-triggered always (an EPOLLET
    user reads until EAGAIN, so it sees the same data either way)."""

    watch: dict[int, tuple[int, int]] = field(default_factory=dict)


EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLLONESHOT = 1 << 30


@dataclass(eq=False)
class EventFd:
    count: int = 0
    semaphore: bool = False


class PipeCalls:
    """Kernel part: in-process pipes and eventfds, poll and select (a mixin of `Kernel`)."""

    def _chan_keys(self, f: OpenFile) -> tuple:
        """Wait-queue keys: readers wait on ("r", chan), writers on ("w", chan)."""
        return ("r", id(f.chan)), ("w", id(f.chan))

    def _wake_side(self, f: OpenFile, side: str) -> None:
        self._wake((side, id(f.chan)), 1 << 30)

    # -- creation ---------------------------------------------------------------------------

    def sys_pipe(self, fds: int, *_: int) -> int:
        return self.sys_pipe2(fds, 0)

    def sys_pipe2(self, fds: int, flags: int, *_: int) -> int:
        if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT):
            return -E.EINVAL
        self.mem.read(fds, 8)  # EFAULT before anything is created
        self._pipes_made = getattr(self, "_pipes_made", 0) + 1
        if self._pipes_made == 1:  # after the recorder's observer, which clears first
            self.mem.on_overwrite.append(self._chan_landed)
        p = Pipe(number=self._pipes_made)
        nb = flags & O_NONBLOCK
        r = OpenFile("pipe", f"pipe:[{p.number}]", O_RDONLY | nb, pipe=True, chan=p)
        w = OpenFile("pipe", f"pipe:[{p.number}]", O_WRONLY | nb, pipe=True, chan=p)
        p.readers = p.writers = 1
        cloexec = bool(flags & O_CLOEXEC)
        rfd = self._install(r, cloexec=cloexec)
        try:
            wfd = self._install(w, cloexec=cloexec)
        except OSError:
            self._close(rfd)
            raise
        self.mem.write(fds, struct.pack("<ii", rfd, wfd))
        return 0

    def sys_eventfd(self, initval: int, *_: int) -> int:
        return self.sys_eventfd2(initval, 0)

    def sys_eventfd2(self, initval: int, flags: int, *_: int) -> int:
        if flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE):
            return -E.EINVAL
        ev = EventFd(initval & 0xFFFF_FFFF, bool(flags & EFD_SEMAPHORE))
        f = OpenFile("eventfd", "anon_inode:[eventfd]", O_RDWR | (flags & O_NONBLOCK),
                     pipe=True, chan=ev)  # fmt: skip
        return self._install(f, cloexec=bool(flags & O_CLOEXEC))

    # -- I/O (called from fds.FdTable for descriptions with a channel) ----------------------

    def _chan_read(self, f: OpenFile, n: int) -> bytes:
        c = f.chan
        if isinstance(c, Epoll):
            raise _err(E.EINVAL)
        if isinstance(c, EventFd):
            if n < 8:
                raise _err(E.EINVAL)
            if c.count == 0:
                self._would_block(f, "r", "read from an eventfd")
            v = 1 if c.semaphore else c.count
            c.count -= v
            self._wake_side(f, "w")
            return struct.pack("<Q", v)
        if f.flags & O_ACCMODE == O_WRONLY:
            raise _err(E.EBADF)
        if not c.buf:
            if c.writers == 0 or n == 0:
                return b""  # end of file
            self._would_block(f, "r", f"read from an empty pipe ({f.path})")
        data = bytes(c.buf[:n])
        del c.buf[:n]
        if self.on_copy is not None:  # the bytes' shadow follows them into memory
            self._chan_landing = [c, c.rpos, len(data)]
        c.rpos += len(data)
        self._wake_side(f, "w")
        return data

    def _chan_write(self, f: OpenFile, data: bytes) -> int:
        c = f.chan
        if isinstance(c, Epoll):
            raise _err(E.EINVAL)
        if isinstance(c, EventFd):
            if len(data) < 8:
                raise _err(E.EINVAL)
            v = struct.unpack_from("<Q", data)[0]
            if v == 0xFFFF_FFFF_FFFF_FFFF:
                raise _err(E.EINVAL)
            if c.count + v > 0xFFFF_FFFF_FFFF_FFFE:
                self._would_block(f, "w", "write to a full eventfd")
            c.count += v
            self._wake_side(f, "r")
            return 8
        if f.flags & O_ACCMODE == O_RDONLY:
            raise _err(E.EBADF)
        if c.readers == 0:
            raise_signal = getattr(self, "raise_signal", None)
            if raise_signal is not None:
                raise_signal(SIGPIPE)
            raise _err(E.EPIPE)
        space = PIPE_SIZE - len(c.buf)
        if not data:
            return 0
        if space == 0 or (len(data) <= PIPE_BUF and space < len(data)):
            self._would_block(f, "w", f"write to a full pipe ({f.path})")
        n = min(space, len(data))
        c.buf += data[:n]
        self._chan_sent(c, n)
        c.wpos += n
        self._wake_side(f, "r")
        return n

    # -- shadow of the bytes in a pipe (see the module doc) ---------------------------------

    def _chan_sent(self, c: Pipe, n: int) -> None:
        """Copy the shadow of the n bytes just queued from the addresses write/writev
        reported (`_chan_sources`, in stream order) to the pipe's stretch."""
        sources, self._chan_sources = self._chan_sources, []
        if self.on_copy is None:
            return
        pos = c.wpos
        for addr, m in sources:
            m = min(m, c.wpos + n - pos)
            if m <= 0:
                break
            for loc, off, k in _spans(c, pos, m):
                self.on_copy(addr + off, loc, k)
            pos += m

    def _chan_landed(self, addr: int, size: int) -> None:
        """Observer of host writes into guest memory: the bytes a pipe read just returned
        land here (read: one write; readv: one per buffer, in order)."""
        landing = getattr(self, "_chan_landing", None)
        if landing is None or size <= 0 or self.on_copy is None:
            return
        c, pos, left = landing
        m = min(size, left)
        for loc, off, k in _spans(c, pos, m):
            self.on_copy(loc, addr + off, k)
            self.on_copy(_SHADOW_ZERO, loc, k)  # consumed: forget it there
        landing[1], landing[2] = pos + m, left - m
        if landing[2] <= 0:
            self._chan_landing = None

    def _chan_reset(self) -> None:
        """End of a system call: nothing is in flight any more."""
        self._chan_sources = []
        self._chan_landing = None

    def _would_block(self, f: OpenFile, side: str, what: str) -> None:
        if f.flags & O_NONBLOCK:
            raise _err(E.EAGAIN)
        raise WouldBlock([(side, id(f.chan))], what)

    def _chan_closed(self, f: OpenFile) -> None:
        """The last fd of a description went: a pipe's other side sees EOF or EPIPE."""
        c = f.chan
        if isinstance(c, Pipe):
            if f.flags & O_ACCMODE == O_RDONLY:
                c.readers -= 1
                self._wake_side(f, "w")
            else:
                c.writers -= 1
                self._wake_side(f, "r")

    # -- readiness --------------------------------------------------------------------------

    def _ready(self, fd: int) -> int:
        """poll() bits of one fd right now."""
        f = self._fds.get(fd)
        if f is None:
            return POLLNVAL
        c = f.chan
        if isinstance(c, EventFd):
            return (POLLIN | POLLRDNORM if c.count else 0) | (
                POLLOUT | POLLWRNORM if c.count < 0xFFFF_FFFF_FFFF_FFFE else 0)
        if isinstance(c, Pipe):
            if f.flags & O_ACCMODE == O_RDONLY:
                return (POLLIN | POLLRDNORM if c.buf else 0) | (0 if c.writers else POLLHUP)
            if not c.readers:
                return POLLERR
            return POLLOUT | POLLWRNORM if len(c.buf) < PIPE_SIZE else 0
        acc = f.flags & O_ACCMODE
        bits = POLLIN | POLLRDNORM if acc in (O_RDONLY, O_RDWR) and f.kind != "sink" else 0
        if acc in (O_WRONLY, O_RDWR) or f.kind == "sink":
            bits |= POLLOUT | POLLWRNORM
        return bits

    def _wait_keys(self, fds: list[int]) -> list:
        keys = []
        for fd in fds:
            f = self._fds.get(fd)
            if f is not None and f.chan is not None:
                for k in self._chan_keys(f):
                    if k not in keys:
                        keys.append(k)
        return keys

    def _timed_wait(self, keys: list, what: str, timeout_ns: int | None) -> int:
        """Nothing ready: 0 at once for a zero timeout, else block (and run the call again
        when a watched channel changes; a timeout that comes first returns 0)."""
        if timeout_ns == 0:
            return 0
        deadline = None if timeout_ns is None else time.monotonic_ns() + timeout_ns
        if not keys:
            if deadline is None:
                raise WouldBlock([], what)  # waits for nothing that can ever happen
            return 0  # a pure sleep: no real time passes
        raise WouldBlock(keys, what, deadline, 0)

    def sys_poll(self, fds: int, nfds: int, timeout_ms: int, *_: int) -> int:
        t = _s32(timeout_ms)
        return self._poll(fds, nfds, None if t < 0 else t * 1_000_000)

    def sys_ppoll(self, fds: int, nfds: int, tsp: int, *_: int) -> int:
        return self._poll(fds, nfds, self._timespec_ns(tsp))

    def _timespec_ns(self, tsp: int) -> int | None:
        if not tsp:
            return None
        sec, nsec = struct.unpack("<qq", self.mem.read(tsp, 16))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise _err(E.EINVAL)
        return sec * 10**9 + nsec

    def _poll(self, fds: int, nfds: int, timeout_ns: int | None) -> int:
        if nfds > self._rlimits[7][0]:
            return -E.EINVAL
        raw = bytearray(self.mem.read(fds, 8 * nfds)) if nfds else bytearray()
        entries = [struct.unpack_from("<ihh", raw, 8 * i) for i in range(nfds)]
        count = 0
        for i, (fd, events, _r) in enumerate(entries):
            rev = 0 if fd < 0 else self._ready(fd) & (events | POLLERR | POLLHUP | POLLNVAL)
            struct.pack_into("<h", raw, 8 * i + 6, rev)
            count += rev != 0
        if count or timeout_ns == 0:
            if nfds:
                self.mem.write(fds, bytes(raw))
            return count
        return self._timed_wait(self._wait_keys([fd for fd, _e, _r in entries if fd >= 0]),
                                "poll", timeout_ns)

    def sys_select(self, nfds: int, rd: int, wr: int, ex: int, tv: int, *_: int) -> int:
        timeout_ns = None
        if tv:
            sec, usec = struct.unpack("<qq", self.mem.read(tv, 16))
            if sec < 0 or not 0 <= usec < 10**6:
                return -E.EINVAL
            timeout_ns = sec * 10**9 + usec * 1000
        return self._select(nfds, rd, wr, ex, timeout_ns)

    def sys_pselect6(self, nfds: int, rd: int, wr: int, ex: int, tsp: int, *_: int) -> int:
        return self._select(nfds, rd, wr, ex, self._timespec_ns(tsp))

    def _select(self, nfds: int, rd: int, wr: int, ex: int, timeout_ns: int | None) -> int:
        nfds = _s32(nfds)
        if not 0 <= nfds <= self._rlimits[7][0]:
            return -E.EINVAL
        nbytes = (nfds + 63) // 64 * 8
        sets = [int.from_bytes(self.mem.read(p, nbytes), "little") if p and nbytes else 0
                for p in (rd, wr, ex)]  # fmt: skip
        out = [0, 0, 0]
        watched = []
        for fd in range(nfds):
            bit = 1 << fd
            if not (sets[0] | sets[1] | sets[2]) & bit:
                continue
            if fd not in self._fds:
                return -E.EBADF
            watched.append(fd)
            ready = self._ready(fd)
            if sets[0] & bit and ready & _IN_SET:
                out[0] |= bit
            if sets[1] & bit and ready & _OUT_SET:
                out[1] |= bit
        count = sum(bin(o).count("1") for o in out)
        if count or timeout_ns == 0:
            for p, o in zip((rd, wr, ex), out, strict=True):
                if p and nbytes:
                    self.mem.write(p, o.to_bytes(nbytes, "little"))
            return count
        return self._timed_wait(self._wait_keys(watched), "select", timeout_ns)

    # -- epoll ------------------------------------------------------------------------------

    def sys_epoll_create(self, size: int, *_: int) -> int:
        return -E.EINVAL if _s32(size) <= 0 else self.sys_epoll_create1(0)

    def sys_epoll_create1(self, flags: int, *_: int) -> int:
        if flags & ~O_CLOEXEC:
            return -E.EINVAL
        f = OpenFile("epoll", "anon_inode:[eventpoll]", O_RDWR, pipe=True, chan=Epoll())
        return self._install(f, cloexec=bool(flags & O_CLOEXEC))

    def _epoll(self, epfd: int) -> Epoll:
        c = self._file(epfd).chan
        if not isinstance(c, Epoll):
            raise _err(E.EINVAL)
        return c

    def sys_epoll_ctl(self, epfd: int, op: int, fd: int, event: int, *_: int) -> int:
        ep, fd = self._epoll(epfd), _s32(fd)
        self._file(fd)
        if fd == _s32(epfd):
            return -E.EINVAL
        if op == EPOLL_CTL_DEL:
            return 0 if ep.watch.pop(fd, None) is not None else -E.ENOENT
        events, data = struct.unpack("<IQ", self.mem.read(event, 12))
        if op == EPOLL_CTL_ADD:
            if fd in ep.watch:
                return -E.EEXIST
        elif op == EPOLL_CTL_MOD:
            if fd not in ep.watch:
                return -E.ENOENT
        else:
            return -E.EINVAL
        ep.watch[fd] = (events, data)
        return 0

    def sys_epoll_wait(self, epfd: int, events: int, maxevents: int, timeout_ms: int,
                       *_: int) -> int:
        t = _s32(timeout_ms)
        return self._epoll_wait(epfd, events, maxevents, None if t < 0 else t * 1_000_000)

    def sys_epoll_pwait(self, epfd: int, events: int, maxevents: int, timeout_ms: int,
                        *_: int) -> int:
        return self.sys_epoll_wait(epfd, events, maxevents, timeout_ms)

    def sys_epoll_pwait2(self, epfd: int, events: int, maxevents: int, tsp: int,
                         *_: int) -> int:
        return self._epoll_wait(epfd, events, maxevents, self._timespec_ns(tsp))

    def _epoll_wait(self, epfd: int, events: int, maxevents: int, timeout_ns: int | None) -> int:
        ep = self._epoll(epfd)
        if not 0 < _s32(maxevents) <= 1 << 20:
            return -E.EINVAL
        out = []
        for fd in sorted(ep.watch):  # fd order: the same answer on every run
            mask, data = ep.watch[fd]
            if fd not in self._fds:
                del ep.watch[fd]  # closed: Linux drops it with its last description
                continue
            ready = self._ready(fd) & (mask | POLLERR | POLLHUP)
            if ready and mask & ~EPOLLONESHOT:
                out.append(struct.pack("<IQ", ready, data))
                if mask & EPOLLONESHOT:
                    ep.watch[fd] = (EPOLLONESHOT, data)  # disarmed until EPOLL_CTL_MOD
                if len(out) == _s32(maxevents):
                    break
        if out or timeout_ns == 0:
            if out:
                self.mem.write(events, b"".join(out))
            return len(out)
        return self._timed_wait(self._wait_keys(list(ep.watch)), "epoll_wait", timeout_ns)
