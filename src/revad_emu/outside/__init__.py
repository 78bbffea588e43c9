"""Inputs and outputs chosen from outside an unmodified program (`--input`/`--output`).

`spec` parses selectors; `hooks.Outside` marks the values during a recording run; `libc`
finds the C library's number converters; `textlog` names values by where their text came
from or went; `dwarf` reads types and parameter classes from debug information.
"""

from revad_emu.outside.spec import Selector, SelectorError, parse, parse_all

__all__ = ["Selector", "SelectorError", "parse", "parse_all"]
