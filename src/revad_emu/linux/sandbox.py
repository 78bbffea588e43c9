"""The guest's policy: what it may not do, and how guest paths become host paths.

The guest may read any host file (unless `allow_read` restricts it), may write or create
files only below the --allow-write directories, never sees the emulator's own /proc/<pid>
(only a virtual /proc/self with maps, exe and fd/N), and may not start programs, other
processes or network connections (the `_REFUSED` table). Refusals raise `_Refused`, which
the dispatcher reports in `Kernel.refused` and turns into -errno.

A guest path is resolved here (symlinks followed by hand, so /proc/self stays virtual), the
policy is checked on the resolved host path, and the file is then opened *relative to an fd
of the allowed directory* with no symlink followed on the way (`openat2` with
RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a component-by-component O_NOFOLLOW walk where the
host kernel has no openat2): if anything on the path was swapped for a symlink between the
check and the use, the open fails instead of leaving the directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as E
import os
import posixpath
import re
import struct
from collections.abc import Callable, Iterable, Iterator

from ..cpu.memory import GuestMemoryError
from .abi import AT_FDCWD, PATH_MAX, _err, _s32
from .fds import OpenFile

_NO_WRITE = "writes allowed only under --allow-write directories"
_NO_READ = "reads allowed only under --allow-read directories (--no-read)"
_ROOT_ITSELF = "an --allow-write directory itself cannot be removed or renamed"

PathArg = str | bytes | os.PathLike


def path_list(value: PathArg | Iterable[PathArg] | None, what: str) -> list[str]:
    """One path (str, bytes or path-like) or an iterable of them, as a list of str paths.

    A str is one path, never a sequence of one-letter paths; anything else is a TypeError.
    """
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    elif not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a directory path (str or path-like) or a list of "
                        f"them, not {type(value).__name__}")  # fmt: skip
    out = []
    for v in value:
        if not isinstance(v, (str, bytes, os.PathLike)):
            raise TypeError(f"{what} must be a directory path (str or path-like) or a list of "
                            f"them; got an item of type {type(v).__name__}")  # fmt: skip
        p = os.fsdecode(os.fspath(v))
        if not p or "\0" in p:
            raise ValueError(f"{what}: {p!r} is not a path")
        out.append(p)
    return out


# Host files the dynamic loader needs, readable even under --no-read: the loader's cache
# and preload list, the system library directories (libc, libm, libgcc_s, libstdc++ and the
# locale data live there), the directories of every library the cache lists, and the
# harmless character devices.
_LOADER_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload")
_LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def loader_readable() -> list[str]:
    """The host paths a dynamically linked program needs to start (see above)."""
    paths = [*_LOADER_FILES, *_LIBRARY_DIRS, *_DEVICES]
    try:
        with open("/etc/ld.so.cache", "rb") as f:
            cache = f.read(1 << 22)
    except OSError:
        cache = b""
    for lib in set(re.findall(rb"\0(/[\x21-\x7e]+/[\x21-\x7e]+\.so[\x21-\x7e]*)(?=\0)", cache)):
        paths.append(os.path.dirname(os.fsdecode(lib)))  # the cache's string table
    return paths


def _under(real: str, roots: Iterable[str]) -> str | None:
    """The longest root that is `real` or a directory above it."""
    best = None
    for d in roots:
        if (real == d or real.startswith(d.rstrip("/") + "/")) and (
            best is None or len(d) > len(best)
        ):
            best = d
    return best


# -- opening below a directory without following symlinks ---------------------------------

RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH = 0x02, 0x04, 0x08
_SYS_OPENAT2 = 437
_OPEN_FLAGS = (
    0o3
    | 0o100
    | 0o200
    | 0o400
    | 0o1000
    | 0o2000
    | 0o4000
    | 0o10000
    | 0o20000
    | 0o40000
    | 0o100000
    | 0o200000
    | 0o400000
    | 0o1000000
    | 0o2000000
    | 0o4000000
    | 0o10000000
    | 0o20000000
)  # fmt: skip  (every flag openat2 accepts; open() ignores others, openat2 refuses them)
_openat2_state: list[bool | None] = [None]  # None: not tried yet


def _libc_syscall() -> Callable[..., int]:
    libc = ctypes.CDLL(None, use_errno=True)
    fn = libc.syscall
    fn.restype = ctypes.c_long
    fn.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
    return fn


def _openat2(dirfd: int, rel: str, flags: int, mode: int) -> int | None:
    """openat2(dirfd, rel, RESOLVE_BENEATH|NO_SYMLINKS|NO_MAGICLINKS); None if unavailable."""
    if _openat2_state[0] is False:
        return None
    how = ctypes.create_string_buffer(
        struct.pack("<QQQ", flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
                    | RESOLVE_NO_MAGICLINKS), 24)  # fmt: skip
    fd = _libc_syscall()(_SYS_OPENAT2, dirfd, os.fsencode(rel or "."), how, 24)
    if fd >= 0:
        _openat2_state[0] = True
        return fd
    err = ctypes.get_errno()
    if err in (E.ENOSYS, E.EPERM) and _openat2_state[0] is None:
        _openat2_state[0] = False  # old kernel, or a seccomp filter: walk instead
        return None
    raise _err(err)


def open_beneath(rootfd: int, rel: str, flags: int, mode: int = 0) -> int:
    """Open `rel` (a relative path with no '..') below the directory `rootfd`, following no
    symlink at all: a symlink anywhere on the path gives ELOOP/ENOTDIR/EXDEV, never a file
    outside the directory. Returns a host fd (close-on-exec)."""
    flags = (flags & _OPEN_FLAGS) | os.O_CLOEXEC
    if not flags & os.O_CREAT and flags & os.O_TMPFILE != os.O_TMPFILE:
        mode = 0
    fd = _openat2(rootfd, rel, flags, mode)
    if fd is not None:
        return fd
    parts = [c for c in rel.split("/") if c and c != "."]
    if ".." in parts:
        raise _err(E.EXDEV)
    cur = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=rootfd)
    try:
        for c in parts[:-1]:
            nxt = os.open(c, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=cur)  # fmt: skip
            os.close(cur)
            cur = nxt
        last = parts[-1] if parts else "."
        return os.open(last, flags | os.O_NOFOLLOW, mode, dir_fd=cur)
    finally:
        os.close(cur)


_HIDDEN = "the emulator's own /proc entries are hidden from the guest"

_REFUSED: dict[str, tuple[int, str]] = {
    **dict.fromkeys(("execve", "execveat"), (E.EACCES, "running other programs is not allowed")),
    **dict.fromkeys(
        ("fork", "vfork"),
        (E.ENOSYS, "new processes are not supported (threads are: clone with CLONE_THREAD)"),
    ),
    **dict.fromkeys(
        "socket socketpair connect accept accept4 bind listen sendto recvfrom sendmsg recvmsg "
        "sendmmsg recvmmsg".split(),
        (E.EACCES, "network access is not allowed"),
    ),
    **dict.fromkeys(
        "ptrace process_vm_readv process_vm_writev kcmp pidfd_open pidfd_getfd "
        "pidfd_send_signal".split(),
        (E.EPERM, "access to other processes is not allowed"),
    ),
    **dict.fromkeys(
        "mount umount2 reboot swapon swapoff chroot pivot_root sethostname setdomainname "
        "init_module finit_module delete_module kexec_load kexec_file_load settimeofday "
        "clock_settime adjtimex iopl ioperm setuid setgid setreuid setregid setresuid "
        "setresgid setgroups acct unshare setns bpf perf_event_open userfaultfd "
        "io_uring_setup seccomp".split(),
        (E.EPERM, "privileged or host-changing operation"),
    ),
}


class _Refused(Exception):
    """A call the policy refuses: reported in Kernel.refused, returns -errno."""

    def __init__(self, err: int, line: str) -> None:
        super().__init__(line)
        self.err = err
        self.line = line


class Sandbox:
    """Kernel part: the refusal policy and path resolution (a mixin of `Kernel`)."""

    def _note(self, line: str) -> None:
        if len(self.refused) < self.max_refused:
            self.refused.append(line)

    def _refuser(self, name: str) -> Callable[..., int]:
        err, why = _REFUSED[name]

        def refuse(*args: int) -> int:
            what = f"{name}()"
            if name in ("execve", "execveat"):
                try:
                    what = f"{name}({self._path(args[1 if name == 'execveat' else 0])!r})"
                except (GuestMemoryError, OSError):
                    pass
            raise _Refused(err, f"{what} refused: {why}")

        return refuse

    # -- paths and policy -------------------------------------------------------------------

    def _path(self, ptr: int) -> str:
        raw = self.mem.read_cstr(ptr, PATH_MAX)
        if len(raw) >= PATH_MAX:
            raise _err(E.ENAMETOOLONG)
        return os.fsdecode(raw)

    def _lookup(self, dirfd: int, path: str, follow: bool = True) -> tuple[str, str | None]:
        """Resolve symlinks like realpath; stop at our own /proc dir and return (root, sub).

        Walking by hand (instead of os.path.realpath) is what keeps /proc/self/fd/N,
        /dev/stdout and symlinks to them from reaching the emulator's own files.
        """
        if not path:
            raise _err(E.ENOENT)
        dirfd = _s32(dirfd)
        if self.looked_up is not None:  # the start-up cache notes what the program looked at
            self.looked_up.append((dirfd, path))
        if path.startswith("/"):
            cur = ""
        elif dirfd == AT_FDCWD:
            cur = self.cwd.rstrip("/")
        else:
            f = self._file(dirfd)
            if not f.is_dir:
                raise _err(E.ENOTDIR)
            cur = f.path.rstrip("/")
        todo = [c for c in reversed(path.split("/")) if c]
        links = 0
        while todo:
            c = todo.pop()
            if c == ".":
                continue
            if c == "..":
                cur = cur.rsplit("/", 1)[0]
                continue
            nxt = f"{cur}/{c}"
            if nxt in self._proc_roots or (cur == "/proc" and self._own_thread(c)):
                rest = posixpath.normpath("/" + "/".join(reversed(todo)))
                return nxt, re.sub(r"^/task/\d+(?=/|$)", "", rest).lstrip("/")
            if not todo and not follow:
                cur = nxt
                break
            try:
                target = os.readlink(nxt)
            except OSError:
                cur = nxt
                continue
            links += 1
            if links > 40:
                raise _err(E.ELOOP)
            if target.startswith("/"):
                cur = ""
            todo.extend(c for c in reversed(target.split("/")) if c)
        return cur or "/", None

    def _own_thread(self, name: str) -> bool:
        """/proc/<tid> of another thread of the emulator (a progress bar, say) is ours too."""
        return name.isdigit() and os.path.exists(f"/proc/{os.getpid()}/task/{name}")

    def _writable(self, real: str) -> bool:
        return _under(real, self.allow_write) is not None

    def _readable(self, real: str) -> bool:
        return self.allow_read is None or _under(real, self._read_roots) is not None

    def _root_fd(self, root: str) -> int:
        """An fd of an allowed directory, opened once and kept for the run: later renames or
        symlinks on the way to it do not move what the guest may reach."""
        fd = self._root_fds.get(root)
        if fd is None:
            fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            self._root_fds[root] = fd
        return fd

    def _open_in(self, roots: Iterable[str], real: str, flags: int, mode: int = 0) -> int:
        """Open the resolved host path `real` below the allowed root that holds it."""
        root = _under(real, roots)
        assert root is not None
        if root == real and not os.path.isdir(root):  # an allowed file rather than a directory
            root, rel = os.path.dirname(real), os.path.basename(real)
            parent = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                return open_beneath(parent, rel, flags, mode)
            finally:
                os.close(parent)
        return open_beneath(self._root_fd(root), real[len(root) :].lstrip("/"), flags, mode)

    def _write_target(self, call: str, dirfd: int, ptr: int) -> str:
        """Host path of a name the call will create, remove or rename (not following it)."""
        path = self._path(ptr)
        real, sub = self._lookup(dirfd, path, follow=False)
        if sub is not None or not self._writable(real):
            raise _Refused(E.EACCES, f"{call}({path!r}) refused: {_NO_WRITE}")
        return real

    @contextlib.contextmanager
    def _write_parent(self, call: str, dirfd: int, ptr: int,
                      removes: bool = True) -> Iterator[tuple[int, str]]:  # fmt: skip
        """(fd of the parent directory, last name) of a name the call creates, removes or
        renames, opened below its --allow-write directory without following symlinks. An
        allowed directory itself may not be removed or renamed (`removes`)."""
        real = self._write_target(call, dirfd, ptr)
        root = _under(real, self.allow_write)
        assert root is not None
        if real == root:
            if removes:
                raise _Refused(E.EBUSY, f"{call}({real!r}) refused: {_ROOT_ITSELF}")
            raise _err(E.EEXIST)  # mkdir of the directory itself
        parent, _, name = real[len(root) :].lstrip("/").rpartition("/")
        pfd = open_beneath(self._root_fd(root), parent, os.O_PATH | os.O_DIRECTORY)
        try:
            yield pfd, name
        finally:
            os.close(pfd)

    def _proc_fd(self, sub: str) -> OpenFile | None:
        """The open file /proc/self/fd/N names (ENOENT if N is closed), None for other names."""
        m = re.fullmatch(r"fd/(\d+)", sub)
        if m is None:
            return None
        f = self._fds.get(int(m[1]))
        if f is None:
            raise _err(E.ENOENT)
        return f
