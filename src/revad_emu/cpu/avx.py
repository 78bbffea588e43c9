"""Execute VEX-encoded instructions (AVX, AVX2, FMA, BMI1/2) in Python instead of Unicorn.

Unicorn 2.1.4 computes some 128-bit VEX instructions wrongly without an error and rejects
FMA and every 256-bit instruction (DESIGN §2), so no VEX instruction may ever reach it. The
machine's block vetting finds each VEX instruction before its translation block first runs
and gives it a one-address code hook (`Machine._vex_hit`), which calls `VexUnit.execute`:
read the operands, compute the result here, write it back, set RIP past the instruction.

The upper halves of the ymm registers live here (`hi`, 16 × 16 bytes): Unicorn's xmm
registers hold the lower halves. Legacy SSE instructions (run by Unicorn) leave the upper
halves alone, as on the CPU; VEX.128 instructions zero them.

Semantics are tables (`TABLE` in vex/table.py, one entry per mnemonic): an entry names
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

from revad_emu.cpu.vex.core import Entry, Exec, GuestFault
from revad_emu.cpu.vex.flows import FMA_ORDER, fma_signs
from revad_emu.cpu.vex.table import TABLE, entry_for
from revad_emu.cpu.vex.unit import VexUnit

# The executor lives in the vex subpackage: core.py (entries, execution records, lane
# helpers), unit.py (VexUnit: operands, registers, memory, RIP), flows.py (how each kind of
# instruction computes), maps.py (byte maps of data movement), passive.py (integer, compare,
# conversion, BMI semantics), table.py (one entry per mnemonic). This module is its face.

__all__ = ["TABLE", "VexUnit", "Entry", "Exec", "GuestFault", "entry_for", "fma_signs",
           "FMA_ORDER"]
