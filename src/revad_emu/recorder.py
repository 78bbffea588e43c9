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

from revad_emu import fastuc
from revad_emu.decode import Decoder, Insn, MemRef
from revad_emu.errors import DerivativeError
from revad_emu.shadow import Shadow
from revad_emu.tape import TapeBuilder

_unpack_d = struct.Struct("<d").unpack_from
_unpack_f = struct.Struct("<f").unpack_from

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
        self.sh = Shadow()
        self.tb = TapeBuilder()
        self.dec = Decoder()
        self.strict = strict
        self.handlers: dict[int, Callable[[], None] | bool] = {}
        self.pending: Callable[[], None] | None = None
        self.width = array("B", [0])    # 4, 8 or 10 bytes
        self.bits80: dict[int, int] = {}  # exact 80-bit patterns of x87 values
        self.value = self.tb.value      # forward values; also used to validate operands
        self.inputs: list[tuple[str, int, float]] = []
        self.outputs: list[tuple[str, int, float]] = []
        self.warn_counts: Counter = Counter()
        self.warn_text: dict[tuple[int, str], str] = {}
        self.hooked = False
        self.prev = -1
        self.disabled = False
        self.fp_mode = 0
        self.suppress = None  # a math-library call being run unrecorded (mathcalls.Call)
        from revad_emu.mathcalls import MathCalls

        self.math = MathCalls(self)
        tb = self.tb  # the tape's columns, appended to directly on the hot path
        self._depth, self._depth_append = tb.depth, tb.depth.append
        self._p1, self._p2, self._d1, self._d2 = tb.p1.append, tb.p2.append, tb.d1.append, \
            tb.d2.append
        self._val, self._addr, self._op = tb.value.append, tb.addr.append, tb.op.append
        self._width_append = self.width.append
        from revad_emu import isa

        self.table = isa.TABLE
        self.generic = isa.generic_handler
        # Memory written by the kernel (read(), fstat...) or unmapped loses its derivatives.
        mem = machine.mem
        orig_write, orig_unmap = mem.write, mem.unmap

        def write(addr, data):
            orig_write(addr, data)
            if self.sh.slots:
                self.sh.clear_range(addr, addr + len(data))

        def unmap(addr, size):
            orig_unmap(addr, size)
            if self.sh.slots:
                self.sh.clear_range(addr, addr + size)

        mem.write, mem.unmap = write, unmap
        machine.kernel.on_copy = lambda src, dst, n: self.sh.copy(src, dst, n)

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
        if node > 0 and self.width[node] == width and same(v, self.value[node]):
            return node
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

    # -- hook --------------------------------------------------------------------------
    def ensure_hooked(self) -> None:
        """Install the code hook over all code except the math library's (see mathcalls)."""
        if not self.hooked:
            self.hooked = True
            self.update_fp_mode()
            lo = 0
            for start, end in self.math.untraced_regions():
                if start > lo:
                    self.m.add_raw_code_hook(self._step, lo, start - 1)
                lo = max(lo, end)
            self.m.add_raw_code_hook(self._step, lo, 0xFFFF_FFFF_FFFF_FFFF)

    def update_fp_mode(self) -> None:
        """How SSE results can be known: 0 = round-to-nearest (computed in Python, exactly
        as the CPU does), 1 = the same with flush-to-zero/denormals-are-zero, 2 = another
        rounding mode (read back from the register after the instruction)."""
        mxcsr = self.fast.reg(fastuc.UC_MXCSR)
        self.fp_mode = 2 if mxcsr & 0x6000 else (1 if mxcsr & 0x8040 else 0)

    def _step(self, _uc, addr: int, size: int, _ud) -> None:
        """Called from C before every instruction: never let an exception escape."""
        try:
            if self.disabled:
                return
            s = self.suppress
            if s is not None:
                if addr != s.ret or not self.math.returned(s):
                    return
                self.suppress = None
                self.math.finish(s)
            p = self.pending
            if p is not None:
                self.pending = None
                p()
            h = self.handlers.get(addr)
            if h is None:
                h = self._build(addr, size)
            if h:
                h()
            self.prev = addr
        except BaseException as e:  # noqa: BLE001
            self.m.fail(e)

    def flush(self) -> None:
        p = self.pending
        if p is not None:
            self.pending = None
            p()

    def _build(self, addr: int, size: int):
        code = self.fast.mem(addr, size) or b""
        insn = self.dec.decode(code, addr)
        if insn is None or self._in_request(addr):
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
        """A closure computing the operand's effective address from live registers."""
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
    def warnings(self) -> list[str]:
        out = []
        for key, text in self.warn_text.items():
            n = self.warn_counts[key]
            out.append(text + (f" ({n} times)" if n > 1 else ""))
        return out


_MXCSR_WRITERS = frozenset({"ldmxcsr", "fxrstor", "fxrstor64", "xrstor", "xrstor64", "xrstors",
                            "xrstors64"})

_copysign = math.copysign


def same(v: float, tv: float) -> bool:
    """Bitwise-equal as far as a value tells: equal, same sign of zero, or both NaN."""
    if v == tv:
        return bool(v) or _copysign(1.0, v) == _copysign(1.0, tv)
    return v != v and tv != tv


def value_of(raw: bytes, off: int, width: int) -> float:
    if width == 8:
        return _unpack_d(raw, off)[0]
    if width == 4:
        return _unpack_f(raw, off)[0]
    return x87_to_float(raw[off:off + 10])


def x87_to_float(b: bytes) -> float:
    """80-bit extended → nearest double (derivatives and tape values are binary64)."""
    mant = int.from_bytes(b[:8], "little")
    se = int.from_bytes(b[8:10], "little")
    sign = -1.0 if se & 0x8000 else 1.0
    exp = se & 0x7FFF
    if exp == 0x7FFF:
        return sign * (float("inf") if mant << 1 & (2**64 - 1) == 0 else float("nan"))
    if exp == 0 and mant == 0:
        return sign * 0.0
    try:
        return sign * math.ldexp(mant, exp - 16383 - 63)
    except OverflowError:
        return sign * float("inf")

