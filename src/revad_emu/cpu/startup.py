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
- later ones build the machine without mapping its process image (`Machine(load=False)`:
  the image is computed, not applied), then give it the snapshot's whole state and start at
  `main`.

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

`REVAD_STARTUP_CACHE=0` turns it off. `REVAD_STARTUP_CACHE=disk` also keeps snapshots on disk
(opt-in), under `$REVAD_STARTUP_CACHE_DIR`, else `$XDG_CACHE_HOME/revad_emu/startup`, else
`~/.cache/revad_emu/startup`: then the first run of a start takes and saves it, and later
processes (the CLI) load it instead of running the loader. A file holds the full key, the
revad_emu/unicorn versions and a fingerprint of the package's files, and is used only when all
match and the files the start looked at are unchanged; it is read only from a directory owned
by the user and writable by nobody else (it is a pickle). At most `DISK_MAX` files are kept
(oldest dropped); in memory at most `MEMORY_MAX` snapshots.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from revad_emu.cpu.machine import Machine, elf_cache_key
from revad_emu.errors import Interrupted

# System calls a program may make before `main` for its start to be replayed: they change
# nothing outside the emulated process and give the same answers while the files they
# looked at keep their identity (checked at each use).
SAFE_SYSCALLS = frozenset({
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "arch_prctl", "set_tid_address",
    "set_robust_list", "rseq", "prlimit64", "getrlimit", "getrandom", "futex", "rt_sigaction",
    "rt_sigprocmask", "sigaltstack", "open", "openat", "close", "read", "pread64", "lseek",
    "fstat", "stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
    "readlink", "readlinkat", "getcwd", "getpid", "gettid", "getppid", "getuid", "geteuid",
    "getgid", "getegid", "uname", "sched_getaffinity", "sysinfo", "getdents64",
})

AT_FDCWD = -100


MEMORY_MAX = 8   # snapshots kept in memory (each holds the program's memory: ≈ 5–20 MB)
DISK_MAX = 32    # snapshot files kept on disk
FORMAT = 1


def mode() -> str:
    """"off", "memory" (the default) or "disk", from REVAD_STARTUP_CACHE."""
    v = os.environ.get("REVAD_STARTUP_CACHE", "1").lower()
    if v in ("0", "off", "no", "false"):
        return "off"
    return "disk" if v == "disk" else "memory"


def enabled() -> bool:
    """False when the environment turns the cache off (REVAD_STARTUP_CACHE=0/off/no)."""
    return mode() != "off"


def cache_dir() -> Path:
    """Where REVAD_STARTUP_CACHE=disk keeps its files."""
    d = os.environ.get("REVAD_STARTUP_CACHE_DIR")
    if d:
        return Path(d)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "revad_emu" / "startup"


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
_cache: OrderedDict[tuple, object] = OrderedDict()  # least recently used first
_lock = threading.Lock()
stats = {"hits": 0, "taken": 0, "unsafe": 0, "loaded": 0}  # for tests and benchmarks


def clear() -> None:
    """Forget every snapshot held in memory (tests; a long session that wants its memory
    back). Files on disk stay."""
    with _lock:
        _cache.clear()


def _remember(key: tuple, entry: object) -> None:
    with _lock:
        _cache[key] = entry
        _cache.move_to_end(key)
        held = [k for k, v in _cache.items() if isinstance(v, ProgramStart)]
        for k in held[:-MEMORY_MAX]:
            _cache[k] = _SEEN  # the memory goes; a later run takes the snapshot again
        while len(_cache) > 64 * MEMORY_MAX:
            _cache.popitem(last=False)


def _identity(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError as e:
        return ("missing", e.errno)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


def _main(m: Machine) -> int | None:
    return m.symbols.address_of("main")


def key_of(m: Machine, tty_fds, stop: Callable[[Machine], int | None] = _main) -> tuple | None:
    """What the state at the stop address (`main`) depends on, or None when there is none."""
    main = stop(m)
    if main is None:
        return None
    k = m.kernel
    interp = m.exe.interp or ""
    return (m.path, _identity(m.path), interp, _identity(interp) if interp else None,
            tuple(m.argv), tuple(m.env.items()), k.cwd, tuple(k.allow_write),
            None if k.allow_read is None else tuple(k.allow_read), tuple(sorted(tty_fds)),
            m.max_instructions, main)


def start(make: Callable[..., Machine], tty_fds=(),
          stop: Callable[[Machine], int | None] = _main) -> Machine:
    """A machine for a new run of a program: `make()`'s, started from the cached state at
    `main` when there is one (see the module docstring). `make(load=False)` must give the
    machine with its process image built but not yet mapped (`Machine(..., load=False)`):
    a snapshot then replaces it without the fresh image being mapped first. `stop` gives
    another address to snapshot at (image.py: a library's stub entry, reached after its
    constructors); the machine returned is either at its entry (`m.entry`, cold) or at that
    address with `m.entry` set to it."""
    if not enabled():
        return make()
    m = make(load=False)
    key = key_of(m, tty_fds, stop)
    if key is None:
        m.load()
        return m
    disk = mode() == "disk"
    with _lock:
        entry = _cache.get(key)
    if entry is None and disk:
        entry = _load(key)
        if entry is not None:
            stats["loaded"] += 1
            _remember(key, entry)
    if entry is _UNSAFE:
        m.load()
        return m
    if isinstance(entry, ProgramStart) and entry.current():
        _remember(key, entry)
        entry.restore(m)
        stats["hits"] += 1
        return m
    m.load()
    if entry is None and not disk:
        _remember(key, _SEEN)  # a one-off run pays nothing; the second takes the snapshot
        return m
    taken = _take(m, key[-1])
    _remember(key, _UNSAFE if taken is None else taken)
    if disk:
        _save(key, taken)
    if taken is None:
        stats["unsafe"] += 1
        return make()  # m ran part-way: the run starts again from scratch
    stats["taken"] += 1
    return m


def _take(m: Machine, main: int) -> ProgramStart | None:
    """Run `m` to `main` (or the stop address given) and save its state there, or None if
    that start is not safe to replay (or did not get there)."""
    k = m.kernel
    fds = dict(k._fds)
    pos = {fd: f.pos for fd, f in fds.items()}
    cloexec = set(k._cloexec)

    def request(_site: int) -> None:
        raise _PreMainRequest

    k.looked_up = []
    m.enable_client_requests(request)
    try:
        m.run_until(m.entry, main)
    except Interrupted:
        raise  # Ctrl-C stops the run, as in a cold start
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
    from revad_emu.cpu.image import Snapshot

    m._sync_counts()
    m.entry = main  # this run goes on from here
    return ProgramStart(
        snapshot=Snapshot.take_whole(m), pc=main, instructions=m.stats.instructions,
        blocks=m.stats.blocks_seen, modules=m.symbols.modules(),
        request_sites=frozenset(m.request_sites), elf_cache=dict(m._elf_cache),
        vex=(bytes(m.vex.hi), m.vex.count, m.vex.daz, m.vex.ftz, m.vex.rmode),
        looked_at=tuple((p, _identity(p)) for p in dict.fromkeys(paths)))


# -- on disk (REVAD_STARTUP_CACHE=disk) ----------------------------------------------------
def _fingerprint() -> tuple:
    """Versions and the package's own files (size, mtime): a snapshot written by other code
    may hold kernel state of another shape, so it is not used."""
    import unicorn

    import revad_emu

    root = Path(revad_emu.__file__).parent
    files = []
    for d, subdirs, names in os.walk(root):
        subdirs[:] = sorted(n for n in subdirs if n != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".so")):
                st = os.stat(os.path.join(d, name))
                files.append((os.path.relpath(d, root), name, st.st_size, st.st_mtime_ns))
    return (FORMAT, revad_emu.__version__, unicorn.__version__, tuple(files))


def _file_of(key: tuple) -> Path:
    return cache_dir() / (hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".pickle")


def _private(d: Path) -> bool:
    """The directory is the user's and nobody else can write into it."""
    try:
        st = d.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _save(key: tuple, ps: ProgramStart | None) -> None:
    """Write the snapshot (or the fact that this start is unsafe) for later processes.
    Failures are ignored: the cache only saves time."""
    try:
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(d):
            return
        state = {"fingerprint": _fingerprint(), "key": key, "unsafe": ps is None}
        if ps is not None:
            state.update(
                snapshot=ps.snapshot, pc=ps.pc, instructions=ps.instructions, blocks=ps.blocks,
                modules=[(s, e, b, elf.path) for s, e, b, elf in ps.modules],
                request_sites=ps.request_sites,
                elf_cache=[k for k, v in ps.elf_cache.items() if v is None],
                vex=ps.vex, looked_at=ps.looked_at)
        p = _file_of(key)
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
        files = sorted(d.glob("*.pickle"), key=lambda q: q.stat().st_mtime)
        for old in files[:-DISK_MAX]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass


def _load(key: tuple) -> object:
    """The ProgramStart (or _UNSAFE) saved for `key`, or None (absent, stale, unreadable)."""
    p = _file_of(key)
    if not p.exists() or not _private(p.parent):
        return None
    try:
        with open(p, "rb") as f:
            state = pickle.load(f)
        if state["key"] != key or state["fingerprint"] != _fingerprint():
            return None
        if state["unsafe"]:
            return _UNSAFE
        from revad_emu.loading.elf import read_elf

        elves = {path: read_elf(path) for *_r, path in state["modules"]}
        ps = ProgramStart(
            snapshot=state["snapshot"], pc=state["pc"], instructions=state["instructions"],
            blocks=state["blocks"],
            modules=[(s, e, b, elves[path]) for s, e, b, path in state["modules"]],
            request_sites=state["request_sites"],
            elf_cache={**dict.fromkeys(state["elf_cache"]), **_elf_keys(elves)},
            vex=state["vex"], looked_at=state["looked_at"])
    except Exception:  # noqa: BLE001 - a damaged or foreign file: take the snapshot anew
        return None
    return ps if ps.current() else None


def _elf_keys(elves: dict) -> dict:
    """machine._elf_cache entries for the modules read back."""
    keys = ((elf_cache_key(path), elf) for path, elf in elves.items())
    return {key: elf for key, elf in keys if key is not None}


__all__ = ["SAFE_SYSCALLS", "ProgramStart", "cache_dir", "clear", "enabled", "key_of", "mode",
           "start", "stats"]
