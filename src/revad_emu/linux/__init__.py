"""Linux x86-64 system calls for one guest process (threads run one at a time), with a file sandbox.

The layer is split by family, each a mixin of `Kernel` with one `sys_<name>` method per
syscall, found through the kernel's own name table (`abi.SYSCALL_NAMES`):

    kernel.py   Kernel: process state, the dispatch table (number -> family, handler)
    abi.py      syscall numbers, flag values, limits
    fds.py      open file descriptions and the fd table
    sandbox.py  policy: refused calls, guest path -> host path, the virtual /proc/self
    files.py    open/read/write/stat/directories/renames
    mm.py       brk/mmap/munmap/mprotect/mremap/madvise
    process.py  ids, limits, system info; signals
    threads.py  threads (clone/clone3, exit, the scheduler's choice), futex.py wait queues
    time.py     clocks and sleeping

Policy: the guest may read any host file, may write or create files only below the
--allow-write directories, writes fds 1 and 2 through callbacks, never sees the emulator's
own /proc/<pid> (only a virtual /proc/self with maps, exe and fd/N), and may not start
programs, other processes or network connections. Refusals are reported in `Kernel.refused`.
"""

from .abi import *  # noqa: F403  (the constants, as `revad_emu.linux.X` always offered them)
from .abi import SYSCALL_NAMES, SYSCALL_NUMBERS, syscall_name
from .fds import OpenFile
from .kernel import DISPATCH, FAMILIES, Kernel

__all__ = [
    "DISPATCH",
    "FAMILIES",
    "Kernel",
    "OpenFile",
    "SYSCALL_NAMES",
    "SYSCALL_NUMBERS",
    "syscall_name",
]
