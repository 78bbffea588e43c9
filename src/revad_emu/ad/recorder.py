"""The recorder: follows active values through every instruction and writes the tape.

Per instruction (one range code hook, dispatch on a per-address table): finish the previous
instruction's pending "post" step (read its result, place the new node in the shadow), then
run this instruction's handler, built once from its decoded form by the `isa` tables. Before
the first input is marked no code hook exists at all, so start-up code runs at full speed.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections import Counter
from collections.abc import Callable

from revad_emu.ad.shadow import Shadow
from revad_emu.ad.tape import HotTapeBuilder, TapeBuilder, op_code
from revad_emu.ad.values import value_of
from revad_emu.compiled import _hot
from revad_emu.compiled import available as compiled_available
from revad_emu.cpu import fastuc
from revad_emu.cpu.decode import Decoder, Insn, MemRef
from revad_emu.errors import DerivativeError

_INPUT = op_code("input")


# Routines that read a double's bits on purpose and produce only text/integers: no warning.
PASSIVE_ROUTINES = (
    "printf", "fprintf", "sprintf", "snprintf", "vfprintf", "vsnprintf", "vsprintf",
    "__vfprintf", "__printf", "_IO_", "__mpn_", "__strtod", "____strtod", "strtod", "__isnan",
    "__isinf", "__fpclassify", "__GI___printf_fp", "__printf_fp", "hack_digit", "__printf_buffer",
    "__dprintf", "_itoa", "__write", "write", "std::num_put", "_ZNKSt7num_put", "_ZNSo9_M_insert",
    "_ZSt", "__gfortran_", "_gfortran", "__quadmath", "__wrap_", "__sprintf_chk", "__printf_chk",
    "__fprintf_chk", "__snprintf_chk", "__vfprintf_chk", "__translated_number_width",
    "__fwprintf", "__isnanl", "__isinfl",
)


class Recorder:
    """Shadow state + tape for one machine; attach with `Recorder(machine)`."""

    def __init__(self, machine, *, strict: bool = False, verbose_warnings: bool = True):
        self.m = machine
        self.fast = machine.fast
        self.dec = Decoder()
        self.strict = strict
        self.handlers: dict[int, Callable[[], None] | bool] = {}
        self.hot = None  # the compiled code hook (`_hot.Hot`), when built
        self._pending: Callable[[], None] | None = None
        self._prev = -1
        self._disabled = False
        self._fp_mode = 0
        self._suppress = None  # a math-library call being run unrecorded (mathcalls.Call)
        if compiled_available():
            self._init_compiled()
        else:
            self._init_python()
        self.inputs: list[tuple[str, int, float]] = []
        self.outputs: list[tuple[str, int, float]] = []
        self.warn_counts: Counter = Counter()
        self.warn_text: dict[tuple[int, str], str] = {}
        # Nodes put on a location by a size-less mark (Derivgrind's SET_INDEX): node → the
        # bytes found at each marked location. Their width is 0 until the first
        # floating-point read decides it (see `sizeless_read`).
        self.sizeless: dict[int, list[tuple[int, bytes]]] = {}
        self.hooked = False
        from revad_emu.ad.mathcalls import MathCalls

        self.math = MathCalls(self)
        from revad_emu.ad import isa

        self.table = isa.TABLE
        self.generic = isa.generic_handler
        # Memory written by the kernel (read(), fstat...) or unmapped loses its derivatives.
        def overwritten(addr: int, size: int) -> None:
            if self.sh.slots:
                self.sh.clear_range(addr, addr + size)

        machine.mem.on_overwrite.append(overwritten)
        self._overwritten = overwritten
        self.hook_handles: list[int] = []
        machine.kernel.on_output = self._output
        # VEX instructions run in the machine's executor; their derivatives follow there.
        from revad_emu.ad.isa.avx import VexAD

        machine.vex.listener = VexAD(self)
        machine.kernel.on_copy = lambda src, dst, n: self.sh.copy(src, dst, n)
        from revad_emu.ad.recthreads import RecorderThreads

        machine.threads.parts.append(RecorderThreads(self))  # per-thread register shadows

    def _init_python(self) -> None:
        """Shadow dict and array columns; every instruction goes through `_step`."""
        self.sh = Shadow()
        self.tb = tb = TapeBuilder()
        self.width = array("B", [0])    # 4, 8 or 10 bytes
        self.bits80: dict[int, int] = {}  # exact 80-bit patterns of x87 values
        self.value = tb.value      # forward values; also used to validate operands
        self._depth, self._depth_append = tb.depth, tb.depth.append
        self._p1, self._p2, self._d1, self._d2 = tb.p1.append, tb.p2.append, tb.d1.append, \
            tb.d2.append
        self._val, self._addr, self._op = tb.value.append, tb.addr.append, tb.op.append
        self._width_append = self.width.append

    def _init_compiled(self) -> None:
        """Shadow and tape in C; a C code hook runs the descriptors the isa tables attach to
        their handlers and calls `_py_step` for everything else."""
        ctape = _hot.Tape()
        self.sh = _hot.Shadow()
        self.tb = HotTapeBuilder(ctape)
        self.width = self.tb.width
        self.value = self.tb.value
        self.bits80 = ctape.bits80
        self.new_node = ctape.add  # same signature as the Python method
        self._ctape = ctape
        f = self.fast
        self.hot = _hot.Hot(self.sh, ctape, self._py_step, f.h.value, f.c_address("uc_reg_read"),
                            f.c_address("uc_mem_read"), f.c_address("uc_emu_stop"),
                            fastuc.UC_GPR, fastuc.UC_XMM, fastuc.UC_FS_BASE,
                            fastuc.X.UC_X86_REG_GS_BASE)

    def _output(self, fd: int, addr: int, n: int) -> None:
        """Active values (not text made from them) leaving through write(): whatever is
        read back later is passive, so say so once per call site."""
        sh = self.sh
        for off in range(0, n if sh.slots else 0, 1 << 16):  # big writes: chunk by chunk
            m = min(1 << 16, n - off)
            if not sh.any_active(addr + off, m):
                continue
            if any(e is not None and e > 0 for e in sh.get(addr + off, m)):
                self.warn(self.fast.reg(fastuc.UC_RIP), "io",
                          f"active values written to file descriptor {fd}: their derivatives "
                          "do not travel with them; anything read back from there is passive")
                return

    # -- state the compiled hook reads -------------------------------------------------
    @property
    def pending(self) -> Callable[[], None] | None:
        """A Python handler's step to run after its instruction executed."""
        return self._pending

    @pending.setter
    def pending(self, p: Callable[[], None] | None) -> None:
        self._pending = p
        if self.hot is not None:
            self.hot.py_pending = p is not None

    @property
    def suppress(self):
        return self._suppress

    @suppress.setter
    def suppress(self, call) -> None:
        self._suppress = call
        if self.hot is not None:
            self.hot.suppress_ret = -1 if call is None else call.ret

    @property
    def disabled(self) -> bool:
        return self._disabled

    @disabled.setter
    def disabled(self, v: bool) -> None:
        self._disabled = bool(v)
        if self.hot is not None:
            self.hot.disabled = int(bool(v))

    @property
    def fp_mode(self) -> int:
        return self._fp_mode

    @fp_mode.setter
    def fp_mode(self, v: int) -> None:
        self._fp_mode = v
        if self.hot is not None:
            self.hot.fp_mode = v

    @property
    def prev(self) -> int:
        """Address of the previous instruction seen by the hook."""
        return self.hot.prev if self.hot is not None else self._prev

    # -- nodes -------------------------------------------------------------------------
    def new_node(self, p1: int, d1: float, p2: int, d2: float, value: float, bits: int,
                 width: int, addr: int, op: int) -> int:
        """A tape node; `bits` (the exact pattern) is kept only for 80-bit values, whose
        binary64 `value` cannot tell whether a register still holds them."""
        depth = self._depth
        node = len(depth)
        a, b = depth[p1], depth[p2]
        self._depth_append((a if a > b else b) + 1)
        self._p1(p1)
        self._p2(p2)
        self._d1(d1)
        self._d2(d2)
        self._val(value)
        self._addr(addr)
        self._op(op)
        self._width_append(width)
        if width == 10:
            self.bits80[node] = bits
        return node

    def new_input(self, value: float, bits: int, width: int, addr: int = 0) -> int:
        if self.hot is not None:
            node = self._ctape.new_input(value, bits, width, addr, _INPUT)
        else:
            node = self.tb.new_input(value, addr)
            self._width_append(width)
            if width == 10:
                self.bits80[node] = bits
        self.ensure_hooked()
        return node

    def taint_origin(self, loc: int, width: int) -> int | None:
        ents = self.sh.get(loc, width)
        for e in ents or ():
            if e is not None and e < 0:
                return -1 - e
        return None

    def valid(self, node: int, raw: bytes, off: int, width: int) -> bool:
        """Does the value read now still carry node's value? (catches untracked overwrites)"""
        if self.width[node] != width:
            return False
        if width == 10:
            return int.from_bytes(raw[off:off + 10], "little") == self.bits80.get(node)
        return same(value_of(raw, off, width), self.value[node])

    def check(self, node: int, v: float, width: int, addr: int, loc: int) -> int:
        """Fast validation of an operand already decoded to v: node, or 0 with a warning."""
        if node > 0 and (self._ctape.valid(node, v, width) if self.hot is not None else
                         self.width[node] == width and same(v, self.value[node])):
            return node
        if node and self.sizeless and width in (4, 8):
            raw = struct.pack("<f" if width == 4 else "<d", v)
            n = self.sizeless_read(loc, width, raw)
            if n or node < 0:
                return n or self.operand_node(node, raw, 0, width, addr, loc)
        if node > 0:
            self.warn(addr, "stale", "an active value was changed by an untracked write; its "
                                     "derivative is dropped here")
            return 0
        return self.operand_node(node, b"", 0, width, addr, loc) if node else 0

    def operand_node(self, node: int, raw: bytes, off: int, width: int, addr: int,
                     loc: int | None = None) -> int:
        """Node to use as a parent: validated, or 0 with a warning."""
        if node == 0:
            return 0
        if self.sizeless and loc is not None and (node < 0 or self.width[node] != width):
            n = self.sizeless_read(loc, width, raw[off:off + width])
            if n:
                return n
            if node < 0 and self.sizeless_start(loc):
                self.warn(addr, "stale", "a variable marked without a size (SET_INDEX) "
                                         "changed before its first floating-point read; its "
                                         "derivative is dropped here")
                return 0
        if node < 0:
            origin = self.taint_origin(loc, width) if loc is not None else None
            if origin is not None:
                self.warn(addr, "bittrick", "derivative lost: this operand was computed by "
                          "integer/bit operations on a floating-point value (bit trick) at "
                          f"{self.m.describe(origin)}: {self.m.disasm(origin)}")
            else:
                self.warn(addr, "partial", "an active value is read in pieces that do not form "
                                           "one whole value (bit manipulation); derivative "
                                           "dropped")
            return 0
        if self.valid(node, raw, off, width):
            return node
        self.warn(addr, "stale", "an active value was changed by an untracked write; its "
                                 "derivative is dropped here")
        return 0

    # -- size-less marks ------------------------------------------------------------------
    def mark_sizeless(self, loc: int, node: int) -> None:
        """Attach node to the variable at loc without knowing its width (Derivgrind's
        SET_INDEX carries no size). Only the first 4 bytes (the smallest floating-point
        width) get the node's entries, so a float's neighbour is never touched; the first
        floating-point read of 4, 8 or 10 bytes starting there decides the width. A value
        the variable held before (a whole node starting at loc) is forgotten first."""
        sh = self.sh
        old = sh.get(loc, 1)
        if old is not None and old[0] is not None and old[0] >= 0 and not old[0] & 15:
            w_old = self.width[old[0] >> 4]
            if w_old > 4 and sh.node_at(loc, w_old) == old[0] >> 4:
                sh.clear(loc, w_old)
        raw = None
        for n in (10, 8, 4):
            raw = self.fast.mem(loc, n)
            if raw is not None:
                break
        if raw is None:
            raise ValueError(f"SET_INDEX points to unmapped memory {loc:#x}")
        w = self.width[node]
        if w and node not in self.sizeless:
            sh.set_node(loc, w, node)  # a computed value put on a variable: its own width
            return
        self.sizeless.setdefault(node, []).append((loc, bytes(raw)))
        if w and w <= len(raw) and raw[:w] == self._bits_of(node, w):
            sh.set_node(loc, w, node)
            return
        b = node << 4
        sh.put(loc, (b, b + 1, b + 2, b + 3))

    def _bits_of(self, node: int, w: int) -> bytes:
        if w == 10:
            return self.bits80.get(node, 0).to_bytes(10, "little")
        return struct.pack("<f" if w == 4 else "<d", self.value[node])

    def sizeless_start(self, loc: int) -> int:
        """The size-less-marked node whose first byte sits at loc, or 0."""
        ents = self.sh.get(loc, 4)
        if ents is None:
            return 0
        e0 = ents[0]
        if e0 is None or e0 < 0 or e0 & 15 or e0 >> 4 not in self.sizeless:
            return 0
        return e0 >> 4 if ents[1:4] == [e0 + 1, e0 + 2, e0 + 3] else 0

    def sizeless_read(self, loc: int, w: int, bits: bytes) -> int:
        """A floating-point read of w bytes (their pattern: bits) at loc that starts with a
        size-less mark's entries, the other bytes passive (or the whole node, after an
        earlier read decided it): decide the node's width and value from this read (first
        time), or check the read against them (later). The node, or 0 (not such a read, or
        the bytes changed since the mark: the caller warns)."""
        node = self.sizeless_start(loc)
        if not node or len(bits) != w:
            return 0
        ents = self.sh.get(loc, w)
        b = node << 4
        if any(e is not None and e != b + k for k, e in enumerate(ents[4:], 4)):
            return 0
        cur = self.width[node]
        if cur == 0:
            marks = self.sizeless[node]
            if not any(s[:w] == bits for _, s in marks):
                return 0
            self.width[node] = w
            self.value[node] = value_of(bits, 0, w)
            if w == 10:
                self.bits80[node] = int.from_bytes(bits, "little")
            for mloc, s in marks:  # the marked variables themselves: whole from now on
                if mloc != loc and s[:w] == bits and self.sizeless_start(mloc) == node and \
                        self.fast.mem(mloc, w) == bits and \
                        all(e is None for e in (self.sh.get(mloc, w) or [None] * w)[4:]):
                    self.sh.set_node(mloc, w, node)
        elif cur != w or bits != self._bits_of(node, w):
            return 0
        self.sh.set_node(loc, w, node)
        return node

    # -- hook --------------------------------------------------------------------------
    def ensure_hooked(self) -> None:
        """Install the code hook over all code except the math library's (see mathcalls)."""
        if not self.hooked:
            self.hooked = True
            self.update_fp_mode()
            hot = self.hot

            def add(begin: int, end: int) -> None:
                if hot is not None:
                    h = self.m.add_c_code_hook(hot.hook_address, hot, begin, end)
                else:
                    h = self.m.add_raw_code_hook(self._step, begin, end)
                self.hook_handles.append(h)

            lo = 0
            for start, end in self.math.untraced_regions():
                if start > lo:
                    add(lo, start - 1)
                lo = max(lo, end)
            add(lo, 0xFFFF_FFFF_FFFF_FFFF)

    def detach(self) -> None:
        """Remove this recorder's hooks and callbacks from its machine, so a machine that
        outlives one recording (a loaded library called many times) can take a new one."""
        for h in self.hook_handles:
            self.fast.hook_del(h)
        self.hook_handles.clear()
        if self._overwritten in self.m.mem.on_overwrite:
            self.m.mem.on_overwrite.remove(self._overwritten)
        if self.m.kernel.on_output == self._output:
            self.m.kernel.on_output = None
            self.m.kernel.on_copy = None
        self.m.uc.ctl_flush_tb()

    def update_fp_mode(self) -> None:
        """How SSE results can be known: 0 = round-to-nearest (computed in Python, exactly
        as the CPU does), 1 = the same with flush-to-zero/denormals-are-zero, 2 = another
        rounding mode (read back from the register after the instruction)."""
        mxcsr = self.fast.reg(fastuc.UC_MXCSR)
        self.fp_mode = 2 if mxcsr & 0x6000 else (1 if mxcsr & 0x8040 else 0)

    def _step(self, _uc, addr: int, size: int, _ud) -> None:
        """The pure-Python code hook (without the compiled one): called from C before
        every instruction."""
        if not self._disabled and self._py_step(addr, size):
            self._prev = addr

    def _py_step(self, addr: int, size: int) -> bool:
        """Record one instruction: finish a suppressed math call returning here, run the
        previous instruction's pending step, then this one's handler. The compiled hook calls
        it for instructions it does not take itself. False: skipped (inside a math call).
        Never lets an exception escape (ctypes would swallow it): the run stops instead."""
        try:
            s = self._suppress
            if s is not None:
                if addr != s.ret or not self.math.returned(s):
                    return False
                self.suppress = None
                self.math.finish(s)
            p = self._pending
            if p is not None:
                self.pending = None
                p()
            h = self.handlers.get(addr)
            if h is None:
                h = self._build(addr, size)
            if h:
                h()
        except BaseException as e:  # noqa: BLE001
            self.m.fail(e)
        return True

    def flush(self) -> None:
        p = self._pending
        if p is not None:
            self.pending = None
            p()

    def _build(self, addr: int, size: int):
        code = self.fast.mem(addr, size) or b""
        insn = self.dec.decode(code, addr)
        if insn is None or self._in_request(addr) or _is_vex(code):
            # (VEX: executed and differentiated by machine.vex and isa/avx.py)
            h: Callable[[], None] | bool = False
        elif (spec := self.math.spec_at(addr)) is not None:
            h = self.math.entry_handler(addr, *spec)
        else:
            builder = self.table.get(insn.mnemonic)
            h = builder(self, insn) if builder is not None else self.generic(self, insn)
            if h is None:
                h = False
            if insn.mnemonic in _MXCSR_WRITERS:
                h = self._then_update_fp_mode(h)
        self.handlers[addr] = h
        if self.hot is not None:
            desc = ("nop",) if h is False else getattr(h, "desc", None)
            if desc is not None:
                try:
                    self.hot.set_desc(addr, desc)
                except ValueError:
                    pass  # a shape the C path does not take (e.g. wider than 32 bytes)
        return h

    def _then_update_fp_mode(self, h):
        """After an instruction that may load MXCSR (fesetround...), re-read the mode."""
        def wrapped():
            if h:
                h()
            before = self.pending

            def post():
                if before is not None:
                    before()
                self.update_fp_mode()
            self.pending = post
        return wrapped

    def _in_request(self, addr: int) -> bool:
        """Inside a client-request marker: its rotations of RDI add up to 128 (a no-op)."""
        return any(0 <= addr - s < 19 for s in self.m.request_sites)

    # -- helpers for the isa tables ----------------------------------------------------
    def ea(self, mem: MemRef, insn: Insn) -> Callable[[], int]:
        """A closure computing the operand's effective address from live registers; its
        `spec` attribute describes the same address to the compiled hook."""
        disp, scale, b, i = mem.disp, mem.scale, mem.base, mem.index
        mask = 0xFFFF_FFFF_FFFF_FFFF
        fn = self._ea(mem, insn)
        if b == -2:
            fn.spec = ("c", (insn.address + insn.size + disp) & mask)
        else:
            fn.spec = ("m", b, i, scale, disp & mask, mem.seg)
        return fn

    def _ea(self, mem: MemRef, insn: Insn) -> Callable[[], int]:
        gpr = self.fast.gpr
        disp, scale, b, i = mem.disp, mem.scale, mem.base, mem.index
        mask = 0xFFFF_FFFF_FFFF_FFFF
        if b == -2:
            const = (insn.address + insn.size + disp) & mask
            return lambda: const
        seg = None
        if mem.seg == 1:
            seg = fastuc.UC_FS_BASE
        elif mem.seg == 2:
            seg = fastuc.X.UC_X86_REG_GS_BASE
        reg = self.fast.reg
        if seg is not None:
            if b >= 0 and i >= 0:
                return lambda: (reg(seg) + gpr(b) + gpr(i) * scale + disp) & mask
            if b >= 0:
                return lambda: (reg(seg) + gpr(b) + disp) & mask
            if i >= 0:
                return lambda: (reg(seg) + gpr(i) * scale + disp) & mask
            return lambda: (reg(seg) + disp) & mask
        if b >= 0 and i >= 0:
            return lambda: (gpr(b) + gpr(i) * scale + disp) & mask
        if b >= 0:
            if disp == 0:
                return lambda: gpr(b)
            return lambda: (gpr(b) + disp) & mask
        if i >= 0:
            return lambda: (gpr(i) * scale + disp) & mask
        return lambda: disp & mask

    def warn(self, addr: int, kind: str, what: str) -> None:
        key = (addr, kind)
        self.warn_counts[key] += 1
        if key in self.warn_text:
            return
        text = (f"{self.m.describe(addr)}: {self.m.disasm(addr)}: {what}")
        self.warn_text[key] = text
        if self.strict:
            raise DerivativeError(f"--strict: {text}")

    def in_passive_routine(self, addr: int) -> bool:
        sym = self.m.symbols.symbol(addr)
        return sym is not None and sym[0].startswith(PASSIVE_ROUTINES)

    @property
    def dropped_places(self) -> int:
        """How many instructions dropped a derivative (warning kinds in DROPPING): when not
        0, the Jacobian is incomplete, and the report says so."""
        return len({addr for addr, kind in self.warn_counts if kind in DROPPING})

    @property
    def warnings(self) -> list[str]:
        out = []
        for key, text in self.warn_text.items():
            n = self.warn_counts[key]
            out.append(text + (f" ({n} times)" if n > 1 else ""))
        return out


# Warning kinds whose instruction lost a derivative (not: "rounding", a step function by
# design; "undefined", a nan in the Jacobian; unknown client requests).
DROPPING = frozenset({"stale", "partial", "bittrick", "x87", "libm", "io"})

_MXCSR_WRITERS = frozenset({"ldmxcsr", "fxrstor", "fxrstor64", "xrstor", "xrstor64", "xrstors",
                            "xrstors64"})

_copysign = math.copysign


def _is_vex(code: bytes) -> bool:
    from revad_emu.cpu.decode import vex_kind

    return vex_kind(code) == "VEX"


def same(v: float, tv: float) -> bool:
    """Bitwise-equal as far as a value tells: equal, same sign of zero, or both NaN."""
    if v == tv:
        return bool(v) or _copysign(1.0, v) == _copysign(1.0, tv)
    return v != v and tv != tv

