"""Register and memory bytes as binary64 values: the one decoding every AD module shares.

Tape values and partials are binary64 whatever the operand width; an 80-bit x87 value is
rounded to the nearest double here. Kept apart from the recorder so the instruction tables,
math-call interception and client requests can use it without importing the recorder.
"""

from __future__ import annotations

import math
import struct

_unpack_d = struct.Struct("<d").unpack_from
_unpack_f = struct.Struct("<f").unpack_from


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
