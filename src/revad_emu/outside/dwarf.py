"""What DWARF says about a variable's type or a function's parameters.

Only what selectors need: the floating-point kind and element count of a global variable, and
the SysV class (integer, sse, x87) of each parameter and of the return value of a function.
Parsed with pyelftools the first time a selector asks; a file without DWARF answers None.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# SysV classes of a scalar: "int" (rdi, rsi...), "sse" (xmm), "x87" (memory/st0), or None
# for aggregates and other shapes the selectors do not handle.


@dataclass(frozen=True)
class VarType:
    fp: str | None  # "double", "float", "long double", or None (not floating point)
    count: int      # elements (1 for a scalar)


@dataclass(frozen=True)
class Param:
    name: str
    cls: str | None  # "int", "sse", "x87", or None (an aggregate: not supported)
    fp: str | None   # floating-point type word, if any


@dataclass(frozen=True)
class FuncInfo:
    params: tuple[Param, ...]
    ret: Param | None


def _attr(die, name):
    a = die.attributes.get(name)
    return None if a is None else a.value


def _strip(die):
    """Follow typedef/const/volatile/restrict to the type that matters."""
    seen = 0
    while die is not None and die.tag in ("DW_TAG_typedef", "DW_TAG_const_type",
                                          "DW_TAG_volatile_type", "DW_TAG_restrict_type",
                                          "DW_TAG_atomic_type") and seen < 32:
        die = die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes \
            else None
        seen += 1
    return die


def _type_of(die):
    return _strip(die.get_DIE_from_attribute("DW_AT_type")) if "DW_AT_type" in \
        die.attributes else None


def _fp_word(t) -> str | None:
    if t is None or t.tag != "DW_TAG_base_type" or _attr(t, "DW_AT_encoding") != 4:
        return None
    name = (_attr(t, "DW_AT_name") or b"").decode(errors="replace")
    if "128" in name or "_Float16" in name:
        return None
    return {4: "float", 8: "double", 16: "long double", 10: "long double"}.get(
        _attr(t, "DW_AT_byte_size"))


def _class(t) -> tuple[str | None, str | None]:
    if t is None:
        return None, None
    fp = _fp_word(t)
    if fp is not None:
        return ("x87" if fp == "long double" else "sse"), fp
    if t.tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type",
                 "DW_TAG_rvalue_reference_type", "DW_TAG_enumeration_type",
                 "DW_TAG_ptr_to_member_type"):
        return "int", None
    if t.tag == "DW_TAG_base_type" and _attr(t, "DW_AT_encoding") in (2, 5, 6, 7, 8, 0x10):
        return ("int" if (_attr(t, "DW_AT_byte_size") or 0) <= 8 else None), None
    return None, None


def _count(t) -> tuple[object, int]:
    """(element type, element count) of an array type; (t, 1) otherwise."""
    n = 1
    while t is not None and t.tag == "DW_TAG_array_type":
        for sub in t.iter_children():
            if sub.tag != "DW_TAG_subrange_type":
                continue
            c = _attr(sub, "DW_AT_count")
            if c is None and isinstance(_attr(sub, "DW_AT_upper_bound"), int):
                lo = _attr(sub, "DW_AT_lower_bound")
                c = _attr(sub, "DW_AT_upper_bound") - (lo if isinstance(lo, int) else 0) + 1
            if isinstance(c, int):
                n *= c
        t = _type_of(t)
    return t, n


class Dwarf:
    """Lazily built index of one file's variables and functions by name."""

    def __init__(self, path: str):
        self.path = path
        self._vars: dict[str, object] = {}
        self._funcs: dict[str, object] = {}
        self._dw = None
        self._f = None
        self.present = self._open()

    def _open(self) -> bool:
        try:
            from elftools.elf.elffile import ELFFile

            self._f = open(self.path, "rb")  # noqa: SIM115 - kept open while DIEs are read
            ef = ELFFile(self._f)
            if not ef.has_dwarf_info() or ef.get_section_by_name(".debug_info") is None:
                return False
            self._dw = ef.get_dwarf_info()
            for cu in self._dw.iter_CUs():
                self._index(cu.get_top_DIE())
        except Exception:  # noqa: BLE001 - broken debug info: act as if there was none
            self._vars.clear()
            self._funcs.clear()
            return False
        return True

    def _index(self, die) -> None:
        for child in die.iter_children():
            if child.tag == "DW_TAG_variable":
                for key in ("DW_AT_linkage_name", "DW_AT_name"):
                    name = _attr(child, key)
                    if name and "DW_AT_type" in child.attributes:
                        self._vars.setdefault(name.decode(errors="replace"), child)
            elif child.tag == "DW_TAG_subprogram":
                for key in ("DW_AT_linkage_name", "DW_AT_MIPS_linkage_name", "DW_AT_name"):
                    name = _attr(child, key)
                    if name:
                        self._add_func(name.decode(errors="replace"), child)
                self._index(child)  # function-local statics
            elif child.tag in ("DW_TAG_namespace", "DW_TAG_module", "DW_TAG_lexical_block",
                               "DW_TAG_structure_type", "DW_TAG_class_type"):
                self._index(child)

    def _add_func(self, name: str, die) -> None:
        old = self._funcs.get(name)
        has = any(c.tag == "DW_TAG_formal_parameter" for c in die.iter_children())
        if old is None or (has and not any(c.tag == "DW_TAG_formal_parameter"
                                           for c in old.iter_children())):
            self._funcs[name] = die

    def variable(self, name: str) -> VarType | None:
        die = self._vars.get(name)
        if die is None:
            return None
        t, n = _count(_type_of(die))
        return VarType(_fp_word(t), n)

    def function(self, name: str) -> FuncInfo | None:
        die = self._funcs.get(name)
        if die is None and name.endswith("_"):
            die = self._funcs.get(name[:-1])  # Fortran: symbol f_ for procedure f
        if die is None:
            return None
        params = []
        for c in die.iter_children():
            if c.tag != "DW_TAG_formal_parameter":
                continue
            cls, fp = _class(_type_of(c))
            params.append(Param((_attr(c, "DW_AT_name") or b"?").decode(errors="replace"),
                                cls, fp))
        ret = None
        if "DW_AT_type" in die.attributes:
            cls, fp = _class(_type_of(die))
            ret = Param("ret", cls, fp)
        return FuncInfo(tuple(params), ret)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


@lru_cache(maxsize=8)
def dwarf_of(path: str, _mtime: float) -> Dwarf:
    return Dwarf(path)
