"""Locations: one flat byte address space for guest memory and the registers.

Guest addresses stay below 2**60; every register gets bytes above it, so "where a value is"
is one integer whether it lives in memory, a general-purpose, vector or x87 register. The
decoder names operands this way and the AD layer's shadow state is keyed by it.
"""

from __future__ import annotations

REG_BASE = 1 << 60
GPR_BASE = REG_BASE            # 16 GPRs, 8 bytes each
XMM_BASE = REG_BASE + 0x1000   # 16 vector registers, 32 bytes each (ymm)
X87_BASE = REG_BASE + 0x2000   # 8 physical x87 registers, 16 bytes each (10 used)


def gpr_loc(i: int) -> int:
    return GPR_BASE + 8 * i


def xmm_loc(i: int) -> int:
    return XMM_BASE + 32 * i


def x87_loc(phys: int) -> int:
    return X87_BASE + 16 * phys
