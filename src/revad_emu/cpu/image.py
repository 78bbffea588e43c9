"""A process image: a program or shared library loaded, started, stopped, and restorable.

Calling one function of a compiled library needs a process in which the library is mapped
with its dependencies, relocated by the real dynamic loader and initialised (constructors,
libc's start-up). This module builds that state once and saves it, so each call can start
from the same state:

- a shared library is loaded by running the host's `ld-linux-x86-64.so.2` on a tiny
  executable generated here (`stub_executable`: one PT_LOAD, PT_INTERP, and a PT_DYNAMIC whose
  only DT_NEEDED is the library's absolute path). The loader maps the library and its
  dependencies, relocates them, runs every constructor, then jumps to the stub's entry — and
  the machine stops there, before the stub's single instruction runs. No compiler is needed.
- an executable (PIE or not, static or dynamic) is started normally and stopped at `main`,
  so libc is initialised.

`Snapshot` saves the CPU context, the contents of every mapping, the mapping list and the
kernel's per-process state; `restore` puts them back (writable mappings are rewritten,
mappings created later are removed). The machine layer knows nothing of this module.
"""

from __future__ import annotations

import copy
import hashlib
import os
import struct
import sys
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from revad_emu.cpu.machine import Machine
from revad_emu.cpu.memory import Region
from revad_emu.errors import ElfError, RevadError
from revad_emu.loading.elf import read_elf

STUB_BASE = 0x400000
DEFAULT_INTERP = "/lib64/ld-linux-x86-64.so.2"

# Our own area for calls: a page holding the return trap, a call stack and argument memory.
# It lies far below the mmap area (MMAP_TOP grows down from 0x7fff_f7f0_0000) and above any
# non-PIE program.
CALL_AREA = 0x6000_0000_0000
CALL_STACK_SIZE = 8 << 20
ARG_AREA = CALL_AREA + 0x1000 + CALL_STACK_SIZE
AREA_NAME = "[revad call]"


def stub_executable(library: str, interp: str = DEFAULT_INTERP) -> bytes:
    """A minimal non-PIE x86-64 executable whose only dependency is `library`.

    Layout (one RWX PT_LOAD at STUB_BASE covering the whole file): ELF header, program
    headers (PHDR, INTERP, LOAD, DYNAMIC, GNU_STACK), interpreter path, .dynstr, one null
    symbol, .dynamic (NEEDED, STRTAB, STRSZ, SYMTAB, SYMENT, NULL), then the entry point:
    `jmp .` (never executed: the machine stops when the loader jumps to it).
    """
    lib = os.path.abspath(library).encode()
    nph = 5
    off = 64 + 56 * nph
    interp_off = off
    interp_b = interp.encode() + b"\0"
    off += len(interp_b)
    dynstr_off = off
    dynstr = b"\0" + lib + b"\0"
    off += len(dynstr)
    off = (off + 7) & ~7
    dynsym_off = off
    off += 24
    dyn_off = off
    dyn = [(1, 1), (5, STUB_BASE + dynstr_off), (10, len(dynstr)),
           (6, STUB_BASE + dynsym_off), (11, 24), (0, 0)]  # NEEDED STRTAB STRSZ SYMTAB SYMENT
    dyn_b = b"".join(struct.pack("<qQ", t, v) for t, v in dyn)
    off += len(dyn_b)
    entry_off = (off + 15) & ~15
    code = b"\xeb\xfe"  # jmp .
    size = entry_off + len(code)

    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, STUB_BASE + entry_off, 64, 0, 0, 64, 56,
                        nph, 64, 0, 0)
    ph = [
        (6, 4, 64, STUB_BASE + 64, 56 * nph, 56 * nph, 8),                    # PT_PHDR
        (3, 4, interp_off, STUB_BASE + interp_off, len(interp_b), len(interp_b), 1),  # INTERP
        (1, 7, 0, STUB_BASE, size, size, 0x1000),                             # PT_LOAD rwx
        (2, 6, dyn_off, STUB_BASE + dyn_off, len(dyn_b), len(dyn_b), 8),      # PT_DYNAMIC
        (0x6474E551, 6, 0, 0, 0, 0, 16),                                      # PT_GNU_STACK
    ]
    phdrs = b"".join(struct.pack("<IIQQQQQQ", t, f, o, v, v, fs, ms, a)
                     for t, f, o, v, fs, ms, a in ph)
    out = bytearray(size)
    out[0:64] = ehdr
    out[64:64 + len(phdrs)] = phdrs
    out[interp_off:interp_off + len(interp_b)] = interp_b
    out[dynstr_off:dynstr_off + len(dynstr)] = dynstr
    out[dyn_off:dyn_off + len(dyn_b)] = dyn_b
    out[entry_off:entry_off + len(code)] = code
    return bytes(out)


def stub_path(library: str) -> str:
    """Write the stub for `library` into a per-user cache directory (content-addressed)."""
    data = stub_executable(library)
    default = Path(tempfile.gettempdir()) / f"revad_emu-{os.getuid()}"
    d = Path(os.environ.get("REVAD_CACHE", default))
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"stub-{hashlib.sha256(data).hexdigest()[:16]}"
    if not p.exists() or p.read_bytes() != data:
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o755)
        os.replace(tmp, p)
    return str(p)


@dataclass
class Snapshot:
    """CPU context, mappings with contents, and the kernel's per-process state."""

    context: object
    regions: list[Region]
    contents: list[tuple[int, bytes]]   # every mapping's bytes (rewritten: writable ones)
    writable: list[tuple[int, bytes]]
    kernel: dict

    _KERNEL_FIELDS = ("_brk_start", "_brk", "exited", "exit_status", "term_signal", "_sigmask",
                      "_sigactions", "umask", "cwd", "_altstack")

    whole: bool = False  # a whole-process snapshot (`take_whole`), restored into new machines

    @classmethod
    def take_whole(cls, m: Machine) -> Snapshot:
        """Save everything a *new* machine of the same program needs to go on from here
        (whole-program start-up, startup.py): every mapping with its non-zero pages (the
        original stack whole: code run later may read what the loader left below the stack
        pointer) and every per-process attribute of the kernel (deep copies), except its
        configuration, its callbacks and its open files, which stay those of the new run."""
        regions = [replace(r) for r in m.mem.regions]
        saved = []
        for r in regions:
            data = m.mem.read(r.start, r.size)
            saved += [(r.start + off, chunk) for off, chunk in _nonzero_runs(data)]
        k = m.kernel
        kern = copy.deepcopy({f: v for f, v in vars(k).items()
                              if f not in _KERNEL_CONFIG and not callable(v)})
        return cls(m.uc.context_save(), regions, saved, [], kern, whole=True)

    @classmethod
    def take(cls, m: Machine, skip: tuple[str, ...] = (AREA_NAME,), *,
             contents: bool = True) -> Snapshot:
        """Save the machine's state. `contents=False` saves only writable memory (enough
        unless a later call unmaps read-only mappings). Of the program's original stack only
        the part above the current stack pointer is kept: calls run on their own stack."""
        regions = [replace(r) for r in m.mem.regions if r.name not in skip]
        rsp = m.fast.gpr(4)
        writable = []
        for r in regions:
            if r.prot & 2:
                lo = r.start
                if r.name == "[stack]" and r.start <= rsp < r.end:
                    lo = max(r.start, (rsp - 0x1000) & ~0xFFF)
                writable.append((lo, m.mem.read(lo, r.end - lo)))
        saved = ([(r.start, m.mem.read(r.start, r.size)) for r in regions] if contents else
                 [])
        k = m.kernel
        kern = {f: _copy(getattr(k, f)) for f in cls._KERNEL_FIELDS if hasattr(k, f)}
        kern["_fds"] = dict(k._fds)
        kern["_rng"] = k._rng.getstate()
        return cls(m.uc.context_save(), regions, saved, writable, kern)

    def restore(self, m: Machine, skip: tuple[str, ...] = (AREA_NAME,)) -> None:
        """Put memory, mappings, kernel state and registers back as they were."""
        if self.whole:
            self._restore_whole(m)
            return
        mem = m.mem
        now = [r for r in mem.regions if r.name not in skip]
        if now != self.regions:
            self._remap(m, now)
        write = m.uc.mem_write
        for start, data in self.writable:
            write(start, data)
        for cb in mem.on_overwrite:
            for start, data in self.writable:
                cb(start, len(data))
        k = m.kernel
        for f, v in self.kernel.items():
            if f == "_rng":
                k._rng.setstate(v)
            else:
                setattr(k, f, _copy(v))
        m.uc.context_restore(self.context)
        m.fault = None
        m.term_signal = None

    def _restore_whole(self, m: Machine) -> None:
        """Into a new machine of the same program (nothing run yet): drop its mappings, map
        the saved ones zeroed and write their non-zero pages, then the kernel's state and the
        registers. Built from scratch, so nothing of the new machine's own loading is left
        (a machine made with `load=False` has no mappings yet: its image is never mapped)."""
        m.image = None
        mem = m.mem
        for r in mem.regions:
            mem.unmap(r.start, r.size)
        for r in self.regions:
            mem.map(r.start, r.size, r.prot, r.name)
        write = m.uc.mem_write
        for start, data in self.contents:
            write(start, data)
        k = m.kernel
        for f, v in copy.deepcopy(self.kernel).items():
            setattr(k, f, v)
        m.uc.context_restore(self.context)
        m.fault = None
        m.term_signal = None

    def _remap(self, m: Machine, now: list[Region]) -> None:
        """The call mapped, unmapped or re-protected memory: rebuild the saved mappings."""
        mem = m.mem
        saved = {(r.start, r.end, r.prot, r.name) for r in self.regions}
        for r in now:
            if (r.start, r.end, r.prot, r.name) not in saved:
                mem.unmap(r.start, r.size)
        have = {(r.start, r.end, r.prot, r.name) for r in mem.regions}
        data = dict(self.contents)
        for r in self.regions:
            if (r.start, r.end, r.prot, r.name) not in have:
                if r.start not in data and not r.prot & 2:
                    raise RevadError(f"a call changed the read-only mapping {r.start:#x}-"
                                     f"{r.end:#x} {r.name}; it cannot be restored")
                mem.map(r.start, r.size, r.prot, r.name)
                if r.start in data:
                    m.uc.mem_write(r.start, data[r.start])


def _copy(v):
    return dict(v) if isinstance(v, dict) else v


# Kernel attributes that are the run's configuration, its host resources or links to the
# machine, not state the program built: a whole-process snapshot leaves them to the new run.
# (`_fds`/`_cloexec`: startup.py takes a snapshot only when the program's files at that point
# are the standard streams it started with, untouched.)
_KERNEL_CONFIG = frozenset({
    "mem", "exe_path", "allow_write", "allow_read", "_read_roots", "_root_fds", "cwd",
    "max_refused", "_proc_roots", "_fds", "_cloexec", "_table", "looked_up",
    "set_fs_base", "get_fs_base", "on_map", "on_copy", "on_output", "instructions",
})

_ZERO_PAGE = bytes(4096)


def _nonzero_runs(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, bytes) of the runs of pages of `data` that are not all zero."""
    runs: list[tuple[int, bytes]] = []
    start = None
    view = memoryview(data)
    n = len(data)
    for off in range(0, n, 4096):
        zero = view[off:off + 4096] == _ZERO_PAGE[:min(4096, n - off)]
        if not zero and start is None:
            start = off
        elif zero and start is not None:
            runs.append((start, bytes(view[start:off])))
            start = None
    if start is not None:
        runs.append((start, bytes(view[start:])))
    return runs


class LoadError(RevadError):
    """The library or program could not be brought to a callable state."""


@dataclass
class Image:
    """A started process ready for calls: the machine, its snapshot and the call area."""

    machine: Machine
    snapshot: Snapshot
    path: str
    is_library: bool
    module_base: int
    module_elf: object
    trap: int            # return address for calls: reaching it ends a call
    # State of the calls made on this image (shared by every Library object that uses it):
    rec: object = None   # the recorder reused by recorded calls (functions/library.py)
    kept: Snapshot | None = None  # the state left by the last keep_state call
    arg_mapped: int = 0  # bytes of argument memory mapped so far
    last_nodes: int = 0  # tape nodes of the last recorded call
    lock: threading.Lock = field(default_factory=threading.Lock)  # one call at a time

    def symbol(self, name: str) -> int | None:
        """Run-time address of `name` in the loaded file (its own symbols first)."""
        a = self.module_elf.symbols.by_name.get(name)
        if a is not None:
            return self.module_base + a
        return self.machine.symbols.address_of(name)


def start(path: str, *, env: dict[str, str] | None = None,
          max_instructions: int | None = 200_000_000) -> Image:
    """Load `path` (a shared library or an executable with symbols) and stop it where calls
    can start: after the dynamic loader ran every constructor, or at `main`."""
    real = os.path.realpath(path)
    elf = read_elf(real)
    is_library = elf.etype == 3 and "main" not in elf.symbols.by_name
    # The loader's complaints (a missing dependency...) belong in the error message; once
    # loaded, guest stderr goes to Python's.
    loading = bytearray()
    forward = _forward(2)

    def err(data: bytes) -> None:
        if not done:
            loading.extend(data)
        else:
            forward(data)

    done = False
    from revad_emu.cpu import startup

    # The loader's and constructors' work is the same for every start of the same file:
    # startup.py replays it from a snapshot when this start was seen before in the process
    # (another thread's image, a closed Library) or saved on disk (REVAD_STARTUP_CACHE=disk).
    if is_library:
        stub = stub_path(real)
        m = startup.start(lambda load=True: Machine(stub, [], env, stdin=b"",
                                                    max_instructions=max_instructions,
                                                    stdout=_forward(1), stderr=err, load=load),
                          stop=lambda m: m.exe.entry)
        stop = m.exe.entry
    else:
        m = startup.start(lambda load=True: Machine(real, [], env, stdin=b"",
                                                    max_instructions=max_instructions,
                                                    stdout=_forward(1), stderr=err, load=load))
        stop = m.symbols.address_of("main")
        if stop is None:
            raise LoadError(f"{path}: an executable needs a `main` symbol to be stopped before "
                            "calls (is it stripped?)")
    try:
        if m.entry != stop:  # (a machine from startup.py is there already)
            m.run_until(m.entry, stop)
    except RevadError as e:
        said = loading.decode(errors="replace").strip().replace(m.path, real)
        raise LoadError(f"{path}: loading failed: {said or e}") from None
    done = True
    if loading:
        forward(bytes(loading))
    base, mod = _module_of(m, real)
    # The call area: a trap page (hlt), a call stack, and argument memory mapped on demand.
    m.mem.map(CALL_AREA, 0x1000, 5, AREA_NAME)
    m.uc.mem_write(CALL_AREA, b"\xf4" * 16)
    m.mem.map(CALL_AREA + 0x1000, CALL_STACK_SIZE, 3, AREA_NAME)
    snap = Snapshot.take(m, contents=False)  # read-only contents: 80 ms for libc, rarely needed
    return Image(m, snap, real, is_library, base, mod, CALL_AREA)


def _forward(fd: int):
    """Guest writes to fd 1/2 go to Python's current sys.stdout/sys.stderr (looked up at
    each write, so notebooks and pytest's capture see them), as a native call's would."""

    def write(data: bytes) -> None:
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.write(data.decode(errors="replace"))
        stream.flush()

    return write


def _module_of(m: Machine, real: str):
    for _s, _e, base, elf in m.symbols.modules():
        if os.path.realpath(elf.path) == real:
            return base, elf
    raise ElfError(f"{real}: not found among the loaded modules")


__all__ = ["Image", "LoadError", "Snapshot", "start", "stub_executable"]
