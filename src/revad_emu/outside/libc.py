"""Where the C library converts numbers, and where `main` is — found in the loaded code.

Every way a C, C++ or Fortran program turns text into a floating-point number ends in one of
glibc's three converters `____strto{d,f,ld}_l_internal`: `strtod`, `atof`, `strtod_l` and
`__strtod_internal` are wrappers that only jump there; `scanf`'s `%f %lf %Lf` call
`__strto*_internal`; libstdc++'s `operator>>` calls `strtod_l`, `std::stod` calls `strtod`;
libgfortran's READ calls `strtod`/`strtof`/`strtold`. Likewise every `%f %e %g` conversion
(printf family, `strfromd`, libstdc++'s `vsnprintf` for `ostream<<`, libgfortran's
`snprintf` for WRITE) ends in `__printf_fp_l(FILE*, locale, const printf_info*, const void
*const *args)`, and `%a` in `__printf_fphex(FILE*, const printf_info*, const void *const
*args)`. Hooking those few functions catches every caller, static or dynamic.

A static binary names them in `.symtab`. The shared libc.so.6 exports only the wrappers, so
the internal function is found by following the wrapper's jump (`strtod: ... jmp internal`).
`__printf_fphex` is neither exported nor reached by a wrapper; `strfromd` calls it right
after its `__printf_fp_l` call, which is how it is found.
"""

from __future__ import annotations

import capstone

_CS = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
_CSD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
_CSD.detail = True

# kind → (internal names, wrapper names); kind: d/f/l = double/float/long double result
PARSERS = {
    "d": (("____strtod_l_internal",),
          ("strtod", "__strtod_internal", "__strtod_l", "strtod_l", "atof")),
    "f": (("____strtof_l_internal",), ("strtof", "__strtof_internal", "__strtof_l", "strtof_l")),
    "l": (("____strtold_l_internal",),
          ("strtold", "__strtold_internal", "__strtold_l", "strtold_l")),
}
PRINT_FP = (("__printf_fp_l",), ("__printf_fp",))


def follow_jumps(mem, addr: int, limit: int = 4) -> int:
    """The function a short wrapper tail-jumps to (itself if it does other things first)."""
    for _ in range(limit):
        code = mem(addr, 48) or b""
        nxt = None
        for a, size, mnem, ops in _CS.disasm_lite(code, addr, 8):
            if mnem == "jmp" and ops.startswith("0x"):
                nxt = int(ops, 16)
                break
            if mnem in ("call", "ret", "jmp") or mnem.startswith("j") or a - addr > 40:
                break
            del size
        if nxt is None:
            return addr
        addr = nxt
    return addr


def _lookup(symbols, names) -> list[int]:
    out = []
    for n in names:
        a = symbols.address_of(n)
        if a is not None:
            out.append(a)
    return out


def parser_entries(symbols, mem) -> dict[int, str]:
    """Address of each number converter → 'd', 'f' or 'l'."""
    out: dict[int, str] = {}
    for kind, (internal, wrappers) in PARSERS.items():
        for a in _lookup(symbols, internal):
            out[a] = kind
        for a in _lookup(symbols, wrappers):
            out.setdefault(follow_jumps(mem, a), kind)
    return out


def printer_entries(symbols, mem) -> dict[int, str]:
    """Address of `__printf_fp_l` → 'fp' and of `__printf_fphex` → 'hex'."""
    out: dict[int, str] = {}
    fp = _lookup(symbols, PRINT_FP[0]) or [follow_jumps(mem, a)
                                           for a in _lookup(symbols, PRINT_FP[1])]
    for a in fp:
        out[a] = "fp"
    hexes = _lookup(symbols, ("__printf_fphex",))
    if not hexes and fp:
        for a in _lookup(symbols, ("strfromd",)):
            h = _call_after(mem, a, set(fp))
            if h is not None:
                hexes.append(h)
    for a in hexes:
        out.setdefault(a, "hex")
    return out


def _call_after(mem, addr: int, first: set[int]) -> int | None:
    """In the function at addr: the target of the first direct call that follows a call to
    one of `first` and goes elsewhere."""
    code = mem(addr, 0x300) or b""
    seen = False
    for _a, _s, mnem, ops in _CS.disasm_lite(code, addr):
        if mnem != "call" or not ops.startswith("0x"):
            continue
        t = int(ops, 16)
        if t in first:
            seen = True
        elif seen:
            return t
    return None


def main_address(symbols, exe, base: int, mem) -> int | None:
    """`main` by symbol, else (stripped programs) the pointer `_start` passes in rdi to
    `__libc_start_main`."""
    a = exe.symbols.by_name.get("main")
    if a is not None:
        return base + a
    entry = base + exe.entry
    code = mem(entry, 64) or b""
    found = None
    for insn in _CSD.disasm(code, entry):
        if insn.mnemonic == "call":
            break
        if insn.mnemonic in ("mov", "lea") and len(insn.operands) == 2 and \
                insn.reg_name(insn.operands[0].reg) == "rdi":
            op = insn.operands[1]
            if op.type == capstone.x86.X86_OP_IMM:
                found = op.imm
            elif op.type == capstone.x86.X86_OP_MEM and op.mem.base == capstone.x86.X86_REG_RIP:
                found = insn.address + insn.size + op.mem.disp
    return found
