"""Run an x86-64 Linux program on Unicorn: set-up, loading, the run loop and its hooks.

The machine knows nothing about AD. Other layers attach through `add_raw_code_hook` and
`enable_client_requests`. Every translation block is inspected once before it first runs, so
no VEX-encoded instruction ever reaches Unicorn (it silently computes some of them wrong,
DESIGN §2): the run stops with an error naming the instruction.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import capstone
from unicorn import UC_ARCH_X86, UC_MODE_64, Uc, UcError
from unicorn import unicorn_const as UC

from revad_emu import compiled, fastuc
from revad_emu.elf import ElfError, ElfFile, read_elf
from revad_emu.errors import (
    BudgetExceeded,
    EmulationError,
    Interrupted,
    UnsupportedInstruction,
)
from revad_emu.linux import Kernel
from revad_emu.memory import AddressSpace
from revad_emu.process import (
    AT_BASE,
    AT_CLKTCK,
    AT_EGID,
    AT_ENTRY,
    AT_EUID,
    AT_FLAGS,
    AT_GID,
    AT_HWCAP,
    AT_HWCAP2,
    AT_MINSIGSTKSZ,
    AT_PAGESZ,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_SECURE,
    AT_UID,
    HWCAP_X86_64,
    build_stack,
)
from revad_emu.symbols import Symbolizer
from revad_emu.threadswitch import ThreadSwitcher

PIE_BASE = 0x5555_5555_4000
INTERP_BASE = 0x7FFF_F7FC_3000
MMAP_TOP = 0x7FFF_F7F0_0000
STACK_TOP = 0x7FFF_FFFF_F000
STACK_SIZE = 8 << 20
END_ADDR = 0xFFFF_FFFF_FFFF_FFFF  # non-canonical: emu_start never stops by reaching it

# Client request: rol rdi,3; rol rdi,13; rol rdi,61; rol rdi,51; xchg rbx,rbx (Valgrind amd64).
CLIENT_REQUEST = bytes.fromhex("48C1C70348C1C70D48C1C73D48C1C73348 87DB".replace(" ", ""))

_LEGACY_PREFIXES = frozenset(b"\x66\xf2\xf3\x2e\x36\x3e\x26\x64\x65\xf0\x67")

SIGILL, SIGTRAP, SIGFPE, SIGSEGV, SIGBUS = 4, 5, 8, 11, 7


def vex_kind(code: bytes) -> str | None:
    """'VEX'/'EVEX'/'XOP' if the instruction bytes use that encoding, else None."""
    i = 0
    n = len(code)
    while i < n and code[i] in _LEGACY_PREFIXES:
        i += 1
    if i < n and 0x40 <= code[i] <= 0x4F:
        i += 1
    if i >= n:
        return None
    b = code[i]
    if b in (0xC4, 0xC5):
        return "VEX"  # LES/LDS do not exist in 64-bit mode
    if b == 0x62:
        return "EVEX"
    if b == 0x8F and i + 1 < n and (code[i + 1] & 0x1F) >= 8:
        return "XOP"
    return None


@dataclass
class RunStats:
    instructions: int = 0
    blocks_seen: int = 0
    seconds: float = 0.0
    syscalls: dict[str, int] = field(default_factory=dict)


class Machine:
    """One emulated process. Construct, optionally attach hooks, then `run()` once."""

    def __init__(self, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
                 *, stdin: bytes | None = b"", stdout: Callable[[bytes], None] | None = None,
                 stderr: Callable[[bytes], None] | None = None, allow_write=(),
                 tty_fds=(), max_instructions: int | None = None,
                 progress: Callable[[int, float], None] | None = None):
        self.path = os.path.abspath(path)
        self.exe: ElfFile = read_elf(path)
        self.argv = [str(path), *(argv or [])]
        self.env = dict(env) if env is not None else {"PATH": "/usr/bin:/bin", "LANG": "C"}
        self.max_instructions = max_instructions
        self.progress = progress
        self.out = bytearray()
        self.err = bytearray()
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.fast = fastuc.FastUc(self.uc)
        self.mem = AddressSpace(self.uc, mmap_top=MMAP_TOP)
        self.symbols = Symbolizer()
        self.cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self.kernel = Kernel(
            self.mem, exe_path=self.path, stdin=stdin,
            stdout=stdout or self.out.extend, stderr=stderr or self.err.extend,
            allow_write=allow_write, tty_fds=tty_fds,
            set_fs_base=lambda v: self.fast.set_reg(fastuc.UC_FS_BASE, v),
            get_fs_base=lambda: self.fast.reg(fastuc.UC_FS_BASE),
            on_map=self._on_map)
        self.stats = RunStats()
        self.threads = ThreadSwitcher(self)  # guest threads: CPU contexts, time slices
        self._limit = max_instructions  # what the block hook checks (budget or slice end)
        self.kernel.instructions = self._executed  # the emulated clock of interval timers
        self._block_sizes: dict[int, tuple[int, int]] = {}
        self._blocks = None  # the compiled block hook (compiled._hot.Blocks), when built
        self._last_block = 0
        self._stop_error: BaseException | None = None
        self.fault: str | None = None
        self.term_signal: int | None = None
        self._interrupt = False
        # Layers above register here.
        self.on_client_request: Callable[[int], None] | None = None
        self.request_sites: set[int] = set()
        self._request_hooks: set[int] = set()
        self._setup_cpu()
        self._load()
        self._install_hooks()

    # -- set-up ------------------------------------------------------------------------
    def _setup_cpu(self) -> None:
        # Linux starts processes with these; Unicorn starts with zeros (DESIGN §2).
        self.fast.set_reg(fastuc.UC_MXCSR, 0x1F80)
        self.fast.set_reg(fastuc.UC_FPCW, 0x037F)

    def _map_elf(self, elf: ElfFile, base: int, name: str) -> None:
        for seg in elf.segments:
            start = (base + seg.vaddr) & ~0xFFF
            end = (base + seg.vaddr + seg.memsz + 0xFFF) & ~0xFFF
            self.mem.map(start, end - start, seg.prot | 1, name)
            data = elf.data[seg.offset:seg.offset + seg.filesz]
            self.mem.write(base + seg.vaddr, data)
            if seg.prot & 4:
                self._scan_requests(base + seg.vaddr, data)
        self.symbols.add(elf.path, base, base + elf.min_vaddr, base + elf.max_vaddr, elf)

    def _load(self) -> None:
        exe = self.exe
        base = PIE_BASE if exe.is_pie else 0
        self._map_elf(exe, base, os.path.basename(self.path))
        entry = base + exe.entry
        interp_base = 0
        if exe.interp:
            try:
                interp = read_elf(exe.interp)
            except ElfError as e:
                raise ElfError(f"{self.path}: program interpreter {exe.interp} cannot be loaded "
                               f"({e})") from None
            interp_base = INTERP_BASE - interp.min_vaddr
            self._map_elf(interp, interp_base, os.path.basename(exe.interp))
            entry = interp_base + interp.entry
        brk = (base + exe.max_vaddr + 0xFFF) & ~0xFFF
        self.kernel.brk_start(brk)
        self.mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, 3, "[stack]")
        envp = [f"{k}={v}".encode() for k, v in self.env.items()]
        aux = [(AT_PHDR, base + exe.phdr_vaddr()), (AT_PHENT, 56), (AT_PHNUM, exe.phnum),
               (AT_PAGESZ, 4096), (AT_BASE, interp_base), (AT_FLAGS, 0),
               (AT_ENTRY, base + exe.entry), (AT_UID, 1000), (AT_EUID, 1000), (AT_GID, 1000),
               (AT_EGID, 1000), (AT_SECURE, 0), (AT_HWCAP, HWCAP_X86_64), (AT_HWCAP2, 0),
               (AT_CLKTCK, 100), (AT_MINSIGSTKSZ, 2048)]
        sp = build_stack(self.mem.write, STACK_TOP, [a.encode() for a in self.argv], envp, aux,
                         self.path.encode())
        self.fast.set_gpr(4, sp)
        self.entry = entry

    def _on_map(self, addr: int, size: int, prot: int, path: str | None, offset: int) -> None:
        """Kernel callback: a file or executable region was mapped (ld.so loading a library)."""
        if path is not None:
            try:
                elf = read_elf(path)
            except ElfError:
                elf = None
            if elf is not None:
                for seg in elf.segments:
                    if seg.offset & ~0xFFF == offset & ~0xFFF:
                        base = addr - (seg.vaddr & ~0xFFF)
                        self.symbols.add(path, base, base + elf.min_vaddr,
                                         base + elf.max_vaddr, elf)
                        break
        if prot & 4:
            data = self.mem.read(addr, size)
            self._scan_requests(addr, data)

    def _scan_requests(self, addr: int, code: bytes) -> None:
        """Find client-request sequences in code (so they can be hooked individually)."""
        i = code.find(CLIENT_REQUEST)
        while i >= 0:
            self.request_sites.add(addr + i)
            i = code.find(CLIENT_REQUEST, i + 1)
        if self.on_client_request is not None:
            self._hook_requests()

    def _hook_requests(self) -> None:
        for site in self.request_sites - self._request_hooks:
            self._request_hooks.add(site)
            self.fast.hook_code(self._guard(self._request_hit), site, site)
        if self._executed():
            self.uc.ctl_flush_tb()  # ctl_remove_cache over the whole space silently does nothing

    def _request_hit(self, addr: int, _size: int) -> None:
        if self.on_client_request is None:
            return
        self.on_client_request(addr)
        self.fast.set_reg(fastuc.UC_RIP, addr + len(CLIENT_REQUEST))

    def _guard(self, fn: Callable[..., object]) -> Callable[..., object]:
        """Wrap a hook: an exception must stop the run (ctypes would swallow it)."""

        def wrapped(*args):
            try:
                return fn(*args)
            except BaseException as e:  # noqa: BLE001
                if self._stop_error is None:
                    self._stop_error = e
                self.fast.stop()
                return False

        return wrapped

    def _install_hooks(self) -> None:
        f = self.fast
        f.hook_syscall(self._guard(self._syscall))
        if compiled.available():
            self._blocks = compiled._hot.Blocks(f.h.value, f.c_address("uc_emu_stop"),
                                                self._vet_block,
                                                self._guard(self._tick),
                                                self._guard(self._over_budget))
            if self.max_instructions is not None:
                self._blocks.max_instructions = self.max_instructions
            f.hook_c(8, self._blocks.hook_address, self._blocks)
        else:
            f.hook_block(self._guard(self._block))
        f.hook_mem_invalid(self._guard(self._mem_invalid))
        f.hook(UC.UC_HOOK_INTR, fastuc.ctypes.CFUNCTYPE(
            None, fastuc.ctypes.c_void_p, fastuc.ctypes.c_uint32, fastuc.ctypes.c_void_p)(
            lambda _uc, intno, _ud: self._guard(self._interrupt_hook)(intno)))

    def add_raw_code_hook(self, fn, begin: int = 1, end: int = 0) -> int:
        """Call fn(uc, address, size, user_data) straight from C before each instruction in
        [begin, end] (all if begin > end). fn must catch its own exceptions and hand them to
        `fail` (ctypes would swallow them)."""
        h = self.fast.hook_code_raw(fn, begin, end)
        if self._executed():
            self.uc.ctl_flush_tb()
        return h

    def add_c_code_hook(self, fn_address: int, owner, begin: int = 1, end: int = 0) -> int:
        """Like `add_raw_code_hook` for a callback written in C (see fastuc.hook_c)."""
        h = self.fast.hook_c(4, fn_address, owner, begin, end)
        if self._executed():
            self.uc.ctl_flush_tb()
        return h

    def fail(self, exc: BaseException) -> None:
        """Stop the run because of exc (raised again after emu_start returns)."""
        if self._stop_error is None:
            self._stop_error = exc
        self.fast.stop()

    def enable_client_requests(self, handler: Callable[[int], None]) -> None:
        self.on_client_request = handler
        self._hook_requests()

    # -- hooks -------------------------------------------------------------------------
    def _syscall(self) -> None:
        f = self.fast
        nr = f.gpr(0)
        args = (f.gpr(7), f.gpr(6), f.gpr(2), f.gpr(10), f.gpr(8), f.gpr(9))
        ret = self.kernel.syscall(nr, args)
        f.set_gpr(0, ret)
        if self.kernel.exited:
            f.stop()
        elif (self.kernel.spawned or self.kernel.need_switch or self.kernel.signal_ready
              or self.kernel.sigreturn):
            self.threads.after_syscall(f.reg(fastuc.UC_RIP))

    # The compiled block hook's callbacks (the Python `_block` below vets blocks itself).
    def _vet_block(self, addr: int, size: int) -> int:
        try:
            return self._check_block(addr, size)
        except BaseException as e:  # noqa: BLE001
            self.fail(e)
            return -1

    def _tick(self) -> None:
        self._sync_counts()
        if self._interrupt:
            raise Interrupted("interrupted (Ctrl-C)")
        if self.progress is not None:
            self.progress(self.stats.instructions, time.monotonic() - self._t0)

    def _over_budget(self, addr: int) -> None:
        self._sync_counts()
        if self.threads.slice_over(self.stats.instructions):
            return
        raise BudgetExceeded(
            f"instruction budget exceeded: more than {self.max_instructions} instructions "
            f"executed (at {self.describe(addr)}); raise --max-instructions")

    def set_limit(self, limit: int | None) -> None:
        """The instruction count at which the block hook calls `_over_budget`."""
        self._limit = limit
        if self._blocks is not None:
            self._blocks.max_instructions = -1 if limit is None else limit

    def _executed(self) -> int:
        """Instructions run so far (0: the emulation has not started)."""
        self._sync_counts()
        return self.stats.instructions

    def _sync_counts(self) -> None:
        if self._blocks is not None:
            self.stats.instructions = self._blocks.instructions
            self.stats.blocks_seen = self._blocks.blocks
            self._last_block = self._blocks.last_block

    def _block(self, addr: int, size: int) -> None:
        known = self._block_sizes.get(addr)
        if known is None or known[0] != size:
            known = (size, self._check_block(addr, size))
            self._block_sizes[addr] = known
        self._last_block = addr
        st = self.stats
        st.instructions += known[1]
        st.blocks_seen += 1
        if st.blocks_seen & 0x3FFF == 0:
            self._tick()
        if self._limit is not None and st.instructions > self._limit:
            self._over_budget(addr)

    def _check_block(self, addr: int, size: int) -> int:
        """Count the block's instructions and stop before any VEX instruction can run."""
        code = self.fast.mem(addr, size) or b""
        n = 0
        for a, sz, mnem, ops in self.cs.disasm_lite(code, addr):
            n += 1
            if mnem == "pause":  # a spin-wait loop: a hint to switch threads
                self.threads.note_pause(a)
            kind = vex_kind(code[a - addr:a - addr + sz])
            if kind is not None:
                raise UnsupportedInstruction(
                    f"{kind}-encoded instruction at {self.describe(a)}: {mnem} {ops} — "
                    "revad_emu does not execute AVX/AVX-512 code yet; rebuild with "
                    "-march=x86-64-v2 (or without -mavx/-march=native)")
        return n

    def _mem_invalid(self, access: int, addr: int, size: int, _value: int) -> bool:
        pc = self.fast.reg(fastuc.UC_RIP)
        kind = {UC.UC_MEM_READ_UNMAPPED: "read of unmapped memory",
                UC.UC_MEM_WRITE_UNMAPPED: "write to unmapped memory",
                UC.UC_MEM_FETCH_UNMAPPED: "jump to unmapped memory",
                UC.UC_MEM_READ_PROT: "read of protected memory",
                UC.UC_MEM_WRITE_PROT: "write to read-only memory",
                UC.UC_MEM_FETCH_PROT: "jump to non-executable memory"}.get(access, "access")
        unmapped = access in (UC.UC_MEM_READ_UNMAPPED, UC.UC_MEM_WRITE_UNMAPPED,
                              UC.UC_MEM_FETCH_UNMAPPED)
        fetch = access in (UC.UC_MEM_FETCH_UNMAPPED, UC.UC_MEM_FETCH_PROT)
        if self._to_handler(SIGSEGV, 1 if unmapped else 2, addr, addr if fetch else pc):
            return False  # SEGV_MAPERR / SEGV_ACCERR: the program's handler runs
        if access in (UC.UC_MEM_FETCH_UNMAPPED, UC.UC_MEM_FETCH_PROT):
            self._sync_counts()
            where = f"(came from {self.describe(self._last_block)})" if self._last_block else ""
            self.fault = f"invalid memory access: {kind} at {addr:#x} {where}".rstrip()
        else:
            self.fault = (f"invalid memory access: {kind} at {addr:#x} ({size} bytes) by "
                          f"{self.describe(pc)}: {self.disasm(pc)}")
        self.term_signal = SIGSEGV
        return False

    def _interrupt_hook(self, intno: int) -> None:
        pc = self.fast.reg(fastuc.UC_RIP)
        sig = {3: SIGTRAP, 1: SIGTRAP, 0: SIGFPE, 6: SIGILL}.get(intno, SIGSEGV)
        if self._to_handler(sig, {0: 1, 6: 2}.get(intno, 0x80), pc, pc):  # FPE_INTDIV...
            self.fast.stop()
            return
        self.fault = f"CPU exception {intno} near {self.describe(pc)}"
        self.term_signal = sig
        self.fast.stop()

    def _to_handler(self, sig: int, code: int, addr: int, pc: int) -> bool:
        """A synchronous fault: if the program has a handler for it (and does not block the
        signal) it runs next, at the faulting instruction, as on Linux."""
        act = self.kernel.fault_action(sig)
        if act is None:
            return False
        from revad_emu.linux.signals import Pending

        self.threads.sync = (Pending(sig, act, code, addr), pc)
        return True

    # -- helpers -----------------------------------------------------------------------
    def describe(self, addr: int) -> str:
        """`0x401136 (main+0x12, prog.c:7)`-style text for an address."""
        return self.symbols.describe(addr)

    def disasm(self, addr: int) -> str:
        code = self.fast.mem(addr, 15) or b""
        for _a, _s, mnem, ops in self.cs.disasm_lite(code, addr, 1):
            return f"{mnem} {ops}".strip()
        return "(undecodable bytes)"

    # -- run ---------------------------------------------------------------------------
    def run(self) -> RunStats:
        self._t0 = time.monotonic()
        self._last_block = 0
        old = None
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGINT, lambda *_: setattr(self, "_interrupt", True))
        try:
            self._run_loop()
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
            self._sync_counts()
            self.stats.seconds = time.monotonic() - self._t0
            self.stats.syscalls = dict(self.kernel.counts)
            self.kernel.close_all()
        return self.stats

    def _run_loop(self) -> None:
        pc = self.entry
        while True:  # one pass per stretch of one guest thread (see threadswitch.py)
            try:
                self.uc.emu_start(pc, END_ADDR)
            except UcError as e:
                if self._stop_error is not None:
                    raise self._stop_error from None
                if self.fault is not None:
                    return
                if self.threads.sync is None and e.errno == UC.UC_ERR_INSN_INVALID:
                    code = self.fast.mem(self.fast.reg(fastuc.UC_RIP), 2) or b""
                    if code == b"\x0f\x0b":  # ud2: SIGILL (ILL_ILLOPN) to a handler?
                        rip = self.fast.reg(fastuc.UC_RIP)
                        self._to_handler(SIGILL, 2, rip, rip)
                if self.threads.sync is None:
                    self._uc_error(e)
                    return
            if self._stop_error is not None:
                raise self._stop_error
            if self._interrupt:
                raise Interrupted("interrupted (Ctrl-C)")
            if self.kernel.exited or self.fault is not None:
                return
            if not self.threads.wants_switch():
                break
            pc = self.threads.switch()
            if pc is None:  # a signal's default action ended the process
                return
        pc = self.fast.reg(fastuc.UC_RIP)
        raise EmulationError(f"emulation stopped unexpectedly at {self.describe(pc)}")

    def _uc_error(self, e: UcError) -> None:
        pc = self.fast.reg(fastuc.UC_RIP)
        if e.errno == UC.UC_ERR_INSN_INVALID:
            code = self.fast.mem(pc, 15) or b""
            text = self.disasm(pc)
            if code[:2] == b"\x0f\x0b":  # ud2 (__builtin_trap): the program's own SIGILL
                self.fault = f"illegal instruction (ud2) at {self.describe(pc)}"
                self.term_signal = SIGILL
                return
            kind = vex_kind(code)
            raise UnsupportedInstruction(
                f"unsupported instruction at {self.describe(pc)}: {text}"
                + (f" ({kind}-encoded; rebuild with -march=x86-64-v2)" if kind else ""))
        if e.errno in (UC.UC_ERR_READ_UNMAPPED, UC.UC_ERR_WRITE_UNMAPPED,
                       UC.UC_ERR_FETCH_UNMAPPED, UC.UC_ERR_READ_PROT, UC.UC_ERR_WRITE_PROT,
                       UC.UC_ERR_FETCH_PROT):
            self.fault = f"invalid memory access at {self.describe(pc)}: {self.disasm(pc)}"
            self.term_signal = SIGSEGV
            return
        raise EmulationError(f"emulation failed at {self.describe(pc)}: {e}")

    @property
    def exit_code(self) -> int:
        if self.kernel.exited and self.kernel.exit_status is not None:
            return self.kernel.exit_status
        sig = getattr(self.kernel, "term_signal", None) or self.term_signal
        return -(sig or SIGSEGV)


__all__ = ["Machine", "RunStats", "vex_kind"]
