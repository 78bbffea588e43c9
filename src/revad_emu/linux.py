"""Linux x86-64 system calls for one single-threaded guest process, with a file sandbox.

One method per syscall (`sys_<name>`), found through the kernel's own name table, so a
syscall number can only be wrong in one place (`SYSCALL_NAMES`, checked against the kernel
header by the tests). Policy: the guest may read any host file, may write or create files
only below the --allow-write directories, writes fds 1 and 2 through callbacks, never sees
the emulator's own /proc/<pid> (only a virtual /proc/self with maps, exe and fd/N), and may
not start programs, threads or network connections. Refusals are reported in `refused`.
Handlers return the value for RAX; failures are negative errno values.
"""

from __future__ import annotations

import errno as E
import fcntl as host_fcntl
import os
import posixpath
import random
import re
import resource
import stat as S
import struct
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .memory import PAGE, AddressSpace, GuestMemoryError, MapError, page_up

_NAMES_LOW = """
read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select
sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep
getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg
recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt
clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd
msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir
rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown
umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid setuid
setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups
setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget
capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod
uselib personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam
sched_getparam sched_setscheduler sched_getscheduler sched_get_priority_max
sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup
modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct
settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm
create_module init_module delete_module get_kernel_syms query_module quotactl nfsservctl
getpmsg putpmsg afs_syscall tuxcall security gettid readahead setxattr lsetxattr fsetxattr
getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr
fremovexattr tkill time futex sched_setaffinity sched_getaffinity set_thread_area io_setup
io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_create
epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall
semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun
timer_delete clock_settime clock_gettime clock_getres clock_nanosleep exit_group
epoll_wait epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open
mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key
request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch
migrate_pages openat mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat
linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list
get_robust_list splice tee sync_file_range vmsplice move_pages utimensat epoll_pwait
signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4
signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo
perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at
open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv
process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp
getrandom memfd_create kexec_file_load bpf execveat userfaultfd membarrier mlock2
copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free statx io_pgetevents
rseq
""".split()
_NAMES_HIGH = """
pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount
fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd
faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset
landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv
set_mempolicy_home_node
""".split()
SYSCALL_NAMES: dict[int, str] = dict(enumerate(_NAMES_LOW)) | {
    424 + i: n for i, n in enumerate(_NAMES_HIGH)
}
SYSCALL_NUMBERS: dict[str, int] = {n: i for i, n in SYSCALL_NAMES.items()}


def syscall_name(nr: int) -> str:
    return SYSCALL_NAMES.get(nr, f"syscall_{nr}")


GUEST_PID = 4242  # fixed, so runs are reproducible; also the tid of the only thread
GUEST_PPID = 4241
USER_TOP = 0x7FFF_FFFF_F000  # end of the x86-64 user address space (47-bit)
MAX_IO = 1 << 24  # bytes moved by one read/write; short counts are legal
PATH_MAX = 4096
RANDOM_SEED = 0x5EED_AD  # getrandom is deterministic so recordings are reproducible
NOFILE = 1024

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_EMPTY_PATH = 0x1000
O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND = 0o100, 0o200, 0o400, 0o1000, 0o2000
O_NONBLOCK, O_DIRECT, O_DIRECTORY, O_NOFOLLOW = 0o4000, 0o40000, 0o200000, 0o400000
O_NOATIME, O_CLOEXEC, O_TMPFILE = 0o1000000, 0o2000000, 0o20200000
FD_CLOEXEC = 1
PROT_EXEC = 4
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MADV_DONTNEED = 4
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TIOCGPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD = 0x540F, 0x5413, 0x5414, 0x541B
FIONBIO, FIONCLEX, FIOCLEX = 0x5421, 0x5450, 0x5451
RLIM_INFINITY = (1 << 64) - 1
SIGKILL, SIGSTOP = 9, 19
_SIG_IGNORED = {17, 18, 23, 28}  # SIGCHLD SIGCONT SIGURG SIGWINCH: default action is ignore
_SIG_STOPPING = {19, 20, 21, 22}  # no job control here: treated as ignored

# ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, B38400|CS8|CREAD, OPOST|ONLCR, ICRNL|IXON
_TERMIOS = struct.pack("<4IB", 0x500, 0x5, 0xBF, 0x8A3B, 0) + bytes(
    [3, 0x1C, 0x7F, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1A, 0, 0x12, 0x0F, 0x17, 0x16, 0, 0, 0]
)
_UTSNAME = b"".join(
    s.ljust(65, b"\0") for s in (b"Linux", b"revad", b"6.1.0", b"#1 SMP", b"x86_64", b"(none)")
)
_NO_WRITE = "writes allowed only under --allow-write directories"
_HIDDEN = "the emulator's own /proc entries are hidden from the guest"

_REFUSED: dict[str, tuple[int, str]] = {
    **dict.fromkeys(("execve", "execveat"), (E.EACCES, "running other programs is not allowed")),
    **dict.fromkeys(
        ("fork", "vfork", "clone", "clone3"),
        (E.ENOSYS, "new processes and threads are not supported"),
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


def _err(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def _s32(x: int) -> int:
    x &= 0xFFFF_FFFF
    return x - (1 << 32) if x & 0x8000_0000 else x


def _s64(x: int) -> int:
    x &= 0xFFFF_FFFF_FFFF_FFFF
    return x - (1 << 64) if x & (1 << 63) else x


def _flag_text(flags: int) -> str:
    names = [("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[flags & O_ACCMODE]]
    for bit, name in ((O_CREAT, "O_CREAT"), (O_EXCL, "O_EXCL"), (O_TRUNC, "O_TRUNC"),
                      (O_APPEND, "O_APPEND"), (O_DIRECTORY, "O_DIRECTORY")):  # fmt: skip
        if flags & bit:
            names.append(name)
    return "|".join(names)


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


class Kernel:
    """System calls of one guest process over an AddressSpace."""

    def __init__(
        self,
        mem: AddressSpace,
        *,
        exe_path: str,
        stdin: bytes | None,
        stdout: Callable[[bytes], None],
        stderr: Callable[[bytes], None],
        allow_write: Sequence[str | Path] = (),
        tty_fds: Collection[int] = (),
        set_fs_base: Callable[[int], None],
        get_fs_base: Callable[[], int],
        on_map: Callable[[int, int, int, str | None, int], None] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.mem = mem
        self.exe_path = os.path.abspath(exe_path)
        self.allow_write = [os.path.realpath(str(d)) for d in allow_write]
        self.set_fs_base = set_fs_base
        self.get_fs_base = get_fs_base
        self.on_map = on_map
        self.cwd = os.path.realpath(cwd or os.getcwd())
        # Called as on_copy(src, dst, n) when the kernel moves guest bytes (mremap), so a
        # layer above can move what it knows about them along.
        self.on_copy: Callable[[int, int, int], None] | None = None
        # Called as on_output(fd, addr, n) before guest bytes leave through write/writev/
        # pwrite64 (a layer above may note that what they carried is lost).
        self.on_output: Callable[[int, int, int], None] | None = None
        self.exited = False
        self.exit_status: int | None = None
        self.term_signal: int | None = None
        self.counts: Counter[str] = Counter()
        self.unknown: dict[int, int] = {}
        self.refused: list[str] = []
        self.max_refused = 1000  # keep a runaway loop from growing the list without bound
        self.umask = 0o022
        self._brk_start = self._brk = 0
        self._rng = random.Random(RANDOM_SEED)
        self._sigactions: dict[int, bytes] = {}
        self._sigmask = 0
        self._altstack = struct.pack("<QiiQ", 0, 2, 0, 0)  # SS_DISABLE
        self._rlimits = {
            0: (RLIM_INFINITY,) * 2, 1: (RLIM_INFINITY,) * 2, 2: (RLIM_INFINITY,) * 2,
            3: (8 << 20, RLIM_INFINITY), 4: (0, RLIM_INFINITY), 5: (RLIM_INFINITY,) * 2,
            6: (63_000, 63_000), 7: (NOFILE, 1 << 19), 8: (8 << 20, 8 << 20),
            9: (RLIM_INFINITY,) * 2, 10: (RLIM_INFINITY,) * 2, 11: (63_000, 63_000),
            12: (819_200, 819_200), 13: (0, 0), 14: (0, 0), 15: (RLIM_INFINITY,) * 2,
        }  # fmt: skip
        hostpid = os.getpid()
        self._proc_roots = {"/proc/self", "/proc/thread-self", f"/proc/{hostpid}",
                            f"/proc/{GUEST_PID}"}  # fmt: skip
        self._fds: dict[int, OpenFile] = {}
        self._cloexec: set[int] = set()
        if stdin is None:
            f0 = OpenFile("host", "/dev/stdin", O_RDONLY, host_fd=0, owned=False)
        else:
            f0 = OpenFile("mem", "/dev/stdin", O_RDONLY, data=bytes(stdin), pipe=True)
        f1 = OpenFile("sink", "/dev/stdout", O_WRONLY, sink=stdout, pipe=True)
        f2 = OpenFile("sink", "/dev/stderr", O_WRONLY, sink=stderr, pipe=True)
        for fd, f in enumerate((f0, f1, f2)):
            f.tty = fd in tty_fds
            self._install(f, fd=fd)
        self._table: dict[int, tuple[str, Callable[..., int]]] = {}
        for nr, name in SYSCALL_NAMES.items():
            handler = getattr(self, "sys_" + name, None)
            if name in _REFUSED:
                handler = self._refuser(name)
            if handler is not None:
                self._table[nr] = (name, handler)

    # -- entry ------------------------------------------------------------------------------

    def syscall(self, nr: int, args: tuple[int, int, int, int, int, int]) -> int:
        """Run one system call; returns RAX as a Python int (negative errno on failure)."""
        entry = self._table.get(nr)
        if entry is None:
            self.unknown[nr] = self.unknown.get(nr, 0) + 1
            return -E.ENOSYS
        name, handler = entry
        self.counts[name] += 1
        try:
            return handler(*args)
        except GuestMemoryError:
            return -E.EFAULT
        except _Refused as r:
            self._note(r.line)
            return -r.err
        except OSError as e:
            return -(e.errno or E.EIO)
        except MapError:
            return -E.ENOMEM

    def brk_start(self, addr: int) -> None:
        """Set the initial program break (end of the loaded image, page-aligned as Linux does)."""
        self._brk_start = self._brk = page_up(addr)

    def close_all(self) -> None:
        for fd in list(self._fds):
            self._close(fd)

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

    # -- fd table ---------------------------------------------------------------------------

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

    def _read_file(self, f: OpenFile, n: int) -> bytes:
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
        if f.kind == "sink":
            assert f.sink is not None
            f.sink(data)
            return len(data)
        if f.kind == "mem":
            raise _err(E.EBADF)
        return os.write(f.host_fd, data)

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

    # -- files ------------------------------------------------------------------------------

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
        if self.on_output is not None and n:
            self.on_output(fd, addr, n)

    def _iovecs(self, iov: int, cnt: int) -> list[tuple[int, int]]:
        if _s32(cnt) < 0 or cnt > 1024:
            raise _err(E.EINVAL)
        raw = self.mem.read(iov, 16 * cnt)
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]

    def sys_readv(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        f = self._file(fd)
        vecs = self._iovecs(iov, cnt)
        if any(n and not self.mem.is_mapped(b, n) for b, n in vecs):
            return -E.EFAULT
        data = self._read_file(f, min(sum(n for _, n in vecs), MAX_IO))
        pos = 0
        for base, n in vecs:
            self.mem.write(base, data[pos : pos + n])
            pos += n
        return len(data)

    def sys_writev(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        f = self._file(fd)
        vecs = self._iovecs(iov, cnt)
        for b, n in vecs:
            self._output(fd, b, n)
        data = b"".join(self.mem.read(b, n) for b, n in vecs)
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
        elif writing and not self._writable(real):
            raise _Refused(E.EACCES, f"{desc} refused: {_NO_WRITE}")
        hfd = os.open(real, flags | O_CLOEXEC, mode & 0o7777 & ~self.umask)
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
        os.unlink(self._write_target("unlink", AT_FDCWD, path))
        return 0

    def sys_rmdir(self, path: int, *_: int) -> int:
        os.rmdir(self._write_target("rmdir", AT_FDCWD, path))
        return 0

    def sys_unlinkat(self, dirfd: int, path: int, flags: int, *_: int) -> int:
        real = self._write_target("unlinkat", dirfd, path)
        (os.rmdir if flags & AT_REMOVEDIR else os.unlink)(real)
        return 0

    def sys_mkdir(self, path: int, mode: int, *_: int) -> int:
        return self.sys_mkdirat(AT_FDCWD, path, mode)

    def sys_mkdirat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        os.mkdir(self._write_target("mkdir", dirfd, path), mode & 0o7777 & ~self.umask)
        return 0

    def sys_rename(self, old: int, new: int, *_: int) -> int:
        return self.sys_renameat2(AT_FDCWD, old, AT_FDCWD, new, 0)

    def sys_renameat(self, olddir: int, old: int, newdir: int, new: int, *_: int) -> int:
        return self.sys_renameat2(olddir, old, newdir, new, 0)

    def sys_renameat2(self, olddir: int, old: int, newdir: int, new: int, flags: int,
                      *_: int) -> int:  # fmt: skip
        if flags:
            return -E.EINVAL
        src = self._write_target("rename", olddir, old)
        os.rename(src, self._write_target("rename", newdir, new))
        return 0

    def sys_truncate(self, path: int, length: int, *_: int) -> int:
        p = self._path(path)
        real, sub = self._lookup(AT_FDCWD, p)
        if sub is not None or not self._writable(real):
            raise _Refused(E.EACCES, f"truncate({p!r}) refused: {_NO_WRITE}")
        os.truncate(real, _s64(length))
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

    # -- memory -----------------------------------------------------------------------------

    def _mapped_exec(self, addr: int, size: int, prot: int) -> None:
        if self.on_map is not None and prot & PROT_EXEC:
            self.on_map(addr, size, prot, None, 0)

    def sys_brk(self, addr: int, *_: int) -> int:
        if not self._brk_start or addr < self._brk_start:
            return self._brk
        old_top, new_top = page_up(self._brk), page_up(addr)
        if new_top > old_top:
            if new_top > USER_TOP or not self.mem.is_free(old_top, new_top - old_top):
                return self._brk
            self.mem.map(old_top, new_top - old_top, 3, "[heap]")
        elif new_top < old_top:
            self.mem.unmap(new_top, old_top - new_top)
        self._brk = addr
        return addr

    def sys_mmap(self, addr: int, length: int, prot: int, flags: int, fd: int, offset: int
                 ) -> int:  # fmt: skip
        prot &= 7
        if not length or offset % PAGE or not flags & 3:
            return -E.EINVAL
        size = page_up(length)
        fixed = bool(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
        if fixed and addr % PAGE:
            return -E.EINVAL
        if size > USER_TOP or (fixed and addr + size > USER_TOP):
            return -E.ENOMEM
        if flags & MAP_FIXED_NOREPLACE and not self.mem.is_free(addr, size):
            return -E.EEXIST
        f = None
        if not flags & MAP_ANONYMOUS:
            f = self._file(fd)
            if f.kind != "host" or f.is_dir:
                return -E.ENODEV
            if f.flags & O_ACCMODE == O_WRONLY:
                return -E.EACCES
            if flags & 3 != MAP_PRIVATE and prot & 2:
                raise _Refused(
                    E.EACCES,
                    f"mmap({f.path!r}, MAP_SHARED, PROT_WRITE) refused: shared writable "
                    "file mappings are not supported",
                )
        hint = addr if fixed or 0x10000 <= addr <= USER_TOP - size else None
        start = self.mem.map(hint, size, prot, f.path if f else "", fixed=fixed)
        if f is None:
            self._mapped_exec(start, size, prot)
            return start
        self.mem.write(start, os.pread(f.host_fd, size, offset))
        if self.on_map is not None:
            self.on_map(start, size, prot, f.path, offset)
        return start

    def sys_munmap(self, addr: int, length: int, *_: int) -> int:
        if addr % PAGE or not length or addr + length > USER_TOP:
            return -E.EINVAL
        self.mem.unmap(addr, length)
        return 0

    def sys_mprotect(self, addr: int, length: int, prot: int, *_: int) -> int:
        if addr % PAGE:
            return -E.EINVAL
        size = page_up(length)
        if not size:
            return 0
        if not self.mem.is_mapped(addr, size):
            return -E.ENOMEM
        was_exec = all(r.prot & PROT_EXEC for r in self.mem.overlapping(addr, addr + size))
        self.mem.protect(addr, size, prot & 7)
        if not was_exec:
            self._mapped_exec(addr, size, prot)
        return 0

    def sys_mremap(self, old: int, old_size: int, new_size: int, flags: int, new_addr: int,
                   *_: int) -> int:  # fmt: skip
        if old % PAGE or flags & ~7 or (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)
                                        and not flags & MREMAP_MAYMOVE):  # fmt: skip
            return -E.EINVAL
        old_size, new_size = page_up(old_size), page_up(new_size)
        if not old_size or not new_size or new_size > USER_TOP:
            return -E.EINVAL
        r = self.mem.region_at(old)
        if r is None or r.end < old + old_size:
            return -E.EFAULT
        if not flags & MREMAP_FIXED:
            if new_size <= old_size:
                self.mem.unmap(old + new_size, old_size - new_size)
                return old
            grow = new_size - old_size
            if old + new_size <= USER_TOP and self.mem.is_free(old + old_size, grow):
                self.mem.map(old + old_size, grow, r.prot, r.name)
                return old
            if not flags & MREMAP_MAYMOVE:
                return -E.ENOMEM
        elif new_addr % PAGE or (new_addr < old + old_size and old < new_addr + new_size):
            return -E.EINVAL
        data = self.mem.read(old, min(old_size, new_size))
        target = new_addr if flags & MREMAP_FIXED else None
        new = self.mem.map(target, new_size, r.prot, r.name, fixed=target is not None)
        self.mem.write(new, data)
        if self.on_copy is not None:
            self.on_copy(old, new, len(data))
        if not flags & MREMAP_DONTUNMAP:
            self.mem.unmap(old, old_size)
        self._mapped_exec(new, new_size, r.prot)
        return new

    def sys_madvise(self, addr: int, length: int, advice: int, *_: int) -> int:
        if advice == MADV_DONTNEED:  # private anonymous pages read back as zeros
            end = addr + page_up(length)
            for r in self.mem.overlapping(addr, end):
                if not r.name.startswith("/"):
                    lo, hi = max(r.start, addr), min(r.end, end)
                    for p in range(lo, hi, 1 << 20):
                        self.mem.write(p, bytes(min(1 << 20, hi - p)))
        return 0

    def sys_msync(self, *_: int) -> int:
        return 0

    # -- process ----------------------------------------------------------------------------

    def sys_exit(self, status: int, *_: int) -> int:
        self.exited, self.exit_status = True, status & 0xFF
        return 0

    sys_exit_group = sys_exit

    def sys_arch_prctl(self, code: int, addr: int, *_: int) -> int:
        if code == 0x1002:  # ARCH_SET_FS
            self.set_fs_base(addr)
            return 0
        if code == 0x1003:  # ARCH_GET_FS
            self.mem.write_u64(addr, self.get_fs_base())
            return 0
        return -E.EINVAL

    def sys_set_tid_address(self, *_: int) -> int:
        return GUEST_PID

    def sys_set_robust_list(self, head: int, length: int, *_: int) -> int:
        return 0 if length == 24 else -E.EINVAL

    def sys_rseq(self, *_: int) -> int:
        return -E.ENOSYS  # glibc then runs without restartable sequences

    def sys_getpid(self, *_: int) -> int:
        return GUEST_PID

    sys_gettid = sys_getpid

    def sys_getppid(self, *_: int) -> int:
        return GUEST_PPID

    def sys_getuid(self, *_: int) -> int:
        return os.getuid()

    sys_geteuid = sys_getuid

    def sys_getgid(self, *_: int) -> int:
        return os.getgid()

    sys_getegid = sys_getgid

    def sys_prlimit64(self, pid: int, res: int, new: int, old: int, *_: int) -> int:
        if _s32(pid) not in (0, GUEST_PID):
            return -E.ESRCH
        if res not in self._rlimits:
            return -E.EINVAL
        if old:
            self.mem.write(old, struct.pack("<QQ", *self._rlimits[res]))
        if new:
            soft, hard = struct.unpack("<QQ", self.mem.read(new, 16))
            if soft > hard:
                return -E.EINVAL
            self._rlimits[res] = (soft, hard)
        return 0

    def sys_getrlimit(self, res: int, ptr: int, *_: int) -> int:
        return self.sys_prlimit64(0, res, 0, ptr)

    def sys_setrlimit(self, res: int, ptr: int, *_: int) -> int:
        return self.sys_prlimit64(0, res, ptr, 0)

    def sys_getrusage(self, who: int, buf: int, *_: int) -> int:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        tv = [int(t) for x in (ru.ru_utime, ru.ru_stime) for t in divmod(x * 1e6, 1e6)]
        self.mem.write(buf, struct.pack("<4q14q", *tv, ru.ru_maxrss, *[0] * 13))
        return 0

    def sys_times(self, buf: int, *_: int) -> int:
        t = os.times()
        if buf:
            self.mem.write(buf, struct.pack("<4q", int(t.user * 100), int(t.system * 100), 0, 0))
        return int(time.monotonic() * 100)

    def sys_uname(self, buf: int, *_: int) -> int:
        self.mem.write(buf, _UTSNAME)
        return 0

    def sys_sysinfo(self, buf: int, *_: int) -> int:
        gib = 1 << 30
        info = struct.pack("<q3Q6QHHI2QI", int(time.monotonic()), 0, 0, 0,
                           8 * gib, 4 * gib, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)  # fmt: skip
        self.mem.write(buf, info.ljust(112, b"\0"))
        return 0

    def sys_sched_getaffinity(self, pid: int, size: int, mask: int, *_: int) -> int:
        if size < 8 or size % 8:
            return -E.EINVAL
        self.mem.write(mask, struct.pack("<Q", 1))  # one CPU
        return 8

    def sys_sched_yield(self, *_: int) -> int:
        return 0

    def sys_getrandom(self, buf: int, count: int, flags: int, *_: int) -> int:
        n = min(count, MAX_IO)
        if n and not self.mem.is_mapped(buf, n):
            return -E.EFAULT
        self.mem.write(buf, self._rng.randbytes(n))
        return n

    # -- time -------------------------------------------------------------------------------

    def sys_clock_gettime(self, clk: int, tp: int, *_: int) -> int:
        clk = _s32(clk)
        if not 0 <= clk <= 11:
            return -E.EINVAL
        ns = time.clock_gettime_ns(clk)
        self.mem.write(tp, struct.pack("<qq", *divmod(ns, 1_000_000_000)))
        return 0

    def sys_clock_getres(self, clk: int, res: int, *_: int) -> int:
        if not 0 <= _s32(clk) <= 11:
            return -E.EINVAL
        if res:
            self.mem.write(res, struct.pack("<qq", 0, 4_000_000 if clk in (5, 6) else 1))
        return 0

    def sys_gettimeofday(self, tv: int, tz: int, *_: int) -> int:
        ns = time.time_ns()
        if tv:
            self.mem.write(tv, struct.pack("<qq", ns // 10**9, ns // 1000 % 10**6))
        if tz:
            self.mem.write(tz, bytes(8))
        return 0

    def sys_time(self, tloc: int, *_: int) -> int:
        t = int(time.time())
        if tloc:
            self.mem.write_u64(tloc, t)
        return t

    def sys_nanosleep(self, req: int, rem: int, *_: int) -> int:
        sec, nsec = struct.unpack("<qq", self.mem.read(req, 16))
        return -E.EINVAL if sec < 0 or not 0 <= nsec < 10**9 else 0  # no real sleeping

    def sys_clock_nanosleep(self, clk: int, flags: int, req: int, rem: int, *_: int) -> int:
        return self.sys_nanosleep(req, rem)

    # -- signals ----------------------------------------------------------------------------

    def sys_rt_sigaction(self, sig: int, act: int, oact: int, size: int, *_: int) -> int:
        if size != 8 or not 1 <= sig <= 64:
            return -E.EINVAL
        if oact:
            self.mem.write(oact, self._sigactions.get(sig, bytes(32)))
        if act:
            if sig in (SIGKILL, SIGSTOP):
                return -E.EINVAL
            self._sigactions[sig] = self.mem.read(act, 32)  # stored, never delivered
        return 0

    def sys_rt_sigprocmask(self, how: int, new: int, old: int, size: int, *_: int) -> int:
        if size != 8:
            return -E.EINVAL
        if old:
            self.mem.write_u64(old, self._sigmask)
        if new:
            v = self.mem.read_u64(new)
            if how == 0:
                self._sigmask |= v
            elif how == 1:
                self._sigmask &= ~v
            elif how == 2:
                self._sigmask = v
            else:
                return -E.EINVAL
            self._sigmask &= ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)))
        return 0

    def sys_sigaltstack(self, ss: int, oss: int, *_: int) -> int:
        if oss:
            self.mem.write(oss, self._altstack)
        if ss:
            self._altstack = self.mem.read(ss, 24)
        return 0

    def _signal_self(self, sig: int) -> int:
        """Deliver a signal to ourselves: a default fatal action ends the process."""
        if sig == 0:
            return 0
        if not 1 <= sig <= 64:
            return -E.EINVAL
        handler = struct.unpack_from("<Q", self._sigactions.get(sig, bytes(32)))[0]
        if handler == 1 or (handler == 0 and sig in _SIG_IGNORED | _SIG_STOPPING):
            return 0
        if handler != 0:
            self._note(f"signal {sig}: handler at {handler:#x} not run: signal delivery is "
                       "not emulated")  # fmt: skip
            return 0
        self.exited, self.term_signal = True, sig
        return 0

    def sys_kill(self, pid: int, sig: int, *_: int) -> int:
        if _s32(pid) in (0, GUEST_PID):
            return self._signal_self(_s32(sig))
        raise _Refused(E.EPERM, f"kill({_s32(pid)}, {_s32(sig)}) refused: "
                                "signals to other processes are not allowed")  # fmt: skip

    def sys_tgkill(self, tgid: int, tid: int, sig: int, *_: int) -> int:
        if _s32(tgid) == GUEST_PID:
            return self.sys_tkill(tid, sig)
        return self.sys_kill(tgid, sig)

    def sys_tkill(self, tid: int, sig: int, *_: int) -> int:
        if _s32(tid) != GUEST_PID:
            return -E.ESRCH
        return self._signal_self(_s32(sig))

    def sys_futex(self, uaddr: int, op: int, val: int, *_: int) -> int:
        cmd = op & 0x7F
        if cmd in (0, 9):  # WAIT, WAIT_BITSET: no other thread could ever wake us
            self.mem.read(uaddr, 4)  # EFAULT as the kernel would
            return -E.EAGAIN
        if cmd in (1, 3, 4, 5, 10):  # WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAKE_BITSET
            return 0
        return -E.ENOSYS
