"""Instruction semantics tables, one module per family, merged into one dispatch table.

Each entry maps a capstone mnemonic to a builder `(recorder, insn) -> handler | False`;
a handler is a closure run before the instruction executes. False means "nothing to track".
"""

from revad_emu.ad.isa import gpr_tricks, moves, sse, x87
from revad_emu.ad.isa.generic import generic_handler

TABLE = {**moves.TABLE, **sse.TABLE, **x87.TABLE, **gpr_tricks.TABLE}

__all__ = ["TABLE", "generic_handler"]
