"""Execute VEX-encoded instructions (AVX, AVX2, FMA, BMI1/2) in Python instead of Unicorn.

Unicorn 2.1.4 computes some 128-bit VEX instructions wrongly without an error and rejects
FMA and every 256-bit instruction (DESIGN §2), so no VEX instruction may ever reach it. The
machine's block vetting finds each VEX instruction before its translation block first runs
and gives it a one-address code hook (`Machine._vex_hit`), which calls `VexUnit.execute`:
read the operands, compute the result here, write it back, set RIP past the instruction.

The upper halves of the ymm registers live here (`hi`, 16 × 16 bytes): Unicorn's xmm
registers hold the lower halves. Legacy SSE instructions (run by Unicorn) leave the upper
halves alone, as on the CPU; VEX.128 instructions zero them.

Semantics are tables (`TABLE`, one entry per mnemonic, built at the bottom): an entry names
its *flow* — how values move, which the AD layer (`isa/avx.py`) follows without knowing the
instruction — and its function. Flows:

* ``gather``: every result byte is a byte of an operand or zero; the function returns the
  byte map (operand * 64 + offset, -1 for zero). Moves, shuffles, permutes, broadcasts,
  inserts/extracts, blends, unpacks.
* ``lanes``: floating-point arithmetic lane by lane, with the op name that keys both the
  value functions here and the derivative rules (`rules.BINARY`/`rules.UNARY`, shared with
  SSE).
* ``fma``: fused multiply-add family, one rounding (libm's correctly rounded fma/fmaf).
* ``cvt``: float <-> double lanes (derivative 1).
* ``logic``: bitwise and/andn/or/xor (sign-mask idioms are recognised by the AD layer).
* ``combo``/``dot``: horizontal add/sub, addsub; dot products (vdppd/vdpps).
* ``vgather``: AVX2 gathers (vector-indexed loads under a mask).
* ``passive``: results that carry no derivative (integer lanes, comparisons, conversions to
  integers, flags, BMI1/BMI2, vstmxcsr/vldmxcsr, xgetbv).
* ``zeroupper``: vzeroupper/vzeroall.

Values are bit-identical to the CPU: x86's NaN rules, FTZ/DAZ as MXCSR says, the directed
rounding modes computed exactly (rounding.py). One knowing exception: vrcpps/vrsqrtps return
the correctly rounded 1/x and 1/sqrt(x) where the CPU returns an undocumented 12-bit
approximation (as Unicorn's own SSE rcpps does). Instructions without an entry stop the run
with their address and disassembly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import struct
from dataclasses import dataclass

import numpy as np

from revad_emu import fastuc, rounding
from revad_emu.decode import Decoder, Insn
from revad_emu.errors import UnsupportedInstruction

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_fma = _libm.fma
_fma.restype = ctypes.c_double
_fma.argtypes = (ctypes.c_double,) * 3
_fmaf = _libm.fmaf
_fmaf.restype = ctypes.c_float
_fmaf.argtypes = (ctypes.c_float,) * 3

F = {8: np.float64, 4: np.float32}
I = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
U = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_MASK64 = (1 << 64) - 1

# EFLAGS bits
CF, PF, AF, ZF, SF, OF = 1, 4, 0x10, 0x40, 0x80, 0x800


class GuestFault(Exception):
    """A VEX memory operand touched unmapped memory (the program's own SIGSEGV)."""

    def __init__(self, addr: int, write: bool):
        super().__init__(addr, write)
        self.addr = addr
        self.write = write


@dataclass(frozen=True)
class Entry:
    flow: str            # gather, lanes, fma, logic, passive, zeroupper
    fn: object           # the semantics (signature depends on the flow)
    w: int = 8           # lane width (bytes) of lanes/fma/logic flows
    op: str = ""         # lanes: the rule name (add, mul, sqrt, cvt...); logic: and/andn/or/xor
    scalar: bool = False  # lanes/fma: only lane 0 is computed, the rest comes from operand 1
    reads_dst: bool = False  # the destination's old value is an input (FMA, merges)


@dataclass(slots=True)
class Exec:
    """One execution of a VEX instruction, as handed to the AD layer (after execution)."""

    insn: Insn
    entry: Entry
    vals: list          # operand values before execution (bytes/int/None), by operand position
    locs: list          # operand locations (shadow addresses) or None (immediates)
    out: bytes | None   # the bytes written at locs[0] (None: no data destination)
    gmap: list | None   # gather flow: byte map of out
    zero_to: int        # bytes at locs[0] cleared beyond len(out) (VEX.128: 32; GPR32: 8)
    extra: object = None  # flow-specific (fma: the operand order)


# ------------------------------------------------------------------------------ helpers

def _qnan(v: np.ndarray, w: int) -> np.ndarray:
    """Quiet NaN lanes: set the top fraction bit, as the CPU does when it propagates one."""
    u = v.view(U[w]).copy()
    u |= U[w](1 << (51 if w == 8 else 22))
    return u.view(F[w])


def _propagate(r: np.ndarray, a: np.ndarray, b: np.ndarray | None, w: int) -> np.ndarray:
    """x86 NaN rule for two-source arithmetic: a NaN in the first source wins (quieted), then
    one in the second; otherwise the computed result (whose own NaNs are the default NaN)."""
    na = np.isnan(a)
    if b is not None:
        nb = np.isnan(b)
        if nb.any():
            r = np.where(nb, _qnan(b, w), r)
    if na.any():
        r = np.where(na, _qnan(a, w), r)
    return r


def _flush_arr(x: np.ndarray, w: int) -> np.ndarray:
    """Subnormal lanes become zeros of the same sign."""
    sub = (x != 0) & (np.abs(x) < np.finfo(F[w]).tiny)
    if not sub.any():
        return x
    return np.where(sub, np.copysign(F[w](0), x), x).astype(F[w])


def _f(b: bytes, w: int) -> np.ndarray:
    return np.frombuffer(b, dtype=F[w])


def _binop(op: str, a: np.ndarray, b: np.ndarray, w: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "add":
            r = a + b
        elif op == "sub":
            r = a - b
        elif op == "mul":
            r = a * b
        elif op == "div":
            r = a / b
        elif op == "min":  # a < b ? a : b (b when unordered or both zero)
            return np.where(a < b, a, b)
        elif op == "max":
            return np.where(a > b, a, b)
        else:
            raise KeyError(op)
    return _propagate(r, a, b, w)


def _unop(op: str, a: np.ndarray, w: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "sqrt":
            return _propagate(np.sqrt(a), a, None, w)
        if op == "rcp":
            return _propagate((1.0 / a.astype(np.float64)).astype(F[w]), a, None, w)
        if op == "rsqrt":
            return _propagate((1.0 / np.sqrt(a.astype(np.float64))).astype(F[w]), a, None, w)
    raise KeyError(op)


# ------------------------------------------------------------------------ the unit

class VexUnit:
    """Executes VEX instructions for one machine; holds the upper ymm halves."""

    def __init__(self, machine) -> None:
        self.m = machine
        self.fast: fastuc.FastUc = machine.fast
        self.hi = bytearray(256)
        self.dec = Decoder()
        self.cache: dict[int, tuple[Insn, Entry]] = {}
        self.plans: dict[int, tuple] = {}
        self.gruns: dict[int, tuple] = {}
        self.listener = None  # the AD layer: listener(Exec) after each execution
        self.count = 0
        self.daz = self.ftz = False
        self.rmode = 0  # MXCSR.RC: 0 nearest, 1 down, 2 up, 3 toward zero (rounding.py)
        lib = self.fast._lib
        self._wr = lib.uc_reg_write
        self._memw = lib.uc_mem_write
        self._buf16 = (ctypes.c_ubyte * 16)()
        self._u64 = ctypes.c_uint64()

    # -- register and memory access ----------------------------------------------------
    def vec(self, i: int, n: int) -> bytes:
        lo = self.fast.xmm_bytes(i)
        return lo[:n] if n <= 16 else lo + bytes(self.hi[16 * i:16 * i + 16])

    def set_vec(self, i: int, data: bytes, zero_to: int = 32) -> None:
        """Write data to the low bytes of vector register i and zero it up to zero_to."""
        if len(data) < 16:
            data = data + self.fast.xmm_bytes(i)[len(data):] if zero_to < 16 else \
                data + bytes(16 - len(data))
        ctypes.memmove(self._buf16, data[:16], 16)
        self._wr(self.fast.h, fastuc.UC_XMM[i], self._buf16)
        if len(data) > 16:
            self.hi[16 * i:16 * i + 16] = data[16:32]
        elif zero_to > 16:
            self.hi[16 * i:16 * i + 16] = bytes(16)

    def read_mem(self, addr: int, n: int) -> bytes:
        b = self.fast.mem(addr, n)
        if b is None:
            raise GuestFault(addr, False)
        return b

    def write_mem(self, addr: int, data: bytes) -> None:
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        if self._memw(self.fast.h, ctypes.c_uint64(addr), buf, ctypes.c_uint64(len(data))):
            raise GuestFault(addr, True)

    def ea(self, op) -> int:
        m = op.mem
        gpr = self.fast.gpr
        if m.base == -2:
            return 0  # replaced by the caller (needs the instruction's end)
        a = m.disp
        if m.base >= 0:
            a += gpr(m.base)
        elif m.base == -3:
            raise UnsupportedInstruction("unsupported base register in a VEX memory operand")
        if m.index >= 0:
            a += gpr(m.index) * m.scale
        elif m.index == -3:
            a += self._vsib_unsupported()
        if m.seg == 1:
            a += self.fast.reg(fastuc.UC_FS_BASE)
        elif m.seg == 2:
            a += self.fast.reg(fastuc.X.UC_X86_REG_GS_BASE)
        return a & _MASK64

    def _vsib_unsupported(self) -> int:
        raise UnsupportedInstruction("vector-indexed (gather) addressing is not supported")

    def _masked_reader(self, insn: Insn, ea, n: int):
        """A masked load reads only the selected elements (the others may be unmapped: the
        CPU does not fault on them); unselected ones read as zero."""
        w = 8 if insn.mnemonic.endswith(("pd", "q")) else 4
        mi = insn.ops[1].reg.index

        def rm():
            a = ea()
            mask = self.vec(mi, n)
            out = bytearray(n)
            for j in range(n // w):
                if mask[j * w + w - 1] & 0x80:
                    out[j * w:(j + 1) * w] = self.read_mem(a + j * w, w)
            return bytes(out), a
        return rm

    def _vsib(self, insn: Insn) -> tuple:
        """(base GPR or -1, vector index register, its size, scale, disp, segment) of a
        gather's memory operand (decode.MemRef keeps only GPR indices)."""
        from capstone import x86_const as CX

        from revad_emu.decode import GPR_OF_CS, REGS

        cs = self.dec.cs
        ins = next(cs.disasm(insn.bytes_, insn.address, 1))
        m = ins.operands[1].mem
        vreg = REGS[m.index]
        base = -1 if m.base == 0 else GPR_OF_CS[m.base]
        seg = 1 if m.segment == CX.X86_REG_FS else 2 if m.segment == CX.X86_REG_GS else 0
        return base, vreg.index, vreg.size, m.scale, m.disp, seg

    # -- execution ---------------------------------------------------------------------
    def decode(self, addr: int, size: int) -> tuple[Insn, Entry | None]:
        got = self.cache.get(addr)
        if got is not None:
            return got
        # The hook's size is wrong for instructions Unicorn cannot decode (it cuts them
        # short): decode from 15 bytes and use capstone's length.
        code = self.fast.mem(addr, 15) or self.fast.mem(addr, size) or b""
        insn = self.dec.decode(code, addr)
        if insn is None:
            raise UnsupportedInstruction(f"undecodable VEX bytes {code.hex()} at "
                                         f"{self.m.describe(addr)}")
        entry = entry_for(insn.mnemonic)
        got = (insn, entry)
        self.cache[addr] = got
        return got

    def check_mode(self, insn: Insn, entry: Entry) -> None:
        """Read MXCSR: FTZ/DAZ (-ffast-math sets both) are applied here; a rounding mode
        other than to-nearest stops the run (numpy rounds to nearest only)."""
        mx = self.fast.reg(fastuc.UC_MXCSR)
        self.daz = bool(mx & 0x40)
        self.ftz = bool(mx & 0x8000)
        self.rmode = (mx >> 13) & 3
        if self.rmode and entry.flow in ("combo", "dot"):
            raise UnsupportedInstruction(
                f"{insn.text} at {self.m.describe(insn.address)}: horizontal VEX arithmetic "
                f"under MXCSR {mx:#x} (a rounding mode other than to-nearest) is not "
                "supported")

    def in_(self, x: np.ndarray, w: int) -> np.ndarray:
        """An input lane array as the CPU sees it (DAZ: subnormals read as zero)."""
        return _flush_arr(x, w) if self.daz else x

    def res(self, x: np.ndarray, w: int) -> np.ndarray:
        """A result lane array as the CPU writes it (FTZ: subnormal results become zero)."""
        return _flush_arr(x, w) if self.ftz else x

    def execute(self, addr: int, size: int) -> None:
        plan = self.plans.get(addr)
        if plan is None:
            plan = self._plan(addr, size)
        insn, entry, readers, flow, fp = plan
        if fp:
            self.check_mode(insn, entry)
        self.count += 1
        vals = []
        locs = []
        for r in readers:
            v, loc = r()
            vals.append(v)
            locs.append(loc)
        ex = Exec(insn, entry, vals, locs, None, None, 0)
        flow(self, ex)
        if ex.out is not None:
            self._write_dst(insn, ex)
        self.fast.set_reg(fastuc.UC_RIP, addr + insn.size)
        if self.listener is not None:
            self.listener(ex)

    def _plan(self, addr: int, size: int) -> tuple:
        """Decode once per address: the entry, one reader closure per operand (value before
        execution, shadow location), the flow function, whether MXCSR matters."""
        insn, entry = self.decode(addr, size)
        if entry is None:
            raise UnsupportedInstruction(
                f"VEX instruction not implemented at {self.m.describe(addr)}: {insn.text}")
        readers = [self._reader(insn, entry, k, op) for k, op in enumerate(insn.ops)]
        fp = entry.flow in ("lanes", "fma", "cvt", "combo", "dot") or \
            insn.mnemonic.startswith(("vcvt", "vround", "vcmp", "vcomi", "vucomi"))
        plan = (insn, entry, tuple(readers), FLOWS[entry.flow], fp)
        self.plans[addr] = plan
        return plan

    def _reader(self, insn: Insn, entry: Entry, k: int, op):
        from revad_emu.shadow import gpr_loc, xmm_loc

        if op.kind == "imm":
            v = op.imm
            return lambda: (v, None)
        if op.kind == "mem" and entry.flow == "vgather":
            vsib = self._vsib(insn)
            return lambda: (vsib, None)
        if op.kind == "mem":
            n = op.size
            if op.mem.base == -2:
                a = (insn.address + insn.size + op.mem.disp) & _MASK64
                ea = lambda: a  # noqa: E731
            else:
                ea = lambda: self.ea(op)  # noqa: E731
            if (k == 0 and not entry.reads_dst and len(insn.ops) > 1) or not n:
                return lambda: (None, ea())
            read = self.read_mem
            if k == 2 and insn.mnemonic in ("vmaskmovpd", "vmaskmovps", "vpmaskmovd",
                                            "vpmaskmovq"):
                return self._masked_reader(insn, ea, n)

            def rm():
                a = ea()
                return read(a, n), a
            return rm
        r = op.reg
        if r.kind in ("xmm", "ymm"):
            i, n, loc = r.index, op.size, xmm_loc(r.index)
            if n == 16:
                xb = self.fast.xmm_bytes
                return lambda: (xb(i), loc)
            vec = self.vec
            return lambda: (vec(i, n), loc)
        if r.kind == "gpr":
            i, off, n = r.index, r.offset, op.size
            loc = gpr_loc(i) + off
            gpr = self.fast.gpr
            mask = (1 << (8 * n)) - 1
            return lambda: (((gpr(i) >> (8 * off)) & mask).to_bytes(n, "little"), loc)
        raise UnsupportedInstruction(
            f"VEX operand {r} not supported at {self.m.describe(insn.address)}: {insn.text}")

    def _write_dst(self, insn: Insn, ex: Exec) -> None:
        d = insn.ops[0]
        out = ex.out
        if d.kind == "mem":
            if ex.gmap is not None and -2 in ex.gmap:  # masked store: only selected bytes
                k = 0
                n = len(out)
                while k < n:
                    if ex.gmap[k] == -2:
                        k += 1
                        continue
                    j = k
                    while j < n and ex.gmap[j] != -2:
                        j += 1
                    self.write_mem(ex.locs[0] + k, out[k:j])
                    k = j
            else:
                self.write_mem(ex.locs[0], out)
            ex.zero_to = len(out)
            return
        r = d.reg
        if r.kind in ("xmm", "ymm"):
            self.set_vec(r.index, out, 32)
            ex.zero_to = 32
        elif r.kind == "gpr":
            v = int.from_bytes(out, "little")
            if len(out) >= 4:  # 32-bit writes zero-extend
                self.fast.set_gpr(r.index, v)
                ex.zero_to = 8
            else:
                old = self.fast.gpr(r.index)
                sh = 8 * r.offset
                m = ((1 << (8 * len(out))) - 1) << sh
                self.fast.set_gpr(r.index, (old & ~m) | (v << sh))
                ex.zero_to = len(out)
        else:
            raise UnsupportedInstruction(f"VEX destination {r} not supported: {insn.text}")

    def set_flags(self, bits: int, mask: int = CF | PF | AF | ZF | SF | OF) -> None:
        fl = self.fast.reg(fastuc.UC_EFLAGS)
        self.fast.set_reg(fastuc.UC_EFLAGS, (fl & ~mask) | (bits & mask))


# ------------------------------------------------------------------------------ flows

def _flow_gather(unit: VexUnit, ex: Exec) -> None:
    """Result bytes by the byte map. Maps that depend only on the instruction (not on a
    run-time mask or index) are turned once per address into slices."""
    addr = ex.insn.address
    runs = unit.gruns.get(addr)
    if runs is not None:
        gmap, pieces = runs
        vals = ex.vals
        ex.gmap = gmap
        ex.extra = pieces
        ex.out = b"".join(vals[op][a:b] if op >= 0 else bytes(b - a) for op, a, b in pieces)
        return
    gmap = ex.entry.fn(ex.insn, ex.vals)
    cat = b"".join((v if isinstance(v, bytes) else b"").ljust(64, b"\0") for v in ex.vals)
    ex.gmap = gmap
    ex.out = bytes(cat[g] if g >= 0 else 0 for g in gmap)
    if ex.entry.fn not in _DYNAMIC_MAPS and -2 not in gmap:
        unit.gruns[addr] = (gmap, _runs(gmap))
        ex.extra = unit.gruns[addr][1]


def _runs(gmap: list[int]) -> list[tuple[int, int, int]]:
    """(operand, start, end) slices (operand -1: zeros) that concatenate to the map."""
    out: list[list[int]] = []
    for g in gmap:
        op, off = (g >> 6, g & 63) if g >= 0 else (-1, 0)
        if out and out[-1][0] == op and (op < 0 or out[-1][2] == off):
            out[-1][2] += 1
        else:
            out.append([op, off, off + 1])
    return [(op, a, b) for op, a, b in out]


def _flow_lanes(unit: VexUnit, ex: Exec) -> None:
    _flow_lanes_nearest(unit, ex)
    op = ex.entry.op
    if unit.rmode and op not in ("min", "max", "rcp", "rsqrt"):
        w, vals = ex.entry.w, ex.vals
        ib = len(vals) - 1
        n = 1 if ex.entry.scalar else len(ex.out) // w

        def lane(j: int) -> float | None:
            b = _directed_in(unit, vals[ib], j, w)
            if op == "sqrt":
                return rounding.sqrt(b, unit.rmode, w)
            return rounding.binop(op, _directed_in(unit, vals[1], j, w), b, unit.rmode, w)
        ex.out = _patch(unit, ex.out, w, n, lane)


def _directed_in(unit: VexUnit, raw: bytes, j: int, w: int) -> float:
    x = _FMT[w][1].unpack_from(raw, j * w)[0]
    return _flush1(x, w) if unit.daz else x


def _patch(unit: VexUnit, out: bytes, w: int, n: int, lane) -> bytes:
    """Replace lanes 0..n-1 of out by lane(j) where it gives a value (directed rounding)."""
    buf = bytearray(out)
    fmt = _FMT[w][1]
    for j in range(n):
        r = lane(j)
        if r is not None:
            fmt.pack_into(buf, j * w, _flush1(r, w) if unit.ftz else r)
    return bytes(buf)


def _flow_lanes_nearest(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w, op = e.w, e.op
    fin, fres = unit.in_, unit.res
    if e.scalar:  # op dst, src1, src2: lane 0 from src1 op src2, the rest of src1
        s1, s2 = vals[1], vals[2] if len(vals) > 2 else vals[1]
        r = _scalar_fast(unit, op, s1, s2, w)
        if r is not None:
            ex.out = r + s1[w:16]
            return
        a = None if op in _UNARY_LANES else fin(_f(s1[:w], w), w)
        r = fres(e.fn(op, a, fin(_f(s2[:w], w), w), w), w).tobytes()
        ex.out = r + s1[len(r):16]
        return
    src = vals[-1]
    n = len(src) // w
    r = _scalar_fast(unit, op, src if op in _UNARY_LANES else vals[1], src, w, n)
    if r is not None:
        ex.out = r
        return
    if op in _UNARY_LANES:
        ex.out = fres(e.fn(op, None, fin(_f(src, w), w), w), w).tobytes()
        return
    a, b = fin(_f(vals[1], w), w), fin(_f(vals[2], w), w)
    ex.out = fres(e.fn(op, a, b, w), w).tobytes()


_UNARY_LANES = {"sqrt", "rcp", "rsqrt"}
_PY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "min": lambda a, b: a if a < b else b,
       "max": lambda a, b: a if a > b else b, "sqrt": lambda a, b: math.sqrt(b),
       # rcpps/rsqrtps: the CPU returns a 12-bit approximation whose exact table Intel does
       # not publish; like Unicorn's own rcpps (SSE), the correctly rounded value is used.
       "rcp": lambda a, b: 1.0 / b, "rsqrt": lambda a, b: 1.0 / math.sqrt(b)}


def _scalar_fast(unit: VexUnit, op: str, s1: bytes, s2: bytes, w: int,
                 n: int = 1) -> bytes | None:
    """n lanes with Python floats (IEEE binary64; float lanes computed in double and
    rounded once to float, which is exact for + - * / sqrt). None — the numpy path
    decides — for NaN operands or results and raised exceptions (x/0, sqrt(-x)), whose
    bit patterns follow x86 rules (first NaN operand quieted, the default NaN)."""
    fmt = _FMT[w][n]
    xs = fmt.unpack_from(s1)
    ys = fmt.unpack_from(s2)
    f = _PY[op]
    daz, ftz = unit.daz, unit.ftz
    out = []
    for a, b in zip(xs, ys, strict=True):
        if a != a or b != b:
            return None
        if daz:
            a, b = _flush1(a, w), _flush1(b, w)
        try:
            r = f(a, b)
        except (ZeroDivisionError, ValueError, OverflowError):
            return None
        if r != r:
            return None
        if w == 4:
            r = _to_float32(r)
        if ftz:
            r = _flush1(r, w)
        out.append(r)
    return fmt.pack(*out)


def _to_float32(r: float) -> float:
    try:
        return _FMT[4][1].unpack(_FMT[4][1].pack(r))[0]
    except OverflowError:
        return math.copysign(math.inf, r)


def lanes_value(op: str, a, b, w: int) -> np.ndarray:
    if op in _UNARY_LANES:
        return _unop(op, b, w)
    return _binop(op, a, b, w)


# FMA: result = sign_p * (x*y) + sign_c * z, with (x, y, z) operand positions by form.
FMA_ORDER = {"132": (0, 2, 1), "213": (1, 0, 2), "231": (1, 2, 0)}


def _flow_fma(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    xo, yo, zo = FMA_ORDER[e.op[-3:]]
    kind = e.op[:-3]  # fmadd, fmsub, fnmadd, fnmsub, fmaddsub, fmsubadd
    n = 1 if e.scalar else len(vals[0]) // w
    fmt = _FMT[w][n]
    xs, ys, zs = (fmt.unpack_from(vals[k]) for k in (xo, yo, zo))
    if unit.daz:
        xs, ys, zs = ([_flush1(v, w) for v in t] for t in (xs, ys, zs))
    fn = _fma if w == 8 else _fmaf
    out = []
    signs = []
    for j in range(n):
        sp, sc = fma_signs(kind, j)
        x, z = xs[j], zs[j]
        r = fn(-x if sp < 0 else x, ys[j], -z if sc < 0 else z)
        out.append(_flush1(r, w) if unit.ftz else r)
        signs.append((sp, sc))
    if unit.rmode:
        for j, (sp, sc) in enumerate(signs):
            x, z = xs[j], zs[j]
            r = rounding.fma(-x if sp < 0 else x, ys[j], -z if sc < 0 else z, unit.rmode, w)
            if r is not None:
                out[j] = _flush1(r, w) if unit.ftz else r
    raw = fmt.pack(*out)
    ex.out = raw + vals[0][len(raw):16] if e.scalar else raw
    ex.extra = ((xo, yo, zo), signs)


_FMT = {w: {n: struct.Struct(f"<{n}{'d' if w == 8 else 'f'}") for n in (1, 2, 4, 8)}
        for w in (4, 8)}


def _flush1(v: float, w: int) -> float:
    return math.copysign(0.0, v) if v and abs(v) < _TINY[w] else v


_TINY = {8: 2.2250738585072014e-308, 4: 1.1754943508222875e-38}


def fma_signs(kind: str, lane: int) -> tuple[int, int]:
    """(sign of the product, sign of the addend) of an FMA form in a lane."""
    if kind == "fmadd":
        return 1, 1
    if kind == "fmsub":
        return 1, -1
    if kind == "fnmadd":
        return -1, 1
    if kind == "fnmsub":
        return -1, -1
    if kind == "fmaddsub":  # even lanes subtract
        return 1, (-1 if lane % 2 == 0 else 1)
    if kind == "fmsubadd":
        return 1, (1 if lane % 2 == 0 else -1)
    raise KeyError(kind)


def _flow_logic(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    a = np.frombuffer(vals[1], dtype=np.uint8)
    b = np.frombuffer(vals[2], dtype=np.uint8)
    r = {"and": lambda: a & b, "andn": lambda: ~a & b, "or": lambda: a | b,
         "xor": lambda: a ^ b}[e.op]()
    ex.out = r.tobytes()


def _flow_passive(unit: VexUnit, ex: Exec) -> None:
    ex.out = ex.entry.fn(unit, ex.insn, ex.vals)


def _flow_zeroupper(unit: VexUnit, ex: Exec) -> None:
    unit.hi[:] = bytes(256)
    if ex.insn.mnemonic == "vzeroall":
        for i in range(16):
            unit.set_vec(i, bytes(16), 32)


FLOWS = {"gather": _flow_gather, "lanes": _flow_lanes, "fma": _flow_fma,
         "logic": _flow_logic, "passive": _flow_passive, "zeroupper": _flow_zeroupper}

# ------------------------------------------------------------------- gather semantics
# A map entry is operand * 64 + byte offset; -1 writes zero; -2 (stores) leaves the byte.


def R(op: int, off: int) -> int:
    return op * 64 + off


def _n(insn: Insn, k: int = 0) -> int:
    return insn.ops[k].size


def g_copy(insn, vals):
    """vmovapd & co, vmovq/vmovd loads and stores: the source, zero-extended."""
    src = len(insn.ops) - 1
    n = _n(insn, src)
    d = insn.ops[0]
    if d.kind == "reg" and d.reg.kind in ("xmm", "ymm"):
        return [R(src, k) for k in range(n)] + [-1] * (max(d.size, 16) - n)
    return [R(src, k) for k in range(min(n, d.size))]


def g_movs(w):
    """vmovsd/vmovss: load (zero above), store, or merge (dst = src2 low lane, src1 rest)."""
    def f(insn, vals):
        if len(insn.ops) == 3:
            return [R(2, k) for k in range(w)] + [R(1, k) for k in range(w, 16)]
        if insn.ops[0].kind == "mem":
            return [R(1, k) for k in range(w)]
        return [R(1, k) for k in range(w)] + [-1] * (16 - w)
    return f


def g_movlh(high: bool):
    """vmovlpd/vmovhpd/vmovlps/vmovhps: 3 operands merge 8 bytes of memory; 2 store 8 bytes."""
    def f(insn, vals):
        if len(insn.ops) == 2:
            return [R(1, k + (8 if high else 0)) for k in range(8)]
        if high:
            return [R(1, k) for k in range(8)] + [R(2, k) for k in range(8)]
        return [R(2, k) for k in range(8)] + [R(1, k) for k in range(8, 16)]
    return f


def _per_lane(insn, fn):
    """Apply a 16-byte map builder to each 128-bit lane: fn(lane) -> 16 entries relative to
    the lane (operand, offset within the lane)."""
    n = max(_n(insn, 0), 16)
    out = []
    for lane in range(n // 16):
        for op, off in fn(lane):
            out.append(-1 if op is None else R(op, 16 * lane + off))
    return out


def g_unpck(w: int, high: bool):
    def f(insn, vals):
        base = 8 if high else 0

        def lane(_l):
            res = []
            for j in range(8 // w):
                for src in (1, 2):
                    res += [(src, base + j * w + k) for k in range(w)]
            return res
        return _per_lane(insn, lane)
    return f


def g_shufpd(insn, vals):
    imm = insn.ops[-1].imm

    def lane(l):
        s0 = (imm >> (2 * l)) & 1
        s1 = (imm >> (2 * l + 1)) & 1
        return [(1, 8 * s0 + k) for k in range(8)] + [(2, 8 * s1 + k) for k in range(8)]
    return _per_lane(insn, lane)


def g_shufps(insn, vals):
    imm = insn.ops[-1].imm

    def lane(_l):
        res = []
        for j in range(4):
            src = 1 if j < 2 else 2
            sel = (imm >> (2 * j)) & 3
            res += [(src, 4 * sel + k) for k in range(4)]
        return res
    return _per_lane(insn, lane)


def g_pshufd(insn, vals):
    imm = insn.ops[-1].imm
    return _per_lane(insn, lambda _l: [(1, 4 * ((imm >> (2 * j)) & 3) + k)
                                       for j in range(4) for k in range(4)])


def g_pshufhlw(high: bool):
    """vpshufhw/vpshuflw: the four words of one quadword of each 128-bit half permuted."""
    def f(insn, vals):
        imm = insn.ops[-1].imm
        base = 8 if high else 0

        def lane(_l):
            words = [(1, k) for k in range(16)]
            res = list(words)
            for j in range(4):
                sel = (imm >> (2 * j)) & 3
                res[base + 2 * j] = (1, base + 2 * sel)
                res[base + 2 * j + 1] = (1, base + 2 * sel + 1)
            return res
        return _per_lane(insn, lane)
    return f


def g_permilpd_imm(insn, vals):
    imm = insn.ops[-1].imm
    return _per_lane(insn, lambda l: [(1, 8 * ((imm >> (2 * l + j)) & 1) + k)
                                      for j in range(2) for k in range(8)])


def g_permil(w: int):
    """vpermilpd/vpermilps: immediate or variable (operand 2's lanes select) control."""
    def f(insn, vals):
        if insn.ops[-1].kind == "imm":
            return g_permilpd_imm(insn, vals) if w == 8 else g_pshufd(insn, vals)
        ctl = np.frombuffer(vals[2], dtype=np.uint64 if w == 8 else np.uint32)
        out = []
        for j in range(len(vals[1]) // w):
            lane = j * w // 16
            sel = int((ctl[j] >> 1) & 1) if w == 8 else int(ctl[j] & 3)
            out += [R(1, 16 * lane + sel * w + k) for k in range(w)]
        return out
    return f


def g_movddup(insn, vals):
    if _n(insn, 1) == 8:
        return [R(1, k % 8) for k in range(16)]
    return _per_lane(insn, lambda _l: [(1, k % 8) for k in range(16)])


def g_movsdup(high: bool):
    def f(insn, vals):
        b = 4 if high else 0
        return _per_lane(insn, lambda _l: [(1, (j // 2) * 8 + b + k) for j in range(4)
                                           for k in range(4)])
    return f


def g_broadcast(w: int):
    def f(insn, vals):
        return [R(1, k % w) for k in range(_n(insn, 0))]
    return f


def g_insert128(insn, vals):
    hi = insn.ops[-1].imm & 1
    out = [R(1, k) for k in range(32)]
    for k in range(16):
        out[16 * hi + k] = R(2, k)
    return out


def g_extract128(insn, vals):
    hi = insn.ops[-1].imm & 1
    out = [R(1, 16 * hi + k) for k in range(16)]
    return out if insn.ops[0].kind == "mem" else out + [-1] * 16


def g_perm2x128(insn, vals):
    imm = insn.ops[-1].imm
    out = []
    for half in (0, 1):
        c = (imm >> (4 * half)) & 0xF
        if c & 8:
            out += [-1] * 16
        else:
            src = 1 if c & 2 == 0 else 2
            out += [R(src, 16 * (c & 1) + k) for k in range(16)]
    return out


def g_permq(insn, vals):
    imm = insn.ops[-1].imm
    return [R(1, 8 * ((imm >> (2 * j)) & 3) + k) for j in range(4) for k in range(8)]


def g_permd(w: int):
    """vpermd/vpermps ymm, idx, src (AVX2: idx is operand 1)."""
    def f(insn, vals):
        idx = np.frombuffer(vals[1], dtype=np.uint32)
        return [R(2, 4 * int(idx[j] & 7) + k) for j in range(8) for k in range(4)]
    return f


def g_blend(w: int):
    def f(insn, vals):
        imm = insn.ops[-1].imm
        n = _n(insn, 0)
        out = []
        for j in range(n // w):
            bit = (imm >> (j % 8 if w == 2 else j)) & 1
            out += [R(2 if bit else 1, j * w + k) for k in range(w)]
        return out
    return f


def g_blendv(w: int):
    def f(insn, vals):
        mask = vals[3]
        n = _n(insn, 0)
        out = []
        for j in range(n // w):
            sel = mask[j * w + w - 1] & 0x80
            out += [R(2 if sel else 1, j * w + k) for k in range(w)]
        return out
    return f


def g_pshufb(insn, vals):
    ctl = vals[2]

    def lane(l):
        res = []
        for k in range(16):
            c = ctl[16 * l + k]
            res.append((None, 0) if c & 0x80 else (1, c & 15))
        return res
    return _per_lane(insn, lane)


def g_byteshift(left: bool):
    def f(insn, vals):
        i = min(insn.ops[-1].imm & 0xFF, 16)

        def lane(_l):
            res = []
            for k in range(16):
                j = k - i if left else k + i
                res.append((1, j) if 0 <= j < 16 else (None, 0))
            return res
        return _per_lane(insn, lane)
    return f


def g_palignr(insn, vals):
    i = insn.ops[-1].imm & 0xFF

    def lane(_l):
        res = []
        for k in range(16):  # (src1:src2)[k + i]: src2 low, src1 high
            j = k + i
            res.append((2, j) if j < 16 else (1, j - 16) if j < 32 else (None, 0))
        return res
    return _per_lane(insn, lane)


def g_pinsr(w: int):
    def f(insn, vals):
        i = insn.ops[-1].imm % (16 // w)
        out = [R(1, k) for k in range(16)]
        for k in range(w):
            out[i * w + k] = R(2, k)
        return out
    return f


def g_pextr(w: int):
    def f(insn, vals):
        i = insn.ops[-1].imm % (16 // w)
        out = [R(1, i * w + k) for k in range(w)]
        d = insn.ops[0]
        if d.kind == "reg" and d.reg.kind == "gpr" and d.size > w:
            out += [-1] * (d.size - w)
        return out
    return f


def g_insertps(insn, vals):
    imm = insn.ops[-1].imm
    s = insn.ops[2]
    src_lane = 0 if s.kind == "mem" else (imm >> 6) & 3
    out = [R(1, k) for k in range(16)]
    dl = (imm >> 4) & 3
    for k in range(4):
        out[4 * dl + k] = R(2, 4 * src_lane + k)
    for j in range(4):
        if imm >> j & 1:
            out[4 * j:4 * j + 4] = [-1] * 4
    return out


def g_movhl(insn, vals):  # vmovhlps x1, x2, x3: low = x3 high, high = x2 high
    return [R(2, 8 + k) for k in range(8)] + [R(1, 8 + k) for k in range(8)]


def g_movlhps(insn, vals):  # vmovlhps x1, x2, x3: low = x2 low, high = x3 low
    return [R(1, k) for k in range(8)] + [R(2, k) for k in range(8)]


def g_maskmov(w: int):
    """vmaskmovpd/ps, vpmaskmovd/q: load (masked lanes zero) or store (masked lanes left)."""
    def f(insn, vals):
        if insn.ops[0].kind == "mem":  # store: [m], mask, src
            mask, src, none = vals[1], 2, -2
        else:
            mask, src, none = vals[1], 2, -1
        n = len(mask)
        out = []
        for j in range(n // w):
            on = mask[j * w + w - 1] & 0x80
            out += [R(src, j * w + k) if on else none for k in range(w)]
        return out
    return f


def g_pmovx(sw: int, dw: int, signed: bool):
    """vpmovzx/vpmovsx: widen lanes (the gather map only for zero extension)."""
    def f(insn, vals):
        n = _n(insn, 0)
        out = []
        for j in range(n // dw):
            out += [R(1, j * sw + k) for k in range(sw)] + [-1] * (dw - sw)
        return out
    return f


# ------------------------------------------------------------------ passive semantics

def _vals_u8(v: bytes) -> np.ndarray:
    return np.frombuffer(v, dtype=np.uint8)


def p_int(fn, w: int):
    """Integer lane operation of the two sources (vpadd*, vpcmpeq*, vpminu*...)."""
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).copy()
        b = np.frombuffer(vals[2], dtype=I[w]).copy()
        with np.errstate(all="ignore"):
            return np.asarray(fn(a, b)).astype(I[w]).tobytes()
    return f


def p_intu(fn, w: int):
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=U[w]).copy()
        b = np.frombuffer(vals[2], dtype=U[w]).copy()
        with np.errstate(all="ignore"):
            return np.asarray(fn(a, b)).astype(U[w]).tobytes()
    return f


def _cmpmask(c, w):
    return np.where(c, -1, 0)


def p_shift(kind: str, w: int):
    """vpsll/vpsrl/vpsra by immediate or by the low 64 bits of an xmm operand; the
    variable forms vpsllv/vpsrlv/vpsrav shift each lane by the matching lane."""
    bits = 8 * w

    def f(unit, insn, vals):
        src = vals[1]
        cnt = vals[2]
        if isinstance(cnt, int):
            counts = np.full(len(src) // w, cnt & 0xFF, dtype=np.uint64)
        elif kind.endswith("v"):
            counts = np.frombuffer(cnt, dtype=U[w]).astype(np.uint64)
        else:
            counts = np.full(len(src) // w, int.from_bytes(cnt[:8], "little"), dtype=np.uint64)
        res = []
        for j, c in enumerate(counts):
            x = int.from_bytes(src[j * w:(j + 1) * w], "little")
            c = int(c)
            k = kind.rstrip("v")
            if k == "sll":
                r = (x << c) & ((1 << bits) - 1) if c < bits else 0
            elif k == "srl":
                r = x >> c if c < bits else 0
            else:  # sra
                sx = x - (1 << bits) if x >> (bits - 1) else x
                r = (sx >> min(c, bits - 1)) & ((1 << bits) - 1)
            res.append(r.to_bytes(w, "little"))
        return b"".join(res)
    return f


def p_unary_int(fn, w: int):
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).astype(np.int64)
        return np.asarray(fn(a)).astype(I[w]).tobytes()
    return f


def p_pairs(sw: int, dw: int, fn, signed: bool):
    """vpmaddwd: adjacent products summed into lanes twice as wide."""
    def f(unit, insn, vals):
        dt = I[sw] if signed else U[sw]
        a = np.frombuffer(vals[1], dtype=dt).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=dt).astype(np.int64)
        p = fn(a, b)
        return (p[0::2] + p[1::2]).astype(np.int64).astype(I[dw]).tobytes()
    return f


def p_pack(sw: int, dw: int, signed: bool):
    """vpackss*/vpackus*: per 128-bit half, operand 1's lanes then operand 2's, saturated."""
    lo, hi = ((-(1 << (8 * dw - 1)), (1 << (8 * dw - 1)) - 1) if signed
              else (0, (1 << (8 * dw)) - 1))

    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[sw]).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=I[sw]).astype(np.int64)
        per = 16 // sw
        out = []
        for h in range(len(a) // per):
            out += [a[h * per:(h + 1) * per], b[h * per:(h + 1) * per]]
        r = np.clip(np.concatenate(out), lo, hi)
        return r.astype(I[dw] if signed else U[dw]).tobytes()
    return f


def p_sadbw(unit, insn, vals):
    a = np.frombuffer(vals[1], dtype=np.uint8).astype(np.int64)
    b = np.frombuffer(vals[2], dtype=np.uint8).astype(np.int64)
    d = np.abs(a - b).reshape(-1, 8).sum(axis=1)
    return d.astype(np.uint64).tobytes()


def p_movsx(sw: int, dw: int):
    def f(unit, insn, vals):
        n = insn.ops[0].size // dw
        a = np.frombuffer(vals[1], dtype=I[sw])[:n]
        return a.astype(I[dw]).tobytes()
    return f


def p_hint(w: int, fn):
    """vphadd*/vphsub*: per 128-bit half, adjacent pairs of operand 1, then of operand 2."""
    def f(unit, insn, vals):
        a = np.frombuffer(vals[1], dtype=I[w]).astype(np.int64)
        b = np.frombuffer(vals[2], dtype=I[w]).astype(np.int64)
        per = 16 // w
        out = []
        for h in range(len(a) // per):
            for src in (a, b):
                x = src[h * per:(h + 1) * per]
                out.append(fn(x[0::2], x[1::2]))
        return np.concatenate(out).astype(I[w]).tobytes()
    return f


def p_maddubsw(unit, insn, vals):
    a = np.frombuffer(vals[1], dtype=np.uint8).astype(np.int64)
    b = np.frombuffer(vals[2], dtype=np.int8).astype(np.int64)
    p = a * b
    return np.clip(p[0::2] + p[1::2], -32768, 32767).astype(np.int16).tobytes()


def p_cvtph2ps(unit, insn, vals):
    """F16C half -> float (exact; NaNs quieted, payload kept)."""
    n = insn.ops[0].size // 4
    h = np.frombuffer(vals[1][:2 * n], dtype=np.uint16)
    out = []
    for v in h.tolist():
        if v & 0x7C00 == 0x7C00 and v & 0x3FF:
            bits = (v & 0x8000) << 16 | 0x7FC00000 | (v & 0x3FF) << 13
            out.append(bits.to_bytes(4, "little"))
        else:
            out.append(np.array([v], dtype=np.uint16).view(np.float16).astype(
                np.float32).tobytes())
    return b"".join(out)


def p_cvtps2ph(unit, insn, vals):
    """F16C float -> half, rounded by imm[1:0] (imm bit 2: MXCSR's mode); NaNs quieted and
    their payload truncated, as the CPU does."""
    imm = insn.ops[-1].imm
    mode = unit.rmode if imm & 4 else imm & 3
    xs = np.frombuffer(vals[1], dtype=np.float32)
    bits = xs.view(np.uint32).tolist()
    out = []
    for x, b in zip(xs.tolist(), bits, strict=True):
        if x != x:
            r = (b >> 16) & 0x8000 | 0x7E00 | (b >> 13) & 0x3FF
        else:
            if mode and x != 0 and math.isfinite(x):  # exact value: numpy's cast is exact
                x = rounding.round_q(rounding.Fraction(x), mode, 2)
            with np.errstate(over="ignore"):  # overflow to ±inf is the IEEE result
                r = int(np.array([x], dtype=np.float32).astype(np.float16).view(np.uint16)[0])
        out.append(r.to_bytes(2, "little"))
    raw = b"".join(out)
    return raw + bytes(16 - len(raw)) if insn.ops[0].kind == "reg" and len(raw) < 16 else raw


def p_movmsk(w: int):
    def f(unit, insn, vals):
        src = vals[1]
        m = 0
        for j in range(len(src) // w):
            if src[j * w + w - 1] & 0x80:
                m |= 1 << j
        return m.to_bytes(insn.ops[0].size, "little")
    return f


def p_ptest(unit, insn, vals):
    a = int.from_bytes(vals[0], "little")
    b = int.from_bytes(vals[1], "little")
    if insn.mnemonic == "vptest":
        n = len(vals[0])
        zf, cf = (a & b) == 0, (~a & ((1 << (8 * n)) - 1) & b) == 0
    else:  # vtestpd/vtestps: sign bits only
        w = 8 if insn.mnemonic.endswith("pd") else 4
        sm = sum(1 << (8 * w * (j + 1) - 1) for j in range(len(vals[0]) // w))
        zf, cf = (a & b & sm) == 0, (~a & b & sm) == 0
    unit.set_flags((ZF if zf else 0) | (CF if cf else 0))
    return None


def p_comis(w: int):
    def f(unit, insn, vals):
        a = float(unit.in_(_f(vals[0][:w], w), w)[0])
        b = float(unit.in_(_f(vals[1][:w], w), w)[0])
        if a != a or b != b:
            fl = ZF | PF | CF
        elif a > b:
            fl = 0
        elif a < b:
            fl = CF
        else:
            fl = ZF
        unit.set_flags(fl)
        return None
    return f


def _cmp_pred(p: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        un = np.isnan(a) | np.isnan(b)
        base = p & 7
        if base == 0:
            r = a == b
        elif base == 1:
            r = a < b
        elif base == 2:
            r = a <= b
        elif base == 3:
            r = un
        elif base == 4:
            r = ~(a == b)
        elif base == 5:
            r = ~(a < b)
        elif base == 6:
            r = ~(a <= b)
        else:
            r = ~un
        if p & 8:  # EQ_UQ, NGE, NGT, FALSE, NEQ_OQ, GE, GT, TRUE
            r = {0: (a == b) | un, 1: ~(a >= b), 2: ~(a > b), 3: np.zeros_like(un),
                 4: ~(a == b) & ~un, 5: a >= b, 6: a > b, 7: np.ones_like(un)}[base]
        return r


def p_cmp(w: int, scalar: bool):
    def f(unit, insn, vals):
        pred = insn.bytes_[-1] & 0x1F
        a, b = unit.in_(_f(vals[1], w), w), unit.in_(_f(vals[2], w), w)
        if scalar:
            a, b = a[:1], b[:1]
        r = _cmp_pred(pred, a, b)
        lanes = np.where(r, U[w]((1 << (8 * w)) - 1), U[w](0)).astype(U[w]).tobytes()
        return lanes + vals[1][len(lanes):16] if scalar else lanes
    return f


_INDEF = {4: 0x8000_0000, 8: 0x8000_0000_0000_0000}


def _to_int(x: float, n: int, trunc: bool) -> int:
    if x != x or x in (float("inf"), float("-inf")):
        return _INDEF[n]
    v = int(x) if trunc else round(x)  # round(): half to even, as MXCSR's default
    if not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        return _INDEF[n]
    return v & ((1 << (8 * n)) - 1)


def p_cvt2si(w: int, trunc: bool):
    def f(unit, insn, vals):
        x = float(_f(vals[1][:w], w)[0])
        n = insn.ops[0].size
        if not trunc and unit.rmode and math.isfinite(x):
            x = float(rounding.to_int(x, unit.rmode))  # an integer: round() keeps it
        return _to_int(x, n, trunc).to_bytes(n, "little")
    return f


def p_cvtsi2(w: int):
    def f(unit, insn, vals):
        n = insn.ops[2].size
        x = int.from_bytes(vals[2], "little", signed=True)
        if unit.rmode and x:
            r = _FMT[w][1].pack(rounding.round_q(rounding.Fraction(x), unit.rmode, w))
        else:
            r = np.array([float(x)] if w == 8 else [np.float32(x) if n == 4 else _i2f(x)],
                         dtype=F[w]).tobytes()
        return r + vals[1][w:16]
    return f


def _i2f(x: int) -> np.float32:
    """int64 → float32 rounded once (numpy's int64→float32 cast rounds correctly)."""
    return np.array([x], dtype=np.int64).astype(np.float32)[0]


def p_cvt_packed(fn):
    def f(unit, insn, vals):
        with np.errstate(all="ignore"):
            return fn(vals[1], insn)
    return f


def _cvt_dq(src: bytes, w: int, n: int, trunc: bool) -> bytes:
    xs = _f(src, w)
    return b"".join(_to_int(float(x), 4, trunc).to_bytes(4, "little") for x in xs[:n])


def p_round(w: int, scalar: bool):
    def f(unit, insn, vals):
        imm = insn.ops[-1].imm
        mode = imm & 3 if not imm & 4 else unit.rmode  # bit 2: MXCSR's mode
        src = vals[2] if scalar else vals[1]
        x = _f(src[:w] if scalar else src, w)
        with np.errstate(all="ignore"):
            r = {0: np.rint, 1: np.floor, 2: np.ceil, 3: np.trunc}[mode](x)
            r = _propagate(r.astype(F[w]), x, None, w)
        raw = r.tobytes()
        return raw + vals[1][w:16] if scalar else raw
    return f


def p_bmi(kind: str):
    """BMI1/BMI2 general-purpose instructions (VEX-encoded, so executed here too)."""
    def f(unit, insn, vals):
        n = insn.ops[0].size
        bits = 8 * n
        m = (1 << bits) - 1

        def v(k):
            x = vals[k]
            return x if isinstance(x, int) else int.from_bytes(x, "little")
        flags = None
        if kind == "andn":
            r = ~v(1) & v(2) & m
            flags = (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind in ("shlx", "shrx", "sarx"):
            c = v(2) & (bits - 1)
            x = v(1)
            if kind == "shlx":
                r = (x << c) & m
            elif kind == "shrx":
                r = x >> c
            else:
                sx = x - (1 << bits) if x >> (bits - 1) else x
                r = (sx >> c) & m
        elif kind == "rorx":
            c = v(2) & (bits - 1)
            x = v(1)
            r = ((x >> c) | (x << (bits - c))) & m
        elif kind == "bzhi":
            x, i = v(1), v(2) & 0xFF
            r = x & ((1 << i) - 1) if i < bits else x
            cf = CF if i > bits - 1 else 0
            flags = cf | (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind in ("blsr", "blsi", "blsmsk"):
            x = v(1)
            if kind == "blsr":
                r = x & (x - 1) & m
            elif kind == "blsi":
                r = x & (-x) & m
            else:
                r = (x ^ (x - 1)) & m
            cf = CF if (x == 0 if kind != "blsi" else x != 0) else 0
            flags = cf | (ZF if r == 0 else 0) | (SF if r >> (bits - 1) else 0)
        elif kind == "bextr":
            x, c = v(1), v(2)
            start, ln = c & 0xFF, (c >> 8) & 0xFF
            r = (x >> start) & ((1 << ln) - 1) if start < bits else 0
            flags = ZF if r == 0 else 0
        elif kind in ("pdep", "pext"):
            x, msk = v(1), v(2)
            r, k = 0, 0
            for b in range(bits):
                if msk >> b & 1:
                    if kind == "pdep":
                        r |= ((x >> k) & 1) << b
                    else:
                        r |= ((x >> b) & 1) << k
                    k += 1
        elif kind == "mulx":  # mulx hi, lo, src: rdx * src
            x = unit.fast.gpr(2) & m
            p = x * v(2)
            lo = p & m
            lo_op = insn.ops[1]
            unit.fast.set_gpr(lo_op.reg.index, lo)
            r = p >> bits
        else:
            raise KeyError(kind)
        if flags is not None:
            unit.set_flags(flags, CF | PF | AF | ZF | SF | OF)
        return r.to_bytes(n, "little")
    return f


def p_stmxcsr(unit, insn, vals):
    return (unit.fast.reg(fastuc.UC_MXCSR) & 0xFFFF_FFFF).to_bytes(4, "little")


def p_ldmxcsr(unit, insn, vals):
    unit.fast.set_reg(fastuc.UC_MXCSR, int.from_bytes(vals[0], "little"))
    return None


def p_xgetbv(unit, insn, vals):
    """XCR0 with x87, SSE and AVX state enabled (Unicorn's own says x87|SSE only)."""
    from revad_emu.cpu import XCR0_V3

    xcr = XCR0_V3 if unit.fast.gpr(1) & 0xFFFF_FFFF == 0 else 0
    unit.fast.set_gpr(0, xcr & 0xFFFF_FFFF)
    unit.fast.set_gpr(2, xcr >> 32)
    return None


# ---------------------------------------------------------------------------- table

def _build() -> dict[str, Entry]:
    t: dict[str, Entry] = {}
    G = lambda fn: Entry("gather", fn)  # noqa: E731
    for m in ("vmovapd", "vmovaps", "vmovupd", "vmovups", "vmovdqa", "vmovdqu", "vlddqu",
              "vmovntdq", "vmovntpd", "vmovntps", "vmovntdqa", "vmovq", "vmovd"):
        t[m] = G(g_copy)
    t["vmovsd"] = G(g_movs(8))
    t["vmovss"] = G(g_movs(4))
    for m, hi in (("vmovlpd", False), ("vmovlps", False), ("vmovhpd", True), ("vmovhps", True)):
        t[m] = G(g_movlh(hi))
    t["vmovhlps"] = G(g_movhl)
    t["vmovlhps"] = G(g_movlhps)
    t["vunpcklpd"] = G(g_unpck(8, False))
    t["vunpckhpd"] = G(g_unpck(8, True))
    t["vunpcklps"] = G(g_unpck(4, False))
    t["vunpckhps"] = G(g_unpck(4, True))
    for w, s in ((1, "bw"), (2, "wd"), (4, "dq"), (8, "qdq")):
        t[f"vpunpckl{s}"] = G(g_unpck(w, False))
        t[f"vpunpckh{s}"] = G(g_unpck(w, True))
    t["vshufpd"] = G(g_shufpd)
    t["vshufps"] = G(g_shufps)
    t["vpshufd"] = G(g_pshufd)
    t["vpermilpd"] = G(g_permil(8))
    t["vpermilps"] = G(g_permil(4))
    t["vmovddup"] = G(g_movddup)
    t["vmovshdup"] = G(g_movsdup(True))
    t["vmovsldup"] = G(g_movsdup(False))
    t["vbroadcastss"] = G(g_broadcast(4))
    t["vbroadcastsd"] = G(g_broadcast(8))
    t["vbroadcastf128"] = G(g_broadcast(16))
    t["vbroadcasti128"] = G(g_broadcast(16))
    for m, w in (("vpbroadcastb", 1), ("vpbroadcastw", 2), ("vpbroadcastd", 4),
                 ("vpbroadcastq", 8)):
        t[m] = G(g_broadcast(w))
    t["vinsertf128"] = t["vinserti128"] = G(g_insert128)
    t["vextractf128"] = t["vextracti128"] = G(g_extract128)
    t["vperm2f128"] = t["vperm2i128"] = G(g_perm2x128)
    t["vpermpd"] = t["vpermq"] = G(g_permq)
    t["vpermps"] = t["vpermd"] = G(g_permd(4))
    t["vblendpd"] = G(g_blend(8))
    t["vblendps"] = G(g_blend(4))
    t["vpblendd"] = G(g_blend(4))
    t["vpblendw"] = G(g_blend(2))
    t["vblendvpd"] = G(g_blendv(8))
    t["vblendvps"] = G(g_blendv(4))
    t["vpblendvb"] = G(g_blendv(1))
    t["vpshufb"] = G(g_pshufb)
    t["vpslldq"] = G(g_byteshift(True))
    t["vpsrldq"] = G(g_byteshift(False))
    t["vpalignr"] = G(g_palignr)
    for m, w in (("vpinsrb", 1), ("vpinsrw", 2), ("vpinsrd", 4), ("vpinsrq", 8)):
        t[m] = G(g_pinsr(w))
    for m, w in (("vpextrb", 1), ("vpextrw", 2), ("vpextrd", 4), ("vpextrq", 8),
                 ("vextractps", 4)):
        t[m] = G(g_pextr(w))
    t["vinsertps"] = G(g_insertps)
    t["vmaskmovpd"] = G(g_maskmov(8))
    t["vmaskmovps"] = G(g_maskmov(4))
    t["vpmaskmovd"] = G(g_maskmov(4))
    t["vpmaskmovq"] = G(g_maskmov(8))
    for s, sw in (("b", 1), ("w", 2), ("d", 4)):
        for d, dw in (("w", 2), ("d", 4), ("q", 8)):
            if dw > sw:
                t[f"vpmovzx{s}{d}"] = G(g_pmovx(sw, dw, False))
    # floating-point arithmetic
    for op in ("add", "sub", "mul", "div", "min", "max", "sqrt"):
        t[f"v{op}sd"] = Entry("lanes", lanes_value, 8, op, scalar=True)
        t[f"v{op}ss"] = Entry("lanes", lanes_value, 4, op, scalar=True)
        t[f"v{op}pd"] = Entry("lanes", lanes_value, 8, op)
        t[f"v{op}ps"] = Entry("lanes", lanes_value, 4, op)
    t["vrcpps"] = Entry("lanes", lanes_value, 4, "rcp")
    t["vrcpss"] = Entry("lanes", lanes_value, 4, "rcp", scalar=True)
    t["vrsqrtps"] = Entry("lanes", lanes_value, 4, "rsqrt")
    t["vrsqrtss"] = Entry("lanes", lanes_value, 4, "rsqrt", scalar=True)
    for kind in ("fmadd", "fmsub", "fnmadd", "fnmsub", "fmaddsub", "fmsubadd"):
        for order in ("132", "213", "231"):
            for suf, w, sc in (("sd", 8, True), ("ss", 4, True), ("pd", 8, False),
                               ("ps", 4, False)):
                if kind in ("fmaddsub", "fmsubadd") and sc:
                    continue
                t[f"v{kind}{order}{suf}"] = Entry("fma", None, w, kind + order, scalar=sc,
                                                  reads_dst=True)
    for op in ("and", "andn", "or", "xor"):
        t[f"v{op}pd"] = Entry("logic", None, 8, op)
        t[f"v{op}ps"] = Entry("logic", None, 4, op)
        t[f"vp{op}"] = Entry("logic", None, 0, op)
    t["vzeroupper"] = t["vzeroall"] = Entry("zeroupper", None)
    # conversions between float and double (derivative 1 through rules.UNARY['cvt'])
    t["vcvtss2sd"] = Entry("cvt", None, 4, "cvt", scalar=True)
    t["vcvtsd2ss"] = Entry("cvt", None, 8, "cvt", scalar=True)
    t["vcvtps2pd"] = Entry("cvt", None, 4, "cvt")
    t["vcvtpd2ps"] = Entry("cvt", None, 8, "cvt")
    # passive results
    P = lambda fn: Entry("passive", fn)  # noqa: E731
    for w, s in ((1, "b"), (2, "w"), (4, "d"), (8, "q")):
        t[f"vpadd{s}"] = P(p_int(lambda a, b: a + b, w))
        t[f"vpsub{s}"] = P(p_int(lambda a, b: a - b, w))
        t[f"vpcmpeq{s}"] = P(p_int(lambda a, b, w=w: _cmpmask(a == b, w), w))
        t[f"vpcmpgt{s}"] = P(p_int(lambda a, b, w=w: _cmpmask(a > b, w), w))
        if w < 8:
            t[f"vpminu{s}"] = P(p_intu(np.minimum, w))
            t[f"vpmaxu{s}"] = P(p_intu(np.maximum, w))
            t[f"vpmins{s}"] = P(p_int(np.minimum, w))
            t[f"vpmaxs{s}"] = P(p_int(np.maximum, w))
        if w > 1:
            for k in ("sll", "srl", "sra"):
                if k == "sra" and w == 8:
                    continue
                t[f"vp{k}{s}"] = P(p_shift(k, w))
        if w >= 4:
            t[f"vpsllv{s}"] = P(p_shift("sllv", w))
            t[f"vpsrlv{s}"] = P(p_shift("srlv", w))
    t["vpsravd"] = P(p_shift("srav", 4))
    t["vpmulld"] = P(p_int(lambda a, b: a * b, 4))
    t["vpmullw"] = P(p_int(lambda a, b: a * b, 2))
    t["vpmuludq"] = P(lambda unit, insn, vals: (
        (np.frombuffer(vals[1], dtype=np.uint64) & 0xFFFFFFFF)
        * (np.frombuffer(vals[2], dtype=np.uint64) & 0xFFFFFFFF)).tobytes())
    t["vpmuldq"] = P(lambda unit, insn, vals: (
        (np.frombuffer(vals[1], dtype=np.int64) << 32 >> 32)
        * (np.frombuffer(vals[2], dtype=np.int64) << 32 >> 32)).tobytes())
    t["vpmulhw"] = P(p_int(lambda a, b: (a.astype(np.int32) * b) >> 16, 2))
    t["vpmulhuw"] = P(p_intu(lambda a, b: (a.astype(np.uint32) * b) >> 16, 2))
    for s_, w in (("b", 1), ("w", 2)):
        lo, hi = -(1 << (8 * w - 1)), (1 << (8 * w - 1)) - 1
        t[f"vpadds{s_}"] = P(p_int(lambda a, b, lo=lo, hi=hi: np.clip(
            a.astype(np.int64) + b, lo, hi), w))
        t[f"vpsubs{s_}"] = P(p_int(lambda a, b, lo=lo, hi=hi: np.clip(
            a.astype(np.int64) - b, lo, hi), w))
        t[f"vpaddus{s_}"] = P(p_intu(lambda a, b, w=w: np.minimum(
            a.astype(np.int64) + b, (1 << (8 * w)) - 1), w))
        t[f"vpsubus{s_}"] = P(p_intu(lambda a, b: np.maximum(a.astype(np.int64) - b, 0), w))
        t[f"vpavg{s_}"] = P(p_intu(lambda a, b: (a.astype(np.int64) + b + 1) >> 1, w))
    for s_, w in (("b", 1), ("w", 2), ("d", 4)):
        t[f"vpabs{s_}"] = P(p_unary_int(lambda a: np.abs(a), w))
        t[f"vpsign{s_}"] = P(p_int(lambda a, b: np.where(b < 0, -a, np.where(b == 0, 0, a)),
                                   w))
    t["vpmaddwd"] = P(p_pairs(2, 4, lambda a, b: a.astype(np.int64) * b, signed=True))
    t["vpackssdw"] = P(p_pack(4, 2, True))
    t["vpacksswb"] = P(p_pack(2, 1, True))
    t["vpackusdw"] = P(p_pack(4, 2, False))
    t["vpackuswb"] = P(p_pack(2, 1, False))
    t["vpsadbw"] = P(p_sadbw)
    for s_, sw in (("b", 1), ("w", 2), ("d", 4)):
        for d_, dw in (("w", 2), ("d", 4), ("q", 8)):
            if dw > sw:
                t[f"vpmovsx{s_}{d_}"] = P(p_movsx(sw, dw))
    t["vpshufhw"] = G(g_pshufhlw(True))
    t["vpshuflw"] = G(g_pshufhlw(False))
    for s_, w in (("w", 2), ("d", 4)):
        t[f"vphadd{s_}"] = P(p_hint(w, lambda a, b: a + b))
        t[f"vphsub{s_}"] = P(p_hint(w, lambda a, b: a - b))
    t["vphaddsw"] = P(p_hint(2, lambda a, b: np.clip(a + b, -32768, 32767)))
    t["vphsubsw"] = P(p_hint(2, lambda a, b: np.clip(a - b, -32768, 32767)))
    t["vpmaddubsw"] = P(p_maddubsw)
    t["vpmulhrsw"] = P(p_int(lambda a, b: ((a.astype(np.int32) * b >> 14) + 1) >> 1, 2))
    t["vcvtph2ps"] = P(p_cvtph2ps)
    t["vcvtps2ph"] = P(p_cvtps2ph)
    t["vpmovmskb"] = P(p_movmsk(1))
    t["vmovmskpd"] = P(p_movmsk(8))
    t["vmovmskps"] = P(p_movmsk(4))
    t["vptest"] = t["vtestpd"] = t["vtestps"] = P(p_ptest)
    for m, w in (("vcomisd", 8), ("vucomisd", 8), ("vcomiss", 4), ("vucomiss", 4)):
        t[m] = P(p_comis(w))
    t["vcvttsd2si"] = P(p_cvt2si(8, True))
    t["vcvtsd2si"] = P(p_cvt2si(8, False))
    t["vcvttss2si"] = P(p_cvt2si(4, True))
    t["vcvtss2si"] = P(p_cvt2si(4, False))
    t["vcvtsi2sd"] = P(p_cvtsi2(8))
    t["vcvtsi2ss"] = P(p_cvtsi2(4))
    t["vcvtdq2pd"] = P(p_cvt_packed(lambda s, insn: np.frombuffer(
        s, dtype=np.int32).astype(np.float64)[:insn.ops[0].size // 8].tobytes()))
    t["vcvtdq2ps"] = P(p_cvt_packed(lambda s, insn: np.frombuffer(
        s, dtype=np.int32).astype(np.float32).tobytes()))
    t["vcvttpd2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 8, len(s) // 8, True)))
    t["vcvtpd2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 8, len(s) // 8, False)))
    t["vcvttps2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 4, len(s) // 4, True)))
    t["vcvtps2dq"] = P(p_cvt_packed(lambda s, insn: _cvt_dq(s, 4, len(s) // 4, False)))
    t["vroundsd"] = P(p_round(8, True))
    t["vroundss"] = P(p_round(4, True))
    t["vroundpd"] = P(p_round(8, False))
    t["vroundps"] = P(p_round(4, False))
    t["vstmxcsr"] = P(p_stmxcsr)
    t["vldmxcsr"] = Entry("passive", p_ldmxcsr, reads_dst=True)  # its operand is a source
    t["xgetbv"] = P(p_xgetbv)  # hooked only when the machine shows an x86-64-v3 CPU
    for k in ("andn", "shlx", "shrx", "sarx", "rorx", "bzhi", "blsr", "blsi", "blsmsk",
              "bextr", "pdep", "pext", "mulx"):
        t[k] = P(p_bmi(k))
    return t


TABLE = _build()
# byte maps computed from operand values at run time (not cacheable per address)
_DYNAMIC_MAPS = frozenset(e.fn for m, e in TABLE.items() if e.flow == "gather" and (
    m.startswith(("vblendv", "vpblendvb", "vpshufb", "vmaskmov", "vpmaskmov", "vpermil",
                  "vpermd", "vpermps"))))
CMP_SUFFIX = {"pd": (8, False), "ps": (4, False), "sd": (8, True), "ss": (4, True)}


def entry_for(mnemonic: str) -> Entry | None:
    """The table entry; the vcmp<predicate><suffix> pseudo-mnemonics share one each."""
    e = TABLE.get(mnemonic)
    if e is None and mnemonic.startswith("vcmp") and mnemonic[-2:] in CMP_SUFFIX:
        w, sc = CMP_SUFFIX[mnemonic[-2:]]
        e = Entry("passive", p_cmp(w, sc))
        TABLE[mnemonic] = e
    return e


def _flow_cvt(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    wo = 12 - w  # 4 <-> 8
    if e.scalar:  # vcvtss2sd x1, x2, x3/m: lane 0 from operand 2, the rest of operand 1
        x = unit.in_(_f(vals[2][:w], w), w)
        with np.errstate(all="ignore"):
            r = unit.res(x.astype(F[wo]), wo)
        raw = r.tobytes()
        ex.out = raw + vals[1][wo:16]
        return
    src = vals[1]
    n = ex.insn.ops[0].size // wo if w == 4 else len(src) // w
    x = unit.in_(_f(src, w)[:n], w)
    with np.errstate(all="ignore"):
        raw = unit.res(x.astype(F[wo]), wo).tobytes()
    ex.out = raw + bytes(max(0, 16 - len(raw)))


def _flow_cvt_any(unit: VexUnit, ex: Exec) -> None:
    _flow_cvt(unit, ex)
    if unit.rmode and ex.entry.w == 8:  # double -> float rounds
        src = ex.vals[2] if ex.entry.scalar else ex.vals[1]
        n = 1 if ex.entry.scalar else len(src) // 8
        ex.out = _patch(unit, ex.out, 4, n,
                        lambda j: rounding.convert(_directed_in(unit, src, j, 8), unit.rmode, 4))


FLOWS["cvt"] = _flow_cvt_any


def combo_formulas(insn: Insn, w: int, kind: str) -> list[tuple[int, int, int, int, str]]:
    """Result lane j = (operand, lane) op (operand, lane) for the horizontal and alternating
    forms; lanes index the whole register (128-bit halves handled here)."""
    n = max(insn.ops[0].size, 16) // w
    per = 16 // w
    out = []
    for j in range(n):
        base, k = (j // per) * per, j % per
        if kind == "addsub":
            out.append((1, j, 2, j, "sub" if j % 2 == 0 else "add"))
            continue
        op = "add" if kind == "hadd" else "sub"
        src = 1 if k < per // 2 else 2
        i = base + 2 * (k % (per // 2))
        out.append((src, i, src, i + 1, op))
    return out


def _flow_combo(unit: VexUnit, ex: Exec) -> None:
    e, vals = ex.entry, ex.vals
    w = e.w
    forms = combo_formulas(ex.insn, w, e.op)
    arrs = {k: unit.in_(_f(vals[k], w), w) for k in (1, 2)}
    res = []
    for oa, la, ob, lb, op in forms:
        res.append(_binop(op, arrs[oa][la:la + 1], arrs[ob][lb:lb + 1], w)[0])
    ex.out = unit.res(np.array(res, dtype=F[w]), w).tobytes()
    ex.extra = forms


FLOWS["combo"] = _flow_combo


def _flow_vgather(unit: VexUnit, ex: Exec) -> None:
    """vgatherdpd & co: element j (selected by the sign bit of mask lane j) loaded from
    base + index[j]*scale + disp; unselected elements keep the destination's; elements
    beyond the index count and the bytes above a 128-bit destination are zeroed; the mask
    register ends all zero. ex.extra: the (element offset, address) pairs loaded."""
    m = ex.insn.mnemonic
    ew = 8 if m.endswith(("pd", "q")) else 4
    iw = 4 if m.replace("vpgather", "").replace("vgather", "")[0] == "d" else 8
    base, vi, vsize, scale, disp, seg = ex.vals[1]
    dst, mask = ex.vals[0], ex.vals[2]
    idx = unit.vec(vi, vsize)
    n = min(len(dst) // ew, vsize // iw)
    b = unit.fast.gpr(base) if base >= 0 else 0
    if seg:
        b += unit.fast.reg(fastuc.UC_FS_BASE if seg == 1 else fastuc.X.UC_X86_REG_GS_BASE)
    out = bytearray(dst[:n * ew])
    loads = []
    for j in range(n):
        if not mask[j * ew + ew - 1] & 0x80:
            continue
        k = int.from_bytes(idx[j * iw:(j + 1) * iw], "little", signed=True)
        a = (b + k * scale + disp) & _MASK64
        out[j * ew:(j + 1) * ew] = unit.read_mem(a, ew)
        loads.append((j * ew, a))
    ex.out = bytes(out)
    ex.extra = (ew, loads, n * ew)
    mi = ex.insn.ops[2].reg.index
    unit.set_vec(mi, bytes(16), 32)


def _flow_dot(unit: VexUnit, ex: Exec) -> None:
    """vdppd/vdpps: per 128-bit half, the products picked by imm bits 4.. (others +0.0),
    summed as the CPU does (dpps: (p0+p1)+(p2+p3)), the sum in the lanes of imm bits 0..,
    +0.0 elsewhere. Every product and sum rounds to the lane type."""
    w = ex.entry.w
    imm = ex.insn.ops[-1].imm
    per = 16 // w
    a, b = (unit.in_(_f(ex.vals[k], w), w) for k in (1, 2))
    zero = F[w](0.0)
    out = []
    with np.errstate(all="ignore"):
        for h in range(len(a) // per):
            p = [a[h * per + k] * b[h * per + k] if imm >> (4 + k) & 1 else zero
                 for k in range(per)]
            sm = p[0] + p[1] if w == 8 else (p[0] + p[1]) + (p[2] + p[3])
            out += [sm if imm >> k & 1 else zero for k in range(per)]
    ex.out = unit.res(np.array(out, dtype=F[w]), w).tobytes()


FLOWS["dot"] = _flow_dot
FLOWS["vgather"] = _flow_vgather
for _m in ("vgatherdpd", "vgatherqpd", "vgatherdps", "vgatherqps", "vpgatherdd", "vpgatherdq",
           "vpgatherqd", "vpgatherqq"):
    TABLE[_m] = Entry("vgather", None, reads_dst=True)
TABLE["vdppd"] = Entry("dot", None, 8, "dot")
TABLE["vdpps"] = Entry("dot", None, 4, "dot")
for _w, _s in ((8, "pd"), (4, "ps")):
    for _k in ("hadd", "hsub", "addsub"):
        TABLE[f"v{_k}{_s}"] = Entry("combo", None, _w, _k)

__all__ = ["TABLE", "VexUnit", "Entry", "Exec", "GuestFault", "entry_for",
           "fma_signs", "FMA_ORDER"]
