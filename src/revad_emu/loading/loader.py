"""The initial process image of an x86-64 Linux program, as plain data.

`load_image` does what execve does before the first instruction: it places the program and
its interpreter (PT_LOAD segments, PIE programs at a fixed base), fixes the program break,
checks the argument limits and lays out the initial stack with argv, envp and auxv. The
result, a `ProcessImage`, says what to map and write, where the stack pointer starts and
where execution begins; `cpu/machine.py` applies it to its Unicorn engine. Keeping it plain
data keeps ELF loading free of Unicorn and AD, and lets a start-up snapshot (cpu/startup.py)
replace the fresh image without mapping it first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from revad_emu.loading.elf import ElfError, ElfFile, read_elf
from revad_emu.loading.stack import (
    AT_BASE,
    AT_CLKTCK,
    AT_EGID,
    AT_ENTRY,
    AT_EUID,
    AT_FLAGS,
    AT_GID,
    AT_HWCAP,
    AT_HWCAP2,
    AT_MINSIGSTKSZ,
    AT_PAGESZ,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_SECURE,
    AT_UID,
    HWCAP_X86_64,
    build_stack,
    check_exec_limits,
)

PIE_BASE = 0x5555_5555_4000
INTERP_BASE = 0x7FFF_F7FC_3000
STACK_TOP = 0x7FFF_FFFF_F000
STACK_SIZE = 8 << 20


@dataclass(frozen=True)
class Mapping:
    """One PT_LOAD segment placed in memory: the pages to map (zeroed), then `data` written
    at `data_addr` (the file part; the rest of the pages, bss included, stays zero)."""

    start: int
    size: int
    prot: int
    name: str
    data_addr: int
    data: bytes
    elf_path: str   # for the error message when the pages cannot be mapped


@dataclass(frozen=True)
class Module:
    """A loaded file for the symbolizer: its load base and the range its segments cover."""

    path: str
    base: int
    start: int
    end: int
    elf: ElfFile


@dataclass
class ProcessImage:
    """Everything a machine needs to start the program: mappings in order (program, then
    interpreter), the stack mapping and its initial bytes, the registers' start values,
    the program break and the modules the symbolizer knows from the start."""

    exe: ElfFile
    mappings: list[Mapping]
    modules: list[Module]
    brk: int
    stack_start: int
    stack_size: int
    sp: int             # initial RSP; the stack's bytes from here up to stack_top
    stack_bytes: bytes
    entry: int          # where execution begins (the interpreter's entry when there is one)
    auxv: list[tuple[int, int]] = field(default_factory=list)  # the load-dependent pairs


def _place(elf: ElfFile, base: int, name: str) -> tuple[list[Mapping], Module]:
    maps = []
    for seg in elf.segments:
        start = (base + seg.vaddr) & ~0xFFF
        end = (base + seg.vaddr + seg.memsz + 0xFFF) & ~0xFFF
        maps.append(Mapping(start, end - start, seg.prot | 1, name, base + seg.vaddr,
                            elf.data[seg.offset:seg.offset + seg.filesz], elf.path))
    return maps, Module(elf.path, base, base + elf.min_vaddr, base + elf.max_vaddr, elf)


def load_image(path: str, exe: ElfFile, argv: list[str], env: dict[str, str]) -> ProcessImage:
    """The initial image of `exe` (read from the absolute `path`) run with `argv` (argv[0]
    included) and `env`. Raises ElfError when the interpreter cannot be read and
    ArgumentListTooLong where Linux's execve would fail with E2BIG."""
    base = PIE_BASE if exe.is_pie else 0
    mappings, mod = _place(exe, base, os.path.basename(path))
    modules = [mod]
    entry = base + exe.entry
    interp_base = 0
    if exe.interp:
        try:
            interp = read_elf(exe.interp)
        except ElfError as e:
            raise ElfError(f"{path}: program interpreter {exe.interp} cannot be loaded "
                           f"({e})") from None
        interp_base = INTERP_BASE - interp.min_vaddr
        maps, mod = _place(interp, interp_base, os.path.basename(exe.interp))
        mappings += maps
        modules.append(mod)
        entry = interp_base + interp.entry
    brk = (base + exe.max_vaddr + 0xFFF) & ~0xFFF
    # os.fsencode: names and values that are not UTF-8 arrive as the bytes they were
    args = [os.fsencode(a) for a in argv]
    envp = [os.fsencode(f"{k}={v}") for k, v in env.items()]
    execfn = os.fsencode(path)
    check_exec_limits(args, envp, execfn, STACK_SIZE)
    aux = [(AT_PHDR, base + exe.phdr_vaddr()), (AT_PHENT, 56), (AT_PHNUM, exe.phnum),
           (AT_PAGESZ, 4096), (AT_BASE, interp_base), (AT_FLAGS, 0),
           (AT_ENTRY, base + exe.entry), (AT_UID, 1000), (AT_EUID, 1000), (AT_GID, 1000),
           (AT_EGID, 1000), (AT_SECURE, 0), (AT_HWCAP, HWCAP_X86_64), (AT_HWCAP2, 0),
           (AT_CLKTCK, 100), (AT_MINSIGSTKSZ, 2048)]
    # The stack's writes are gathered into one buffer from the final stack pointer to the
    # top; the stack is mapped zeroed, so writing the buffer there gives the same memory.
    stack_start = STACK_TOP - STACK_SIZE
    pieces: list[tuple[int, bytes]] = []
    sp = build_stack(lambda addr, data: pieces.append((addr, bytes(data))), STACK_TOP, args,
                     envp, aux, execfn)
    stack = bytearray(STACK_TOP - sp)
    for addr, data in pieces:
        stack[addr - sp:addr - sp + len(data)] = data
    return ProcessImage(exe, mappings, modules, brk, stack_start, STACK_SIZE, sp, bytes(stack),
                        entry, aux)
