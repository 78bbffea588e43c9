"""C prototype strings → parameter and result descriptions for calling compiled functions.

Accepted: `double energy(const double *x, int n)`, `double(const double *, const int *n)`,
`void f(void)`. Types: double, float, long double, the integer types (int, long, long long,
short, char, signed/unsigned variants, size_t, ssize_t, ptrdiff_t, intN_t, uintN_t),
_Bool/bool, and one level of pointer to any of them; `const` marks read-only pointees.
Kept deliberately small: this is what a numerical function's interface looks like, and a
prototype outside it gets a one-line error rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# Scalar kinds: name -> (numpy dtype, size in bytes, class) where class is "f" (floating
# point, passed in xmm), "x" (x87 long double, passed in memory) or "i" (integer class).
SCALARS: dict[str, tuple[str, int, str]] = {
    "double": ("float64", 8, "f"), "float": ("float32", 4, "f"),
    "long double": ("longdouble", 16, "x"),
    "char": ("int8", 1, "i"), "signed char": ("int8", 1, "i"), "unsigned char": ("uint8", 1, "i"),
    "short": ("int16", 2, "i"), "unsigned short": ("uint16", 2, "i"),
    "int": ("int32", 4, "i"), "unsigned int": ("uint32", 4, "i"),
    "long": ("int64", 8, "i"), "unsigned long": ("uint64", 8, "i"),
    "long long": ("int64", 8, "i"), "unsigned long long": ("uint64", 8, "i"),
    "size_t": ("uint64", 8, "i"), "ssize_t": ("int64", 8, "i"), "ptrdiff_t": ("int64", 8, "i"),
    "int8_t": ("int8", 1, "i"), "uint8_t": ("uint8", 1, "i"),
    "int16_t": ("int16", 2, "i"), "uint16_t": ("uint16", 2, "i"),
    "int32_t": ("int32", 4, "i"), "uint32_t": ("uint32", 4, "i"),
    "int64_t": ("int64", 8, "i"), "uint64_t": ("uint64", 8, "i"),
    "_Bool": ("bool", 1, "i"), "bool": ("bool", 1, "i"),
}

_ALIASES = {
    "short int": "short", "signed short": "short", "signed short int": "short",
    "unsigned short int": "unsigned short", "signed": "int", "signed int": "int",
    "unsigned": "unsigned int", "long int": "long", "signed long": "long",
    "signed long int": "long", "unsigned long int": "unsigned long",
    "long long int": "long long", "signed long long": "long long",
    "unsigned long long int": "unsigned long long",
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_KEYWORDS = {"const", "volatile", "restrict", "__restrict", "__restrict__", "signed",
             "unsigned", "short", "long", "int", "char", "double", "float", "void", "_Bool",
             "bool", "size_t", "ssize_t", "ptrdiff_t", "struct", "enum", "union"} | set(SCALARS)


class PrototypeError(ValueError):
    """The prototype string is not one revad_emu understands (one-line message)."""


@dataclass(frozen=True)
class CType:
    """A parameter or result type: a scalar, or a pointer to one."""

    base: str            # key of SCALARS, or "void"
    pointer: bool = False
    const: bool = False  # the pointee is const (pointers only)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(SCALARS[self.base][0])

    @property
    def klass(self) -> str:
        return SCALARS[self.base][2]

    @property
    def is_float(self) -> bool:
        return self.base in ("double", "float", "long double")

    def __str__(self) -> str:
        if not self.pointer:
            return self.base
        return ("const " if self.const else "") + self.base + " *"


@dataclass(frozen=True)
class Param:
    name: str
    type: CType

    @property
    def is_input(self) -> bool:
        """Differentiable input: a floating-point scalar or any floating-point pointer."""
        return self.type.is_float

    @property
    def is_output(self) -> bool:
        """An output: a non-const floating-point pointer (its contents after the call)."""
        return self.type.is_float and self.type.pointer and not self.type.const


@dataclass(frozen=True)
class Prototype:
    name: str | None
    result: CType
    params: tuple[Param, ...]

    def __str__(self) -> str:
        args = ", ".join(f"{p.type}{'' if p.type.pointer else ' '}{p.name}" for p in self.params)
        return f"{self.result} {self.name or ''}({args or 'void'})".replace("* ", "*")


def parse(text: str) -> Prototype:
    """Parse a C prototype; raise PrototypeError with the reason."""
    s = " ".join(text.strip().rstrip(";").split())
    if "(" not in s or not s.endswith(")"):
        raise PrototypeError(f"prototype {text!r}: expected `type name(params)`")
    head, _, rest = s.partition("(")
    inner = rest[:-1].strip()
    if "(" in inner or ")" in inner:
        raise PrototypeError(f"prototype {text!r}: function pointers are not supported")
    result, name = _decl(head, text, allow_void=True, what="result")
    params: list[Param] = []
    if inner and inner != "void":
        for k, part in enumerate(inner.split(",")):
            if part.strip() == "...":
                raise PrototypeError(f"prototype {text!r}: variadic functions are not supported")
            t, pname = _decl(part, text, allow_void=False, what=f"parameter {k + 1}")
            params.append(Param(pname or f"arg{k}", t))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise PrototypeError(f"prototype {text!r}: repeated parameter name")
    return Prototype(name, result, tuple(params))


def _decl(decl: str, text: str, *, allow_void: bool, what: str) -> tuple[CType, str | None]:
    """`const double *x` → (CType, 'x'); the name is optional."""
    # `x[]` / `x[n]` / `[]` in a parameter list mean a pointer, as in C
    decl = re.sub(r"(\w*)\s*\[[^\]]*\]\s*$", r"* \1", decl.strip())
    d = decl.replace("*", " * ").split()
    if not d:
        raise PrototypeError(f"prototype {text!r}: empty {what}")
    name = None
    if d and _IDENT.fullmatch(d[-1]) and d[-1] not in _KEYWORDS:
        name = d.pop()
    stars = d.count("*")
    if stars > 1:
        raise PrototypeError(f"prototype {text!r}: {what} has more than one level of pointer")
    pointer = stars == 1
    if pointer:
        i = d.index("*")
        before, after = d[:i], d[i + 1:]
        if any(w not in ("const", "restrict", "__restrict", "__restrict__") for w in after):
            raise PrototypeError(f"prototype {text!r}: cannot read {what} {decl.strip()!r}")
    else:
        before = d
    const = "const" in before
    words = [w for w in before if w not in ("const", "volatile")]
    base = " ".join(words)
    base = _ALIASES.get(base, base)
    if base == "void":
        if pointer:
            raise PrototypeError(f"prototype {text!r}: void * {what} is not supported (give the "
                                 "pointee type)")
        if not allow_void:
            raise PrototypeError(f"prototype {text!r}: {what} cannot be void")
        return CType("void"), name
    if base not in SCALARS:
        if words and words[0] in ("struct", "union", "enum"):
            raise PrototypeError(f"prototype {text!r}: {what}: structs, unions and enums are not "
                                 "supported")
        raise PrototypeError(f"prototype {text!r}: unknown type {base!r} in {what}")
    if pointer and allow_void:
        raise PrototypeError(f"prototype {text!r}: functions returning pointers are not "
                             "supported")
    return CType(base, pointer, const and pointer), name
