"""The VEX unit: one per machine; executes VEX instructions and keeps the upper ymm halves
(the overview is in revad_emu/cpu/avx.py)."""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

from revad_emu.cpu import fastuc
from revad_emu.cpu.decode import Decoder, Insn
from revad_emu.cpu.vex.core import (
    _MASK64,
    AF,
    CF,
    OF,
    PF,
    SF,
    ZF,
    Entry,
    Exec,
    GuestFault,
    _flush_arr,
)
from revad_emu.cpu.vex.flows import FLOWS
from revad_emu.cpu.vex.table import entry_for
from revad_emu.errors import UnsupportedInstruction

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

        from revad_emu.cpu.decode import GPR_OF_CS, REGS

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
        from revad_emu.cpu.locations import gpr_loc, xmm_loc

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

