"""Open file descriptions and the guest's fd table."""

from __future__ import annotations

import errno as E
import os
from collections.abc import Callable
from dataclasses import dataclass

from .abi import O_RDONLY, _err, _s32


@dataclass(eq=False)
class OpenFile:
    """An open file description; several guest fds may share one (dup)."""

    kind: str  # "host": a host fd; "mem": bytes held here; "sink": a write callback
    path: str
    flags: int = O_RDONLY
    host_fd: int = -1
    owned: bool = True  # close host_fd when the last guest fd goes
    data: bytes = b""
    pos: int = 0
    sink: Callable[[bytes], None] | None = None
    pipe: bool = False  # not seekable (stdin/stdout/stderr streams)
    tty: bool = False
    is_dir: bool = False
    dirents: list[tuple[bytes, int, int]] | None = None
    refs: int = 0
    chan: object = None  # kind "pipe"/"eventfd": the in-process channel (pipes.py)


class FdTable:
    """Kernel part: the fd table (a mixin of `Kernel`; state lives in `_fds`/`_cloexec`)."""

    def _file(self, fd: int) -> OpenFile:
        f = self._fds.get(_s32(fd))
        if f is None:
            raise _err(E.EBADF)
        return f

    def _install(self, f: OpenFile, fd: int | None = None, lowest: int = 0,
                 cloexec: bool = False) -> int:  # fmt: skip
        if fd is None:
            fd = lowest
            while fd in self._fds:
                fd += 1
            if fd >= self._rlimits[7][0]:
                raise _err(E.EMFILE)
        elif fd in self._fds:
            self._close(fd)
        f.refs += 1
        self._fds[fd] = f
        (self._cloexec.add if cloexec else self._cloexec.discard)(fd)
        return fd

    def _close(self, fd: int) -> None:
        f = self._fds.pop(fd)
        self._cloexec.discard(fd)
        f.refs -= 1
        if f.refs == 0 and f.kind == "host" and f.owned:
            os.close(f.host_fd)
        if f.refs == 0 and f.chan is not None:
            self._chan_closed(f)

    def _read_file(self, f: OpenFile, n: int) -> bytes:
        if f.chan is not None:
            return self._chan_read(f, n)
        if f.kind == "mem":
            data = f.data[f.pos : f.pos + n]
            f.pos += len(data)
            return data
        if f.kind == "sink":
            raise _err(E.EBADF)
        if f.is_dir:
            raise _err(E.EISDIR)
        return os.read(f.host_fd, n)

    def _write_file(self, f: OpenFile, data: bytes) -> int:
        if f.chan is not None:
            return self._chan_write(f, data)
        if f.kind == "sink":
            assert f.sink is not None
            f.sink(data)
            return len(data)
        if f.kind == "mem":
            raise _err(E.EBADF)
        return os.write(f.host_fd, data)

    def close_all(self) -> None:
        for fd in list(self._fds):
            self._close(fd)
        for fd in self._root_fds.values():
            os.close(fd)
        self._root_fds.clear()
