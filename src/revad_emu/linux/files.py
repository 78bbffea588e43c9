"""System calls on files, directories and streams: open/read/write/stat/dirs/renames."""

from __future__ import annotations

import errno as E
import fcntl as host_fcntl
import os
import stat as S
import struct
import time
from types import SimpleNamespace
from typing import Any

from ..cpu.memory import GuestMemoryError
from .abi import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_NOFOLLOW,
    FD_CLOEXEC,
    FIOCLEX,
    FIONBIO,
    FIONCLEX,
    FIONREAD,
    GUEST_PID,
    MAX_IO,
    O_ACCMODE,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECT,
    O_DIRECTORY,
    O_EXCL,
    O_NOATIME,
    O_NOCTTY,
    O_NOFOLLOW,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_TMPFILE,
    O_TRUNC,
    O_WRONLY,
    TCGETS,
    TCSETS,
    TCSETSF,
    TCSETSW,
    TIOCGPGRP,
    TIOCGWINSZ,
    TIOCSWINSZ,
    USER_TOP,
    _err,
    _s32,
    _s64,
)
from .fds import OpenFile
from .sandbox import _HIDDEN, _NO_READ, _NO_WRITE, _Refused

# ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, B38400|CS8|CREAD, OPOST|ONLCR, ICRNL|IXON
_TERMIOS = struct.pack("<4IB", 0x500, 0x5, 0xBF, 0x8A3B, 0) + bytes(
    [3, 0x1C, 0x7F, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1A, 0, 0x12, 0x0F, 0x17, 0x16, 0, 0, 0]
)


def _flag_text(flags: int) -> str:
    names = [("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[flags & O_ACCMODE]]
    for bit, name in ((O_CREAT, "O_CREAT"), (O_EXCL, "O_EXCL"), (O_TRUNC, "O_TRUNC"),
                      (O_APPEND, "O_APPEND"), (O_DIRECTORY, "O_DIRECTORY")):  # fmt: skip
        if flags & bit:
            names.append(name)
    return "|".join(names)


def _fake_stat(mode: int, size: int = 0, rdev: int = 0) -> SimpleNamespace:
    now = time.time_ns()
    return SimpleNamespace(
        st_dev=0, st_ino=1, st_nlink=1, st_mode=mode, st_uid=os.getuid(), st_gid=os.getgid(),
        st_rdev=rdev, st_size=size, st_blksize=4096, st_blocks=0,
        st_atime_ns=now, st_mtime_ns=now, st_ctime_ns=now,
    )  # fmt: skip


def _pack_stat(st: Any) -> bytes:
    """The 144-byte x86-64 `struct stat`."""
    times = []
    for ns in (st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns):
        times += divmod(ns, 1_000_000_000)
    return struct.pack(
        "<3Q4IQ3q6q3q", st.st_dev, st.st_ino, st.st_nlink, st.st_mode, st.st_uid, st.st_gid, 0,
        st.st_rdev, st.st_size, st.st_blksize, st.st_blocks, *times, 0, 0, 0,
    )  # fmt: skip


def _pack_statx(st: Any) -> bytes:
    """The 256-byte `struct statx` with STATX_BASIC_STATS filled in."""
    head = struct.pack(
        "<IIQIIIHHQQQQ", 0x7FF, st.st_blksize, 0, st.st_nlink, st.st_uid, st.st_gid,
        st.st_mode, 0, st.st_ino, st.st_size, st.st_blocks, 0,
    )  # fmt: skip
    ts = {k: divmod(getattr(st, f"st_{k}time_ns"), 1_000_000_000) for k in "amc"}
    ts["b"] = (0, 0)
    body = b"".join(struct.pack("<qIi", *ts[k], 0) for k in "abcm")
    devs = struct.pack(
        "<4I", os.major(st.st_rdev), os.minor(st.st_rdev), os.major(st.st_dev), os.minor(st.st_dev)
    )
    return (head + body + devs).ljust(256, b"\0")


def _dirent_type(entry: os.DirEntry) -> int:
    try:
        if entry.is_symlink():
            return 10
        if entry.is_dir(follow_symlinks=False):
            return 4
        if entry.is_file(follow_symlinks=False):
            return 8
    except OSError:
        pass
    return 0  # DT_UNKNOWN: readdir users then stat the entry


class FileCalls:
    """Kernel part: file system calls (a mixin of `Kernel`)."""

    def _proc_stat(self, sub: str, follow: bool, call: str) -> Any:
        if sub in ("", "fd", "task"):
            return _fake_stat(S.S_IFDIR | 0o555)
        if sub == "maps":
            return _fake_stat(S.S_IFREG | 0o444)
        f = self._proc_fd(sub)
        if sub in ("exe", "cwd") or f is not None:
            if not follow:
                return _fake_stat(S.S_IFLNK | 0o777)
            if f is not None:
                return self._fstat(f)
            return os.stat(self.exe_path if sub == "exe" else self.cwd)
        raise _Refused(E.ENOENT, f"{call}('/proc/self/{sub}') refused: {_HIDDEN}")

    def _stat(self, call: str, dirfd: int, ptr: int, flags: int) -> Any:
        path = self._path(ptr)
        if not path and flags & AT_EMPTY_PATH:
            if _s32(dirfd) == AT_FDCWD:
                return os.stat(self.cwd)
            return self._fstat(self._file(dirfd))
        follow = not flags & AT_SYMLINK_NOFOLLOW
        real, sub = self._lookup(dirfd, path, follow)
        if sub is not None:
            return self._proc_stat(sub, follow, call)
        return os.stat(real, follow_symlinks=follow)

    def _fstat(self, f: OpenFile) -> Any:
        if f.kind == "host":
            return os.fstat(f.host_fd)
        if f.tty:
            return _fake_stat(S.S_IFCHR | 0o620, rdev=136 << 8)  # /dev/pts/0
        if f.pipe:
            return _fake_stat(S.S_IFIFO | 0o600)
        return _fake_stat(S.S_IFREG | 0o444)

    def sys_read(self, fd: int, buf: int, count: int, *_: int) -> int:
        f = self._file(fd)
        n = min(count, MAX_IO)
        if n and not self.mem.is_mapped(buf, n):
            return -E.EFAULT
        data = self._read_file(f, n)
        self.mem.write(buf, data)
        return len(data)

    def sys_write(self, fd: int, buf: int, count: int, *_: int) -> int:
        f = self._file(fd)
        self._output(fd, buf, min(count, MAX_IO))
        return self._write_file(f, self.mem.read(buf, min(count, MAX_IO)))

    def _output(self, fd: int, addr: int, n: int) -> None:
        f = self._fds.get(_s32(fd))
        if f is not None and f.chan is not None:  # stays in the process: pipes.py tracks it
            self._chan_sources.append((addr, n))
            return
        if self.on_output is not None and n:
            self.on_output(fd, addr, n)

    def _iovecs(self, iov: int, cnt: int) -> list[tuple[int, int]]:
        """The iovec array, each length cut so the total stays within MAX_IO (a short count
        is legal); EINVAL and EFAULT as Linux's import_iovec gives them."""
        if cnt > 1024:  # UIO_MAXIOV
            raise _err(E.EINVAL)
        raw = self.mem.read(iov, 16 * cnt)
        vecs, room = [], MAX_IO
        for i in range(cnt):
            base, n = struct.unpack_from("<QQ", raw, 16 * i)
            if n >> 63:  # negative as ssize_t
                raise _err(E.EINVAL)
            n = min(n, room)
            if n and base + n > USER_TOP:
                raise _err(E.EFAULT)
            vecs.append((base, n))
            room -= n
        return vecs

    def sys_readv(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        f = self._file(fd)
        vecs = self._iovecs(iov, cnt)
        if any(n and not self.mem.is_mapped(b, n) for b, n in vecs):
            return -E.EFAULT
        data = self._read_file(f, sum(n for _, n in vecs))
        pos = 0
        for base, n in vecs:
            self.mem.write(base, data[pos : pos + n])
            pos += n
        return len(data)

    def sys_writev(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        f = self._file(fd)
        parts = []
        for b, n in self._iovecs(iov, cnt):
            if not n:
                continue
            try:
                parts.append(self.mem.read(b, n))
            except GuestMemoryError:
                if not parts:
                    raise
                break  # Linux writes what it could copy before the fault
            self._output(fd, b, n)
        data = b"".join(parts)
        return self._write_file(f, data) if data else 0

    def sys_pread64(self, fd: int, buf: int, count: int, offset: int, *_: int) -> int:
        f = self._file(fd)
        n, off = min(count, MAX_IO), _s64(offset)
        if off < 0:
            return -E.EINVAL
        if f.pipe or f.kind == "sink":
            return -E.ESPIPE
        if n and not self.mem.is_mapped(buf, n):
            return -E.EFAULT
        data = f.data[off : off + n] if f.kind == "mem" else os.pread(f.host_fd, n, off)
        self.mem.write(buf, data)
        return len(data)

    def sys_pwrite64(self, fd: int, buf: int, count: int, offset: int, *_: int) -> int:
        f = self._file(fd)
        if f.pipe or f.kind == "sink":
            return -E.ESPIPE
        if f.kind == "mem":
            return -E.EBADF
        self._output(fd, buf, min(count, MAX_IO))
        return os.pwrite(f.host_fd, self.mem.read(buf, min(count, MAX_IO)), _s64(offset))

    def sys_lseek(self, fd: int, offset: int, whence: int, *_: int) -> int:
        f = self._file(fd)
        off = _s64(offset)
        if f.pipe or f.kind == "sink":
            return -E.ESPIPE
        if f.is_dir and whence == 0 and off == 0:
            f.dirents, f.pos = None, 0  # rewinddir: list the directory again
        if f.kind == "host" and f.dirents is None:
            return os.lseek(f.host_fd, off, whence)
        size = len(f.data) if f.dirents is None else len(f.dirents)
        base = {0: 0, 1: f.pos, 2: size}.get(whence)
        if base is None or base + off < 0:
            return -E.EINVAL
        f.pos = base + off
        return f.pos

    def sys_open(self, path: int, flags: int, mode: int, *_: int) -> int:
        return self._open("open", AT_FDCWD, path, flags, mode)

    def sys_creat(self, path: int, mode: int, *_: int) -> int:
        return self._open("creat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode)

    def sys_openat(self, dirfd: int, path: int, flags: int, mode: int, *_: int) -> int:
        return self._open("openat", dirfd, path, flags, mode)

    def _open(self, call: str, dirfd: int, ptr: int, flags: int, mode: int) -> int:
        flags &= 0xFFFF_FFFF
        path = self._path(ptr)
        writing = (
            flags & O_ACCMODE != O_RDONLY
            or flags & (O_CREAT | O_TRUNC)
            or flags & O_TMPFILE == O_TMPFILE
        )
        desc = f"{call}({path!r}, {_flag_text(flags)})"
        real, sub = self._lookup(dirfd, path, follow=not flags & O_NOFOLLOW)
        cloexec = bool(flags & O_CLOEXEC)
        if sub is not None:
            shared = self._proc_fd(sub)  # /dev/stdout and the like: the guest's own fd
            if shared is not None:
                have = shared.flags & O_ACCMODE
                if have != O_RDWR and flags & O_ACCMODE != have:
                    return -E.EACCES
                return self._install(shared, cloexec=cloexec)
            if writing:
                raise _Refused(E.EACCES, f"{desc} refused: {_HIDDEN}")
            if sub == "maps":
                text = self.mem.maps_text().encode()
                return self._install(OpenFile("mem", "/proc/self/maps", data=text), cloexec=cloexec)
            if sub != "exe":
                raise _Refused(E.ENOENT, f"{desc} refused: {_HIDDEN}")
            real = self.exe_path
        hfd = self._open_host(desc, real, sub is not None, writing, flags,
                              mode & 0o7777 & ~self.umask)  # fmt: skip
        try:
            is_dir = S.S_ISDIR(os.fstat(hfd).st_mode)
        except OSError:
            is_dir = False
        f = OpenFile("host", real, flags & ~O_CLOEXEC, host_fd=hfd, is_dir=is_dir)
        try:
            return self._install(f, cloexec=cloexec)
        except OSError:
            os.close(hfd)
            raise

    def _open_host(self, desc: str, real: str, own: bool, writing: bool, flags: int,
                   mode: int) -> int:  # fmt: skip
        """A host fd for the resolved path `real`, as the policy allows."""
        if own:  # /proc/self/exe: the program itself
            return os.open(real, flags | O_CLOEXEC, mode)
        if writing:
            if not self._writable(real):
                raise _Refused(E.EACCES, f"{desc} refused: {_NO_WRITE}")
            return self._open_in(self.allow_write, real, flags, mode)
        if self.allow_read is None:
            return os.open(real, flags | O_CLOEXEC, mode)
        if self._readable(real):
            return self._open_in(self._read_roots, real, flags, mode)
        if os.path.isdir(real):  # a directory may be opened, not listed (getdents64)
            return os.open(real, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, mode)
        if not os.path.lexists(real):
            raise _err(E.ENOENT)
        raise _Refused(E.EACCES, f"{desc} refused: {_NO_READ}")

    def sys_close(self, fd: int, *_: int) -> int:
        self._file(fd)
        self._close(_s32(fd))
        return 0

    def sys_close_range(self, first: int, last: int, flags: int, *_: int) -> int:
        for fd in [fd for fd in self._fds if _s32(first) <= fd <= last]:
            if flags & 4:  # CLOSE_RANGE_CLOEXEC
                self._cloexec.add(fd)
            else:
                self._close(fd)
        return 0

    def sys_dup(self, fd: int, *_: int) -> int:
        return self._install(self._file(fd))

    def sys_dup2(self, old: int, new: int, *_: int) -> int:
        f = self._file(old)
        new = _s32(new)
        if new == _s32(old):
            return new
        if not 0 <= new < self._rlimits[7][0]:
            return -E.EBADF
        return self._install(f, fd=new)

    def sys_dup3(self, old: int, new: int, flags: int, *_: int) -> int:
        f = self._file(old)
        new = _s32(new)
        if new == _s32(old) or flags & ~O_CLOEXEC:
            return -E.EINVAL
        if not 0 <= new < self._rlimits[7][0]:
            return -E.EBADF
        return self._install(f, fd=new, cloexec=bool(flags & O_CLOEXEC))

    def sys_fcntl(self, fd: int, cmd: int, arg: int, *_: int) -> int:
        f = self._file(fd)
        fd, cmd = _s32(fd), _s32(cmd)
        if cmd in (0, 1030):  # F_DUPFD, F_DUPFD_CLOEXEC
            return self._install(f, lowest=_s32(arg), cloexec=cmd == 1030)
        if cmd == 1:  # F_GETFD
            return FD_CLOEXEC if fd in self._cloexec else 0
        if cmd == 2:  # F_SETFD
            (self._cloexec.add if arg & FD_CLOEXEC else self._cloexec.discard)(fd)
            return 0
        if cmd == 3:  # F_GETFL
            return f.flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)
        if cmd == 4:  # F_SETFL
            mask = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME
            f.flags = (f.flags & ~mask) | (arg & mask)
            if f.kind == "host" and f.owned:
                host_fcntl.fcntl(f.host_fd, host_fcntl.F_SETFL, f.flags & mask)
            return 0
        if cmd in (5, 36):  # F_GETLK, F_OFD_GETLK: nobody else holds a lock
            self.mem.write(arg, struct.pack("<h", 2))  # F_UNLCK
            return 0
        if cmd in (6, 7, 37, 38):  # set locks: single process, always granted
            return 0
        if cmd == 1032 and f.pipe:  # F_GETPIPE_SZ
            return 65536
        return -E.EINVAL

    def sys_ioctl(self, fd: int, req: int, arg: int, *_: int) -> int:
        f = self._file(fd)
        req &= 0xFFFF_FFFF
        if req == FIONBIO:
            return 0
        if req in (FIOCLEX, FIONCLEX):
            (self._cloexec.add if req == FIOCLEX else self._cloexec.discard)(_s32(fd))
            return 0
        if not f.tty:
            return -E.ENOTTY
        if req == TCGETS:
            self.mem.write(arg, _TERMIOS)
        elif req in (TCSETS, TCSETSW, TCSETSF):
            self.mem.read(arg, len(_TERMIOS))
        elif req == TIOCGWINSZ:
            self.mem.write(arg, struct.pack("<4H", 24, 80, 0, 0))
        elif req == TIOCGPGRP:
            self.mem.write(arg, struct.pack("<i", GUEST_PID))
        elif req == FIONREAD:
            self.mem.write(arg, struct.pack("<i", 0))
        elif req != TIOCSWINSZ:
            return -E.ENOTTY
        return 0

    def sys_stat(self, path: int, buf: int, *_: int) -> int:
        return self.sys_newfstatat(AT_FDCWD, path, buf, 0)

    def sys_lstat(self, path: int, buf: int, *_: int) -> int:
        return self.sys_newfstatat(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW)

    def sys_fstat(self, fd: int, buf: int, *_: int) -> int:
        self.mem.write(buf, _pack_stat(self._fstat(self._file(fd))))
        return 0

    def sys_newfstatat(self, dirfd: int, path: int, buf: int, flags: int, *_: int) -> int:
        self.mem.write(buf, _pack_stat(self._stat("newfstatat", dirfd, path, flags)))
        return 0

    def sys_statx(self, dirfd: int, path: int, flags: int, mask: int, buf: int, *_: int) -> int:
        self.mem.write(buf, _pack_statx(self._stat("statx", dirfd, path, flags)))
        return 0

    def sys_access(self, path: int, mode: int, *_: int) -> int:
        return self.sys_faccessat2(AT_FDCWD, path, mode, 0)

    def sys_faccessat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        return self.sys_faccessat2(dirfd, path, mode, 0)

    def sys_faccessat2(self, dirfd: int, ptr: int, mode: int, flags: int, *_: int) -> int:
        follow = not flags & AT_SYMLINK_NOFOLLOW
        real, sub = self._lookup(dirfd, self._path(ptr), follow)
        if sub is not None:
            self._proc_stat(sub, follow, "faccessat")
            return -E.EACCES if mode & 2 else 0
        os.stat(real, follow_symlinks=follow)  # ENOENT for a missing file
        if mode & 2 and not self._writable(real):
            return -E.EACCES  # a write would be refused, so say so
        return 0 if os.access(real, mode & 7, follow_symlinks=follow) else -E.EACCES

    def _readlink(self, dirfd: int, ptr: int, buf: int, size: int) -> int:
        if _s32(size) <= 0:
            return -E.EINVAL
        real, sub = self._lookup(dirfd, self._path(ptr), follow=False)
        if sub is None:
            target = os.fsencode(os.readlink(real))
        elif sub == "":
            target = str(GUEST_PID).encode()
        elif sub in ("exe", "cwd"):
            target = os.fsencode(self.exe_path if sub == "exe" else self.cwd)
        elif (f := self._proc_fd(sub)) is not None:
            target = os.fsencode("/dev/pts/0" if f.tty else f.path if not f.pipe else "pipe:[1]")
        else:
            raise _Refused(E.ENOENT, f"readlink('/proc/self/{sub}') refused: {_HIDDEN}")
        target = target[:size]
        self.mem.write(buf, target)
        return len(target)

    def sys_readlink(self, path: int, buf: int, size: int, *_: int) -> int:
        return self._readlink(AT_FDCWD, path, buf, size)

    def sys_readlinkat(self, dirfd: int, path: int, buf: int, size: int, *_: int) -> int:
        return self._readlink(dirfd, path, buf, size)

    def sys_getcwd(self, buf: int, size: int, *_: int) -> int:
        data = os.fsencode(self.cwd) + b"\0"
        if size < len(data):
            return -E.ERANGE
        self.mem.write(buf, data)
        return len(data)

    def sys_chdir(self, ptr: int, *_: int) -> int:
        real, sub = self._lookup(AT_FDCWD, self._path(ptr))
        if sub is not None:
            return -E.EACCES
        if not os.path.isdir(real):
            return -E.ENOTDIR if os.path.exists(real) else -E.ENOENT
        self.cwd = real
        return 0

    def sys_fchdir(self, fd: int, *_: int) -> int:
        f = self._file(fd)
        if not f.is_dir:
            return -E.ENOTDIR
        self.cwd = f.path
        return 0

    def sys_getdents64(self, fd: int, buf: int, count: int, *_: int) -> int:
        f = self._file(fd)
        if not f.is_dir:
            return -E.ENOTDIR
        if f.dirents is None:
            if not self._readable(f.path):
                raise _Refused(E.EACCES, f"getdents64({f.path!r}) refused: {_NO_READ}")
            st = os.fstat(f.host_fd)
            f.dirents = [(b".", st.st_ino, 4), (b"..", st.st_ino, 4)]
            with os.scandir(f.host_fd) as it:
                f.dirents += [(os.fsencode(e.name), e.inode(), _dirent_type(e)) for e in it]
        out = bytearray()
        while f.pos < len(f.dirents):
            name, ino, typ = f.dirents[f.pos]
            reclen = (19 + len(name) + 1 + 7) & ~7
            if len(out) + reclen > count:
                if not out:
                    return -E.EINVAL
                break
            f.pos += 1
            out += struct.pack("<QqHB", ino, f.pos, reclen, typ) + name.ljust(reclen - 19, b"\0")
        self.mem.write(buf, out)
        return len(out)

    def sys_umask(self, mask: int, *_: int) -> int:
        old, self.umask = self.umask, mask & 0o777
        return old

    def sys_unlink(self, path: int, *_: int) -> int:
        return self._unlink("unlink", AT_FDCWD, path, 0)

    def sys_rmdir(self, path: int, *_: int) -> int:
        return self._unlink("rmdir", AT_FDCWD, path, AT_REMOVEDIR)

    def sys_unlinkat(self, dirfd: int, path: int, flags: int, *_: int) -> int:
        return self._unlink("unlinkat", dirfd, path, flags)

    def _unlink(self, call: str, dirfd: int, path: int, flags: int) -> int:
        with self._write_parent(call, dirfd, path) as (pfd, name):
            (os.rmdir if flags & AT_REMOVEDIR else os.unlink)(name, dir_fd=pfd)
        return 0

    def sys_mkdir(self, path: int, mode: int, *_: int) -> int:
        return self.sys_mkdirat(AT_FDCWD, path, mode)

    def sys_mkdirat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        with self._write_parent("mkdir", dirfd, path, removes=False) as (pfd, name):
            os.mkdir(name, mode & 0o7777 & ~self.umask, dir_fd=pfd)
        return 0

    def sys_rename(self, old: int, new: int, *_: int) -> int:
        return self.sys_renameat2(AT_FDCWD, old, AT_FDCWD, new, 0)

    def sys_renameat(self, olddir: int, old: int, newdir: int, new: int, *_: int) -> int:
        return self.sys_renameat2(olddir, old, newdir, new, 0)

    def sys_renameat2(self, olddir: int, old: int, newdir: int, new: int, flags: int,
                      *_: int) -> int:  # fmt: skip
        if flags:
            return -E.EINVAL
        with self._write_parent("rename", olddir, old) as (sfd, sname):
            with self._write_parent("rename", newdir, new) as (dfd, dname):
                os.rename(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
        return 0

    def sys_truncate(self, path: int, length: int, *_: int) -> int:
        p = self._path(path)
        real, sub = self._lookup(AT_FDCWD, p)
        if sub is not None or not self._writable(real):
            raise _Refused(E.EACCES, f"truncate({p!r}) refused: {_NO_WRITE}")
        fd = self._open_in(self.allow_write, real, O_WRONLY)
        try:
            os.ftruncate(fd, _s64(length))
        finally:
            os.close(fd)
        return 0

    def sys_ftruncate(self, fd: int, length: int, *_: int) -> int:
        f = self._file(fd)
        if f.kind != "host":
            return -E.EINVAL
        os.ftruncate(f.host_fd, _s64(length))
        return 0

    def sys_fsync(self, fd: int, *_: int) -> int:
        self._file(fd)
        return 0

    sys_fdatasync = sys_fsync
