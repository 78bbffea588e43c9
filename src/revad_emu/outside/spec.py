"""Selector syntax for `--input SPEC` / `--output SPEC` (and `Emulator(inputs=, outputs=)`).

A selector names values of an unmodified program from outside:

    parsed[:N[-M]]            numbers the program parses from text (strtod, scanf, READ...)
    printed[:N[-M]]           values handed to the C library's number formatting (printf...)
    SYMBOL[[N]][:TYPE]        a global or static variable (N elements)
    FUNC[#N[-M]]:argK         K-th floating-point argument (SysV order)
    FUNC[#N[-M]]:arg[K]       K-th argument of any class (needs DWARF)
    FUNC[#N[-M]]:ret          the return value
    FUNC[#N[-M]]:*argK[N][:TYPE]   N elements the K-th integer-class argument points to
    0xADDR[:TYPE][[N]]        raw addresses (link-time addresses of the program file)

Counts start at 0 and ranges include both ends. Parsing is purely syntactic; whether a symbol
exists is checked against the program (see `outside.resolve`). Every syntax error is a
`SelectorError`, a usage error (exit status 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from revad_emu.errors import RevadError

# TYPE word → (width in bytes of the value, stride in memory)
TYPES = {"double": (8, 8), "float": (4, 4), "long double": (10, 16)}


class SelectorError(RevadError):
    """A selector that is malformed, names nothing, or matched nothing: a usage error."""

    exit_status = 2


@dataclass(frozen=True)
class Range:
    """Inclusive range of counts; `hi` None: open-ended (every one)."""

    lo: int = 0
    hi: int | None = None

    def __contains__(self, k: int) -> bool:
        return k >= self.lo and (self.hi is None or k <= self.hi)

    def text(self) -> str:
        if self.hi is None and self.lo == 0:
            return ""
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


ALL = Range()


@dataclass(frozen=True)
class Selector:
    """One parsed selector. `kind`: parsed, printed, symbol, addr, arg, argany, ret, ptr."""

    text: str
    is_input: bool
    kind: str
    name: str = ""            # symbol / function name
    range: Range = ALL        # parsed/printed counts, or FUNC#N call numbers
    index: int = 0            # K of argK / arg[K] / *argK
    count: int | None = None  # N elements (None: from DWARF or the symbol size)
    type: str | None = None   # TYPE word (None: from DWARF, else double)
    addr: int = 0             # raw address

    @property
    def flag(self) -> str:
        return f"--{'input' if self.is_input else 'output'} {self.text}"


_RANGE = r"(\d+)(?:-(\d+))?"
_NAME = r"[A-Za-z_.$][\w.$@]*"
# A function: a symbol, or a C++ name such as ns::Class::method or f(double, int).
_FUNC = r"[A-Za-z_.$~][\w.$@~]*(?:::[A-Za-z_~][\w~]*)*(?:\([\w:,*&<> ]*\)(?: const)?)?"
_PART = r"ret|arg\d+|arg\[\d+\]|\*arg\d+(?:\[\d+\])?(?::[A-Za-z_ ]+)?"


def _range(lo: str | None, hi: str | None, text: str) -> Range:
    if lo is None:
        return ALL
    a = int(lo)
    b = a if hi is None else int(hi)
    if b < a:
        raise SelectorError(f"selector {text!r}: range {a}-{b} is empty")
    return Range(a, b)


def _type(word: str | None, text: str) -> str | None:
    if word is None:
        return None
    w = " ".join(word.replace("_", " ").split())
    if w not in TYPES:
        raise SelectorError(f"selector {text!r}: unknown type {word!r} "
                            "(use double, float or long double)")
    return w


def parse(text: str, is_input: bool) -> Selector:
    """Parse one selector; raise SelectorError with the reason when it is malformed."""
    s = text.strip()
    if not s:
        raise SelectorError("empty selector")
    role = "input" if is_input else "output"
    if not is_input and s.lower().endswith((".json", ".npy", ".csv", ".txt")):
        raise SelectorError(f"--output {s}: --output selects values now; write the report to "
                            "a file with -o/--report FILE")
    m = re.fullmatch(rf"(parsed|printed)(?::{_RANGE})?", s)
    if m:
        kind = m.group(1)
        if (kind == "parsed") != is_input:
            other = "--input" if kind == "parsed" else "--output"
            raise SelectorError(f"selector {s!r}: {kind} values can only be selected with "
                                f"{other}, not as an {role}")
        return Selector(s, is_input, kind, range=_range(m.group(2), m.group(3), s))
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+)(?::([A-Za-z_ ]+?))?(?:\[(\d+)\])?", s)
    if m:
        n = int(m.group(3)) if m.group(3) else 1
        if n < 1:
            raise SelectorError(f"selector {s!r}: element count must be at least 1")
        return Selector(s, is_input, "addr", addr=int(m.group(1), 16), count=n,
                        type=_type(m.group(2), s) or "double")
    m = re.fullmatch(rf"(.+?)(?:#{_RANGE})?:({_PART})", s)
    if m and re.fullmatch(_FUNC, m.group(1)):
        return _function(s, is_input, m.group(1), _range(m.group(2), m.group(3), s),
                         m.group(4))
    m = re.fullmatch(rf"({_NAME})(?:#{_RANGE})?:(.+)", s)
    if m and re.match(r"\*?arg|ret$", m.group(4)):
        return _function(s, is_input, m.group(1), _range(m.group(2), m.group(3), s),
                         m.group(4))
    m = re.fullmatch(rf"({_NAME}(?:::[A-Za-z_]\w*)*)(?:\[(\d+)\])?(?::(.+))?", s)
    if m:
        if "#" in s:
            raise SelectorError(f"selector {s!r}: #N (a call number) needs a function part "
                                "such as :arg0 or :ret")
        n = int(m.group(2)) if m.group(2) else None
        if n is not None and n < 1:
            raise SelectorError(f"selector {s!r}: SYMBOL[N] selects the first N elements; N "
                                "must be at least 1")
        return Selector(s, is_input, "symbol", name=m.group(1), count=n,
                        type=_type(m.group(3), s))
    raise SelectorError(
        f"cannot parse selector {s!r}: expected parsed, printed, SYMBOL[N][:TYPE], "
        "FUNC[#N]:argK|arg[K]|ret|*argK[N][:TYPE] or 0xADDR:TYPE[N]")


def _function(s: str, is_input: bool, fn: str, calls: Range, part: str) -> Selector:
    if part == "ret":
        return Selector(s, is_input, "ret", name=fn, range=calls)
    m = re.fullmatch(r"arg(\d+)", part)
    if m:
        return Selector(s, is_input, "arg", name=fn, range=calls, index=int(m.group(1)))
    m = re.fullmatch(r"arg\[(\d+)\]", part)
    if m:
        return Selector(s, is_input, "argany", name=fn, range=calls, index=int(m.group(1)))
    m = re.fullmatch(r"\*arg(\d+)(?:\[(\d+)\])?(?::(.+))?", part)
    if m:
        n = int(m.group(2)) if m.group(2) else 1
        if n < 1:
            raise SelectorError(f"selector {s!r}: element count must be at least 1")
        return Selector(s, is_input, "ptr", name=fn, range=calls, index=int(m.group(1)),
                        count=n, type=_type(m.group(3), s) or "double")
    raise SelectorError(f"selector {s!r}: {part!r} is not argK, arg[K], ret or *argK[N]:TYPE")


def parse_all(inputs, outputs) -> list[Selector]:
    """Both lists, inputs first; a single string is taken as one selector."""
    out = []
    for specs, is_input in ((inputs, True), (outputs, False)):
        if isinstance(specs, str):
            specs = [specs]
        for text in specs or ():
            if not isinstance(text, str):
                raise SelectorError(f"selector {text!r}: expected a string")
            out.append(parse(text, is_input))
    return out
