"""Whole-program start-up from a snapshot taken at `main` (issue 15, start-up).

Before `main` a dynamic program runs the dynamic loader (mapping and relocating its
libraries) and libc's initialisation, and a C++ program its static constructors (iostream,
locale): 10^5–10^6 instructions that come out the same in every run with the same program,
libraries, arguments, environment and working directory. Runs in one Python process that
repeat such a start (`check()`'s perturbed re-runs, a loop of `Emulator.record()` calls, the
benchmarks) take it once and start later runs from the state at `main`:

- the first run of a key only notes the key (a one-off run pays nothing);
- the second runs to `main`, takes the snapshot (`image.Snapshot.take_whole`) if the start is
  safe to replay, and goes on from there;
- later ones build the machine as usual (cheap: the program and its interpreter mapped, the
  stack written), then replace its whole state by the snapshot's and start at `main`.

The key holds everything the state at `main` can depend on: the program's and its
interpreter's identities (path, device, inode, size, mtime), argv, the environment (in order:
it is laid out on the stack), the working directory, the read/write policy, the terminal
file descriptors. While the snapshot is taken the kernel notes every path the program resolves
(libraries, ld.so.cache, probed directories, files that were missing); a snapshot is used only
while each of those still has the identity (or absence) it had. The start is replayed only if
before `main` the program made nothing but side-effect-free system calls (`SAFE_SYSCALLS`: no
output, no clocks, no terminal queries, no threads), left no file open but its standard
streams, untouched, and ran no client request (a mark in a constructor); otherwise the key is
remembered as unsafe and every run starts cold. A run started from the snapshot has the same
instruction count, system-call counts, kernel state, memory and registers at `main` as a cold
run, so its output and tape are identical (tests/test_startup.py checks this on C, C++ and
Fortran programs, static and dynamic).

`REVAD_STARTUP_CACHE=0` turns it off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from revad_emu.machine import Machine

# System calls a program may make before `main` for its start to be replayed: they change
# nothing outside the emulated process and give the same answers while the files they
# looked at keep their identity (checked at each use).
SAFE_SYSCALLS = frozenset({
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "arch_prctl", "set_tid_address",
    "set_robust_list", "rseq", "prlimit64", "getrlimit", "getrandom", "futex", "rt_sigaction",
    "rt_sigprocmask", "sigaltstack", "open", "openat", "close", "read", "pread64", "lseek",
    "fstat", "stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
    "readlink", "readlinkat", "getcwd", "getpid", "gettid", "getppid", "getuid", "geteuid",
    "getgid", "getegid", "uname", "sched_getaffinity", "sysinfo", "getdents64", "fcntl",
})

AT_FDCWD = -100


def enabled() -> bool:
    """False when the environment turns the cache off (REVAD_STARTUP_CACHE=0/off/no)."""
    return os.environ.get("REVAD_STARTUP_CACHE", "1").lower() not in ("0", "off", "no",
                                                                        "false")


class _PreMainRequest(Exception):
    """A client request ran before `main`: the start cannot be replayed without it."""


@dataclass
class ProgramStart:
    """The state of one program at `main`, for new machines of the same key."""

    snapshot: object           # image.Snapshot (whole)
    pc: int                    # main
    instructions: int
    blocks: int
    modules: list              # the symbolizer's (start, end, base, elf) entries
    request_sites: frozenset
    elf_cache: dict
    vex: tuple
    looked_at: tuple           # (path, identity) of every path resolved before main

    def current(self) -> bool:
        """Every file the start looked at still has the identity (or absence) it had."""
        return all(_identity(p) == ident for p, ident in self.looked_at)

    def restore(self, m: Machine) -> None:
        """Give the new machine `m` the state at `main`; its run starts there."""
        self.snapshot.restore(m)
        sym = m.symbols
        sym._mods = list(self.modules)
        sym._starts = [s for s, _e, _b, _elf in self.modules]
        m.request_sites = set(self.request_sites)
        m._elf_cache = dict(self.elf_cache)
        hi, count, daz, ftz, rmode = self.vex
        m.vex.hi[:] = hi
        m.vex.count, m.vex.daz, m.vex.ftz, m.vex.rmode = count, daz, ftz, rmode
        m.stats.instructions, m.stats.blocks_seen = self.instructions, self.blocks
        if m._blocks is not None:
            m._blocks.instructions, m._blocks.blocks = self.instructions, self.blocks
        m.entry = self.pc


_UNSAFE = object()
_SEEN = object()
_cache: dict[tuple, object] = {}
_lock = threading.Lock()
stats = {"hits": 0, "taken": 0, "unsafe": 0}  # for tests and benchmarks


def clear() -> None:
    """Forget every snapshot (tests; a long session that wants its memory back)."""
    with _lock:
        _cache.clear()


def _identity(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError as e:
        return ("missing", e.errno)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


def key_of(m: Machine, tty_fds) -> tuple | None:
    """What the state at `main` depends on, or None when the program has no `main`."""
    main = m.symbols.address_of("main")
    if main is None:
        return None
    k = m.kernel
    interp = m.exe.interp or ""
    return (m.path, _identity(m.path), interp, _identity(interp) if interp else None,
            tuple(m.argv), tuple(m.env.items()), k.cwd, tuple(k.allow_write),
            None if k.allow_read is None else tuple(k.allow_read), tuple(sorted(tty_fds)),
            m.max_instructions)


def start(make: Callable[[], Machine], tty_fds=()) -> Machine:
    """A machine for a new run of a program: `make()`'s, started from the cached state at
    `main` when there is one (see the module docstring)."""
    m = make()
    if not enabled():
        return m
    key = key_of(m, tty_fds)
    if key is None:
        return m
    with _lock:
        entry = _cache.get(key)
        if entry is None:
            _cache[key] = _SEEN
            return m
    if entry is _UNSAFE:
        return m
    if isinstance(entry, ProgramStart) and entry.current():
        entry.restore(m)
        stats["hits"] += 1
        return m
    taken = _take(m)
    with _lock:
        _cache[key] = _UNSAFE if taken is None else taken
    if taken is None:
        stats["unsafe"] += 1
        return make()  # m ran part-way: the run starts again from scratch
    stats["taken"] += 1
    return m


def _take(m: Machine) -> ProgramStart | None:
    """Run `m` to `main` and save its state there, or None if that start is not safe to
    replay (or did not reach `main`)."""
    k = m.kernel
    fds = dict(k._fds)
    pos = {fd: f.pos for fd, f in fds.items()}
    cloexec = set(k._cloexec)
    main = m.symbols.address_of("main")

    def request(_site: int) -> None:
        raise _PreMainRequest

    k.looked_up = []
    m.enable_client_requests(request)
    try:
        m.run_until(m.entry, main)
    except Exception:  # noqa: BLE001 - a fault, an exit, a budget: the cold run says it
        return None
    finally:
        m.on_client_request = None
        looked, k.looked_up = k.looked_up, None
    if (not set(k.counts) <= SAFE_SYSCALLS or k._fds.keys() != fds.keys()
            or any(k._fds[fd] is not f or f.pos != pos[fd] for fd, f in fds.items())
            or k._cloexec != cloexec or len(k.threads) != 1 or k.spawned or k.proc_pending
            or m.threads.sync is not None or m.out or m.err):
        return None
    paths = []
    for dirfd, path in looked:
        if not path.startswith("/"):
            if dirfd != AT_FDCWD:
                return None
            path = os.path.join(k.cwd, path)
        paths.append(path)
    from revad_emu.image import Snapshot

    m._sync_counts()
    m.entry = main  # this run goes on from here
    return ProgramStart(
        snapshot=Snapshot.take_whole(m), pc=main, instructions=m.stats.instructions,
        blocks=m.stats.blocks_seen, modules=m.symbols.modules(),
        request_sites=frozenset(m.request_sites), elf_cache=dict(m._elf_cache),
        vex=(bytes(m.vex.hi), m.vex.count, m.vex.daz, m.vex.ftz, m.vex.rmode),
        looked_at=tuple((p, _identity(p)) for p in dict.fromkeys(paths)))


__all__ = ["SAFE_SYSCALLS", "ProgramStart", "clear", "enabled", "key_of", "start", "stats"]
