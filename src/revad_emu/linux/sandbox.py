"""The guest's policy: what it may not do, and how guest paths become host paths.

The guest may read any host file, may write or create files only below the --allow-write
directories, never sees the emulator's own /proc/<pid> (only a virtual /proc/self with
maps, exe and fd/N), and may not start programs, other processes or network connections (the
`_REFUSED` table). Refusals raise `_Refused`, which the dispatcher reports in
`Kernel.refused` and turns into -errno.
"""

from __future__ import annotations

import errno as E
import os
import posixpath
import re
from collections.abc import Callable

from ..memory import GuestMemoryError
from .abi import AT_FDCWD, PATH_MAX, _err, _s32
from .fds import OpenFile

_NO_WRITE = "writes allowed only under --allow-write directories"
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
        return any(real == d or real.startswith(d.rstrip("/") + "/") for d in self.allow_write)

    def _write_target(self, call: str, dirfd: int, ptr: int) -> str:
        """Host path of a name the call will create, remove or rename (not following it)."""
        path = self._path(ptr)
        real, sub = self._lookup(dirfd, path, follow=False)
        if sub is not None or not self._writable(real):
            raise _Refused(E.EACCES, f"{call}({path!r}) refused: {_NO_WRITE}")
        return real

    def _proc_fd(self, sub: str) -> OpenFile | None:
        """The open file /proc/self/fd/N names (ENOENT if N is closed), None for other names."""
        m = re.fullmatch(r"fd/(\d+)", sub)
        if m is None:
            return None
        f = self._fds.get(int(m[1]))
        if f is None:
            raise _err(E.ENOENT)
        return f
