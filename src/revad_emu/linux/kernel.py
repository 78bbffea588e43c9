"""The Kernel: state of one guest process, and the dispatch table from syscall number to handler.

Each family of system calls lives in its own module as a mixin class with one `sys_<name>`
method per syscall (files.py, mm.py, process.py, time.py); `sandbox.py` holds the policy
(refused calls, path resolution) and `fds.py` the fd table. A new syscall goes into the
family it belongs to under the kernel's own name (abi.SYSCALL_NAMES): `DISPATCH` finds it
there. Handlers return the value for RAX; failures are negative errno values.
"""

from __future__ import annotations

import errno as E
import os
import random
import struct
from collections import Counter
from collections.abc import Callable, Collection, Sequence

from ..cpu.memory import AddressSpace, GuestMemoryError, MapError
from .abi import (
    GUEST_PID,
    NOFILE,
    O_RDONLY,
    O_WRONLY,
    RANDOM_SEED,
    RLIM_INFINITY,
    SYSCALL_NAMES,
    SYSCALL_NUMBERS,
)
from .fds import FdTable, OpenFile
from .files import FileCalls
from .i386 import I386_SYSCALLS, to_x86_64
from .mm import MemoryCalls
from .pipes import PipeCalls
from .process import ProcessCalls
from .sandbox import _REFUSED, PathArg, Sandbox, _Refused, loader_readable, path_list
from .signals import SignalCalls
from .threads import ThreadCalls, WouldBlock
from .time import TimeCalls

# The families of system calls, each a mixin class of Kernel.
FAMILIES: dict[str, type] = {
    "files": FileCalls,
    "memory": MemoryCalls,
    "pipes": PipeCalls,
    "process": ProcessCalls,
    "signals": SignalCalls,
    "threads": ThreadCalls,
    "time": TimeCalls,
}


def _dispatch_table() -> dict[int, tuple[str, str]]:
    """syscall number -> (family, name): the handler is `sys_<name>` of that family, or the
    sandbox's refusal (family "refused"). Numbers not listed give ENOSYS (counted)."""
    table: dict[int, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    for family, cls in FAMILIES.items():
        for attr in vars(cls):
            if attr.startswith("sys_"):
                if attr in owner:
                    raise TypeError(f"{attr} defined in both {owner[attr]} and {family}")
                owner[attr] = family
    for nr, name in SYSCALL_NAMES.items():
        if name in _REFUSED:
            table[nr] = ("refused", name)
        elif "sys_" + name in owner:
            table[nr] = (owner["sys_" + name], name)
    unknown = set(owner) - {"sys_" + n for n in SYSCALL_NAMES.values()}
    if unknown:
        raise TypeError(f"handlers for no known syscall: {sorted(unknown)}")
    return table


DISPATCH: dict[int, tuple[str, str]] = _dispatch_table()


class Kernel(FileCalls, MemoryCalls, PipeCalls, ProcessCalls, SignalCalls, ThreadCalls, TimeCalls,
             Sandbox, FdTable):
    """System calls of one guest process over an AddressSpace."""

    def __init__(
        self,
        mem: AddressSpace,
        *,
        exe_path: str,
        stdin: bytes | None,
        stdout: Callable[[bytes], None],
        stderr: Callable[[bytes], None],
        allow_write: PathArg | Sequence[PathArg] = (),
        allow_read: PathArg | Sequence[PathArg] | None = None,
        tty_fds: Collection[int] = (),
        set_fs_base: Callable[[int], None],
        get_fs_base: Callable[[], int],
        on_map: Callable[[int, int, int, str | None, int], None] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.mem = mem
        self.exe_path = os.path.abspath(exe_path)
        self.allow_write = [os.path.realpath(d) for d in path_list(allow_write, "allow_write")]
        # None: the guest may read any host file the user can; else only these (and what
        # the loader needs, and the program itself), plus the --allow-write directories.
        self.allow_read: list[str] | None = None
        self._read_roots: list[str] = []
        if allow_read is not None:
            self.allow_read = [os.path.realpath(d) for d in path_list(allow_read, "allow_read")]
            loader = [os.path.realpath(p) for p in loader_readable()]
            self._read_roots = [*self.allow_read, *self.allow_write, *loader,
                                os.path.realpath(self.exe_path)]  # fmt: skip
        self._root_fds: dict[str, int] = {}
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
        # (dirfd, path) of every path the program resolves, while someone wants them
        self.looked_up: list[tuple[int, str]] | None = None
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
        self._init_threads()
        self._init_signals()
        self._chan_reset()
        self._table: dict[int, tuple[str, Callable[..., int]]] = {}
        for nr, (family, name) in DISPATCH.items():
            handler = self._refuser(name) if family == "refused" else getattr(self, "sys_" + name)
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
        except (MapError, MemoryError):  # the host ran out of memory for this call
            return -E.ENOMEM
        except WouldBlock as wb:
            return self._wait_restart(nr, wb)
        finally:
            self._chan_reset()

    def syscall_i386(self, nr: int, args: tuple[int, int, int, int, int, int]) -> int:
        """Run one i386 system call made through `int $0x80` (linux/i386.py)."""
        name = I386_SYSCALLS.get(nr & 0xFFFF_FFFF)
        if name is None:
            self._note(f"int $0x80 system call {nr & 0xFFFF_FFFF} (i386 ABI) is not supported: "
                       "answered ENOSYS")  # fmt: skip
            return -E.ENOSYS
        return self.syscall(SYSCALL_NUMBERS[name], to_x86_64(name, args))
