"""Run an x86-64 Linux program on Unicorn: set-up, loading, the run loop and its hooks.

The machine knows nothing about AD. Other layers attach through `add_raw_code_hook` and
`enable_client_requests`. Every translation block is inspected once before it first runs, so
no VEX-encoded instruction ever reaches Unicorn (it silently computes some of them wrong and
rejects the rest, DESIGN §2): each gets a one-address hook that runs it in avx.py; EVEX/XOP
stop the run with an error naming the instruction.
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

from revad_emu import compiled
from revad_emu.cpu import cpuid, fastuc, ring3
from revad_emu.cpu.avx import GuestFault as VexMemoryFault
from revad_emu.cpu.avx import VexUnit
from revad_emu.cpu.decode import vex_kind
from revad_emu.cpu.memory import AddressSpace, MapError
from revad_emu.cpu.threadswitch import ThreadSwitcher
from revad_emu.errors import (
    BudgetExceeded,
    EmulationError,
    GuestFault,
    Interrupted,
    UnsupportedInstruction,
    UserModeFault,
)
from revad_emu.linux import Kernel
from revad_emu.linux.sandbox import path_list
from revad_emu.loading.elf import ElfError, ElfFile, read_elf
from revad_emu.loading.loader import (  # noqa: F401 - the layout, re-exported
    INTERP_BASE,
    PIE_BASE,
    STACK_SIZE,
    STACK_TOP,
    ProcessImage,
    load_image,
)
from revad_emu.loading.symbols import Symbolizer

MMAP_TOP = 0x7FFF_F7F0_0000
END_ADDR = 0xFFFF_FFFF_FFFF_FFFF  # non-canonical: emu_start never stops by reaching it

# Client request: rol rdi,3; rol rdi,13; rol rdi,61; rol rdi,51; xchg rbx,rbx (Valgrind amd64).
CLIENT_REQUEST = bytes.fromhex("48C1C70348C1C70D48C1C73D48C1C73348 87DB".replace(" ", ""))

SIGILL, SIGTRAP, SIGFPE, SIGSEGV, SIGBUS = 4, 5, 8, 11, 7


def elf_cache_key(path: str) -> tuple | None:
    """Key of `Machine._elf_cache`: the file's path and identity (a file replaced or
    rewritten is read again); None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class RunStats:
    instructions: int = 0
    blocks_seen: int = 0
    seconds: float = 0.0
    syscalls: dict[str, int] = field(default_factory=dict)


class Machine:
    """One emulated process. Construct, optionally attach hooks, then `run()` once.

    `load=False` builds the process image (loading/loader.py) without mapping it: for a
    start-up snapshot to be restored into (cpu/startup.py), else call `load()` first."""

    def __init__(self, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
                 *, stdin: bytes | None = b"", stdout: Callable[[bytes], None] | None = None,
                 stderr: Callable[[bytes], None] | None = None, allow_write=(),
                 allow_read=None, tty_fds=(), max_instructions: int | None = None,
                 progress: Callable[[int, float], None] | None = None, load: bool = True):
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
            allow_write=allow_write, allow_read=self._loader_read(allow_read), tty_fds=tty_fds,
            set_fs_base=lambda v: self.fast.set_reg(fastuc.UC_FS_BASE, v),
            get_fs_base=lambda: self.fast.reg(fastuc.UC_FS_BASE),
            on_map=self._on_map)
        self.stats = RunStats()
        self.threads = ThreadSwitcher(self)  # guest threads: CPU contexts, time slices
        self._limit = max_instructions  # what the block hook checks (budget or slice end)
        self.kernel.instructions = self._executed  # the emulated clock of interval timers
        self._block_sizes: dict[int, tuple[int, int]] = {}
        self._elf_cache: dict[tuple, ElfFile | None] = {}
        self._align_sites: dict[int, ring3.AlignedOperand] = {}
        self._revet = False
        self._vet_start = -1  # the block being vetted (compiled block hook)
        self._cs_detail = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self._cs_detail.detail = True
        self._blocks = None  # the compiled block hook (compiled._hot.Blocks), when built
        self._last_block = 0
        self._stop_error: BaseException | None = None
        self.fault: str | None = None
        self.term_signal: int | None = None
        self._interrupt = False
        self._in_syscall = False
        # Layers above register here.
        self.on_client_request: Callable[[int], None] | None = None
        self.request_sites: set[int] = set()
        self._request_hooks: set[int] = set()
        # VEX instructions run in Python (avx.py), each behind a one-address code hook added
        # when block vetting first sees it; the block is then restarted so the hook is in it.
        self.vex = VexUnit(self)
        self._vex_hooks: dict[int, int] = {}   # address -> hook handle
        self._vex_new: set[int] = set()
        self._restart: tuple[int, int] | None = None
        self._vex_cb = fastuc.CODE_CB(self._vex_hit)
        self.cpu_v3 = cpuid.wants_v3(self.exe)  # CPUID of an AVX2/FMA CPU (see cpuid.py)
        self._setup_cpu()
        self._load()
        if load:
            self.load()
        self._install_hooks()

    # -- set-up ------------------------------------------------------------------------
    def _loader_read(self, allow_read):
        """allow_read plus what this program's loader needs: its interpreter, and the
        LD_LIBRARY_PATH directories of the guest's environment (None: no restriction)."""
        if allow_read is None:
            return None
        extra = [self.exe.interp] if self.exe.interp else []
        extra += [d for d in str(self.env.get("LD_LIBRARY_PATH", "")).split(":") if d]
        return [*path_list(allow_read, "allow_read"), *extra]

    def _setup_cpu(self) -> None:
        # Linux starts processes with these; Unicorn starts with zeros (DESIGN §2).
        self.fast.set_reg(fastuc.UC_MXCSR, 0x1F80)
        self.fast.set_reg(fastuc.UC_FPCW, 0x037F)

    def _load(self) -> None:
        """Build the initial process image (loading/loader.py) and take from it what the
        machine keeps even when a snapshot replaces the memory: the symbolizer's modules,
        the program break and the entry point."""
        image = load_image(self.path, self.exe, self.argv, self.env)
        for mod in image.modules:
            self.symbols.add(mod.path, mod.base, mod.start, mod.end, mod.elf)
        self.kernel.brk_start(image.brk)
        self.entry = image.entry
        self.image: ProcessImage | None = image

    def load(self) -> None:
        """Map the process image into the engine: segments, stack, stack pointer. Done by
        the constructor unless it was told `load=False` (a start-up snapshot will replace
        the memory, cpu/startup.py); then call this before running from the entry."""
        image = self.image
        if image is None:
            return
        self.image = None
        for mp in image.mappings:
            try:
                self.mem.map(mp.start, mp.size, mp.prot, mp.name)
            except (MapError, UcError, MemoryError, OverflowError) as e:
                raise ElfError(f"{mp.elf_path}: cannot map the LOAD segment at {mp.start:#x} "
                               f"({mp.size:,} bytes): {e}") from None
            self.mem.write(mp.data_addr, mp.data)
            if mp.prot & 4:
                self._scan_requests(mp.data_addr, mp.data)
        self.mem.map(image.stack_start, image.stack_size, 3, "[stack]")
        self.mem.write(image.sp, image.stack_bytes)
        self.fast.set_gpr(4, image.sp)

    def _on_map(self, addr: int, size: int, prot: int, path: str | None, offset: int) -> None:
        """Kernel callback: a file or executable region was mapped (ld.so loading a library)."""
        known = path is not None and any(
            e.path == path and lo <= addr < hi for lo, hi, _b, e in self.symbols.modules())
        if path is not None and not known:
            # ld.so maps a library whole first (offset 0), then its segments over that range:
            # the first mapping fixes the base. Matching a later one by file offset alone can
            # pick the wrong segment when two share a page of the file.
            elf = self._mapped_elf(path)
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

    def _mapped_elf(self, path: str) -> ElfFile | None:
        """The ELF file behind a file mapping, read once per file (ld.so maps a library in
        several pieces; a data file is not read again at each mmap)."""
        key = elf_cache_key(path)
        if key is None:
            return None
        if key not in self._elf_cache:
            try:
                self._elf_cache[key] = read_elf(path)
            except ElfError:
                self._elf_cache[key] = None
        return self._elf_cache[key]

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
        self._aligner = None
        if compiled.available():
            self._aligner = compiled._hot.Aligner(f.h.value, f.c_address("uc_emu_stop"),
                                                  f.c_address("uc_reg_read"))
        if compiled.available():
            self._blocks = compiled._hot.Blocks(f.h.value, f.c_address("uc_emu_stop"),
                                                self._vet_block,
                                                self._guard(self._tick),
                                                self._guard(self._over_budget))
            self._blocks.set_aligner(self._aligner)
            if self.max_instructions is not None:
                self._blocks.max_instructions = self.max_instructions
            f.hook_c(8, self._blocks.hook_address, self._blocks)
        else:
            f.hook_block(self._guard(self._block))
        f.hook_mem_invalid(self._guard(self._mem_invalid))
        if self.cpu_v3:
            self._cpuid_cb = fastuc.ctypes.CFUNCTYPE(
                fastuc.ctypes.c_int, fastuc.ctypes.c_void_p, fastuc.ctypes.c_void_p)(
                lambda _uc, _ud: self._guard(self._cpuid)() or 1)
            f.hook(UC.UC_HOOK_INSN, self._cpuid_cb, 1, 0,
                   fastuc.ctypes.c_int(fastuc.X.UC_X86_INS_CPUID))
        f.hook(UC.UC_HOOK_INTR, fastuc.ctypes.CFUNCTYPE(
            None, fastuc.ctypes.c_void_p, fastuc.ctypes.c_uint32, fastuc.ctypes.c_void_p)(
            lambda _uc, intno, _ud: self._guard(self._interrupt_hook)(intno)))

    def add_raw_code_hook(self, fn, begin: int = 1, end: int = 0) -> int:
        """Call fn(uc, address, size, user_data) straight from C before each instruction in
        [begin, end] (all if begin > end). fn must catch its own exceptions and hand them to
        `fail` (ctypes would swallow them). Runs before the VEX executor's hooks."""
        h = self.fast.hook_code_raw(fn, begin, end)
        self._vex_hooks_last()
        if self._executed():
            self.uc.ctl_flush_tb()
        return h

    def add_c_code_hook(self, fn_address: int, owner, begin: int = 1, end: int = 0) -> int:
        """Like `add_raw_code_hook` for a callback written in C (see fastuc.hook_c)."""
        h = self.fast.hook_c(4, fn_address, owner, begin, end)
        self._vex_hooks_last()
        if self._executed():
            self.uc.ctl_flush_tb()
        return h

    def _vex_hooks_last(self) -> None:
        """Unicorn calls code hooks in the order they were added. The VEX executor's hooks
        must come after every other code hook at their address (the recorder's finishes the
        previous instruction first), so they are added again behind a new hook."""
        for addr, handle in list(self._vex_hooks.items()):
            fastuc.uclib.uc_hook_del(self.fast.h, fastuc.ctypes.c_size_t(handle))
            self._vex_hooks[addr] = self.fast.hook(4, self._vex_cb, addr, addr)

    def _vex_hit(self, _uc, addr: int, size: int, _ud) -> None:
        """Code hook at a VEX instruction: execute it here, never in Unicorn."""
        try:
            self.vex.execute(addr, size)
        except VexMemoryFault as e:
            kind = "write to" if e.write else "read of"
            self.fault = (f"invalid memory access: {kind} unmapped memory at {e.addr:#x} by "
                          f"{self.describe(addr)}: {self.disasm(addr)}")
            self.term_signal = SIGSEGV
            self.fast.stop()
        except BaseException as e:  # noqa: BLE001
            self.fail(e)

    def fail(self, exc: BaseException) -> None:
        """Stop the run because of exc (raised again after emu_start returns)."""
        if self._stop_error is None:
            self._stop_error = exc
        self.fast.stop()

    def enable_client_requests(self, handler: Callable[[int], None]) -> None:
        self.on_client_request = handler
        self._hook_requests()

    # -- hooks -------------------------------------------------------------------------
    def _syscall(self, i386: bool = False) -> None:
        f = self.fast
        nr = f.gpr(0)
        if i386:  # int $0x80: eax, then ebx ecx edx esi edi ebp (linux/i386.py)
            args = (f.gpr(3), f.gpr(1), f.gpr(2), f.gpr(6), f.gpr(7), f.gpr(5))
        else:
            args = (f.gpr(7), f.gpr(6), f.gpr(2), f.gpr(10), f.gpr(8), f.gpr(9))
        self._in_syscall = True  # Ctrl-C now interrupts at once (a read may block for ever)
        try:
            if self._interrupt:
                raise Interrupted("interrupted (Ctrl-C)")
            if i386:
                ret = self.kernel.syscall_i386(nr & 0xFFFF_FFFF, args)
            else:
                ret = self.kernel.syscall(nr, args)
        finally:
            self._in_syscall = False
        f.set_gpr(0, ret)
        if self.kernel.exited:
            f.stop()
        elif (self.kernel.spawned or self.kernel.need_switch or self.kernel.signal_ready
              or self.kernel.sigreturn):
            self.threads.after_syscall(f.reg(fastuc.UC_RIP))

    def _cpuid(self) -> int:
        """CPUID as an x86-64-v3 CPU answers (the hook's 1: skip Unicorn's own)."""
        f = self.fast
        regs = cpuid.cpuid_v3(f.gpr(0) & 0xFFFF_FFFF, f.gpr(1) & 0xFFFF_FFFF)
        for i, v in zip((0, 3, 1, 2), regs, strict=True):  # eax, ebx, ecx, edx
            f.set_gpr(i, v)
        return 1

    # The compiled block hook's callbacks (the Python `_block` below vets blocks itself).
    def _vet_block(self, addr: int, size: int) -> int:
        self._vet_start = addr
        try:
            n = self._check_block(addr, size)
        except BaseException as e:  # noqa: BLE001
            self.fail(e)
            return -1
        if self._vex_new:  # the block must be translated again with its new VEX hooks
            self._restart = (addr, size)
            self.fast.stop()
            return -1
        if self._revet:  # hooks were added in this block: translate it again first (it has
            self.fast.stop()  # not run: not counted now, vetted again when it does)
            return -1
        return n

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
            n = self._check_block(addr, size)
            if self._vex_new:
                self._restart = (addr, size)
                self.fast.stop()
                return
            known = (size, n)
            self._block_sizes[addr] = known
            if self._revet:
                self.fast.stop()
                return
        self._last_block = addr
        st = self.stats
        st.instructions += known[1]
        st.blocks_seen += 1
        if st.blocks_seen & 0x3FFF == 0:
            self._tick()
        if self._limit is not None and st.instructions > self._limit:
            self._over_budget(addr)

    def _check_block(self, addr: int, size: int) -> int:
        """Count the block's instructions; VEX instructions not hooked yet go to `_vex_new`
        (the block is restarted once they are hooked); EVEX/XOP stop the run."""
        # Unicorn's size for a block ending at an instruction it cannot decode (FMA, ymm)
        # leaves out that instruction's last bytes: read past the end.
        code = self.fast.mem(addr, size + 15) or self.fast.mem(addr, size) or b""
        n = 0
        for a, sz, mnem, ops in self.cs.disasm_lite(code, addr):
            if a >= addr + size:
                break
            n += 1
            if mnem == "pause":  # a spin-wait loop: a hint to switch threads
                self.threads.note_pause(a)
            kind = vex_kind(code[a - addr:a - addr + sz])
            self._check_user_mode(a, code[a - addr:a - addr + sz], mnem, ops, kind is not None)
            if kind == "VEX" or (self.cpu_v3 and mnem == "xgetbv"):
                if a not in self._vex_hooks:  # (xgetbv: XCR0 with the AVX state, avx.py)
                    self._vex_new.add(a)
            elif kind is not None:
                raise UnsupportedInstruction(
                    f"{kind}-encoded instruction at {self.describe(a)}: {mnem} {ops} — "
                    "revad_emu executes AVX/AVX2/FMA (VEX) code but not AVX-512 or XOP; "
                    "rebuild with -march=x86-64-v3 (or without -march=native)")
        return n

    def _hook_new_vex(self) -> None:
        """Hook the VEX instructions found by the last vetting and drop the stale block."""
        for a in sorted(self._vex_new):
            self._vex_hooks[a] = self.fast.hook(4, self._vex_cb, a, a)
        self._vex_new.clear()
        addr, size = self._restart
        self._restart = None
        # Only this block was translated without the new hooks (every block is vetted
        # before its first run): drop just it, not the whole translation cache.
        self.uc.ctl_remove_cache(addr, addr + size + 15)

    def _check_user_mode(self, a: int, raw: bytes, mnem: str, ops: str, vex: bool) -> None:
        """Stop before an instruction a user process may not run (Unicorn runs the guest in
        ring 0): privileged ones fault now; an SSE operand that must be aligned is checked
        each time it runs, by the block hook as its block starts or by a hook at the
        instruction (ring3.py)."""
        if mnem not in ring3.WATCHED and "mmword ptr" not in ops:
            return
        fault = ring3.user_mode_fault(mnem, ops)
        if fault is not None:
            raise UserModeFault(fault[0], f"{fault[1]} at {self.describe(a)}: {mnem} {ops}".strip())
        if a in self._align_sites or not ring3.may_need_alignment(mnem, ops):
            return
        insn = next(self._cs_detail.disasm(raw, a), None)
        need = None if insn is None else ring3.aligned_operand(insn, vex)
        if isinstance(need, ring3.AlignedOperand):
            self._align_sites[a] = need
            if self._aligner is not None:  # the check in C (_hot.Aligner)
                start = self._vet_start
                before = list(self._cs_detail.disasm(self.fast.mem(start, a - start) or b"",
                                                     start)) if start < a else []  # fmt: skip
                how = ring3.entry_formula(before, insn, need.align) if start <= a else None
                base, index, scale, disp, seg, align = need.c_args()
                if how == "misaligned":
                    raise UserModeFault(SIGSEGV, f"general protection fault: misaligned operand "
                                     f"at {self.describe(a)}: {mnem} {ops}")
                if how == "aligned":
                    return
                if how is not None:  # checked as the block starts, by the block hook
                    b, i = (-1 if r is None else r for r in how[1:3])
                    self._aligner.add(a, b, i, scale, how[3], seg, align, start)
                    return
                self._aligner.add(a, base, index, scale, disp, seg, align)
                self.fast.hook_c(4, self._aligner.hook_address, self._aligner, a, a)
            else:
                self.fast.hook_code(self._guard(self._align_check), a, a)
            self.uc.ctl_remove_cache(a, a + len(raw))
            self._revet = True  # the block runs again from its start, with the hook
        elif need:  # RIP-relative, misaligned: faults each time it runs
            raise UserModeFault(SIGSEGV, f"general protection fault: misaligned operand at "
                             f"{self.describe(a)}: {mnem} {ops}")

    def _align_check(self, addr: int, _size: int) -> None:
        site = self._align_sites[addr]
        ea = site.address(self.fast.reg)
        if ea % site.align:
            raise self._misaligned(addr, ea)

    def _misaligned(self, addr: int, ea: int) -> UserModeFault:
        align = self._align_sites[addr].align
        return UserModeFault(SIGSEGV, f"general protection fault: {align}-byte operand at {ea:#x} "
                          f"is not {align}-byte aligned, by {self.describe(addr)}: "
                          f"{self.disasm(addr)}")

    def _note_align_fault(self) -> None:
        """The compiled alignment check stopped the engine: that is the program's fault."""
        a = self._aligner
        if a is not None and a.fault_pc and self._stop_error is None:
            self._stop_error = self._misaligned(a.fault_pc, a.fault_address)

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
        if intno == 0x80:  # the 32-bit system call gate; execution goes on after it
            self._syscall(i386=True)
            return
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
            old = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            self._run_loop()
        except Interrupted as e:
            e.stdout, e.stderr = bytes(self.out), bytes(self.err)
            raise
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
            self._sync_counts()
            self.stats.seconds = time.monotonic() - self._t0
            self.stats.syscalls = dict(self.kernel.counts)
            self.kernel.close_all()
        return self.stats

    def _on_sigint(self, _sig, _frame) -> None:
        """Ctrl-C: guest code stops at the next tick of the block hook; a syscall (a read
        of a terminal or pipe, a long write) is interrupted where it is, since Python
        would otherwise retry the host call (PEP 475) and never come back."""
        self._interrupt = True
        if self._in_syscall:
            self._in_syscall = False
            raise Interrupted("interrupted (Ctrl-C)")

    def _emulate(self, pc: int, until: int) -> None:
        """Run from `pc` towards `until`, one pass per stretch of one guest thread
        (threadswitch.py), starting again after each stop that only asked for a block to be
        translated anew (new VEX or alignment hooks). A Unicorn error of the program's own
        doing becomes `self.fault`; other stops are for the caller to judge."""
        while True:
            try:
                self.uc.emu_start(pc, until)
            except UcError as e:
                self._note_align_fault()
                if self._stop_error is not None:
                    self._raise_stop_error()
                    return
                if self.fault is not None or self.kernel.exited:
                    return  # the program had ended: what Unicorn says after that is not its
                if self.threads.sync is None and e.errno == UC.UC_ERR_INSN_INVALID:
                    rip = self.fast.reg(fastuc.UC_RIP)
                    if (self.fast.mem(rip, 2) or b"") == b"\x0f\x0b":  # ud2: SIGILL handler?
                        self._to_handler(SIGILL, 2, rip, rip)  # (ILL_ILLOPN)
                if self.threads.sync is None:
                    self._uc_error(e)
                    return
            self._note_align_fault()
            if (self._stop_error is not None or self._interrupt or self.kernel.exited
                    or self.fault is not None):
                return
            retranslate = self._restart is not None or self._revet
            if self._restart is not None:  # new VEX hooks: the block runs again with them
                pc = self._restart[0]
                self._hook_new_vex()
            else:  # a block stopped before running, to get new (alignment) hooks
                pc = self.fast.reg(fastuc.UC_RIP)
            self._revet = False
            if self.threads.wants_switch():
                pc = self.threads.switch()
                if pc is None:  # a signal's default action ended the process
                    return
            elif not retranslate:
                return

    def _run_loop(self) -> None:
        self._emulate(self.entry, END_ADDR)
        if self._stop_error is not None:
            self._raise_stop_error()
            return
        if self._interrupt:
            raise Interrupted("interrupted (Ctrl-C)")
        if self.kernel.exited or self.fault is not None:
            return
        pc = self.fast.reg(fastuc.UC_RIP)
        raise EmulationError(f"emulation stopped unexpectedly at {self.describe(pc)}")

    def run_until(self, start: int, until: int) -> None:
        """Run from `start` until the PC reaches `until` (a stop address that is never
        executed), for loaders that stop a process part-way (at `main`, or at the return of
        a called function). Errors are raised as in `run`; a fault, an exit or any other
        stop before `until` raises EmulationError."""
        self._t0 = time.monotonic()
        self._stop_error = None
        self.fault = None
        self.term_signal = None
        old = None
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGINT, lambda *_: setattr(self, "_interrupt", True))
        try:
            self._emulate(start, until)
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
            self._sync_counts()
        if self._stop_error is not None:
            self._raise_stop_error()  # the program's own fault becomes self.fault
        if self._interrupt:
            self._interrupt = False
            raise Interrupted("interrupted (Ctrl-C)")
        if self.fault is not None:
            raise GuestFault(self.fault)
        if self.kernel.exited:
            raise GuestFault(f"the program exited (status {self.exit_code}) before "
                                 f"reaching {self.describe(until)}")
        pc = self.fast.reg(fastuc.UC_RIP)
        if pc != until:
            raise EmulationError(f"emulation stopped unexpectedly at {self.describe(pc)}")

    def _raise_stop_error(self) -> None:
        e = self._stop_error
        if isinstance(e, UserModeFault):  # the program's own fault, as natively
            self.fault, self.term_signal = str(e), e.signal
            return
        raise e from None

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


__all__ = ["Machine", "RunStats"]
