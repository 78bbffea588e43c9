"""Calling and differentiating single functions of compiled libraries (`rv.load`)."""

from revad_emu.functions.library import CallError, DerivativeWarning, Function, Library, load
from revad_emu.functions.prototype import PrototypeError, parse

__all__ = ["CallError", "DerivativeWarning", "Function", "Library", "PrototypeError", "load",
           "parse"]
