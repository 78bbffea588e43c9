"""Marking inputs and outputs of an unmodified program from outside.

Entry hooks: one Unicorn code hook per function address that matters (`main`, the C
library's number converters, each selected FUNC). They are installed before the recorder's
own code hook exists, and Unicorn calls hooks at an address in the order they were added, so
an argument is marked before the recorder handles the function's first instruction (which
may already compute with it).

Return hooks: at entry the return address on the stack is replaced by the address of a
trampoline (one `nop` in a page of its own, with its own code hook); when the function
returns there, the hook does its work (the result is in xmm0/st0, the pointed-to array is
filled) and sends execution on to the real return address. Unlike a hook on each return
address, this needs no new hooks (and no flush of translated code) during the run, and it
runs before the recorder sees the caller's next instruction. Frames remember the stack
pointer, so recursion and calls abandoned by longjmp are told apart.

Globals and raw addresses are marked as inputs when `main` is entered (after static
initialisation) and read as outputs after the program exits.
"""

from __future__ import annotations

import difflib
import os
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from revad_emu.ad.libm import SYMBOLS as MATH_SYMBOLS
from revad_emu.ad.values import value_of
from revad_emu.cpu import fastuc
from revad_emu.cpu.locations import x87_loc, xmm_loc
from revad_emu.loading.elf import _sections
from revad_emu.outside import cxxnames, libc
from revad_emu.outside.dwarf import Dwarf, FuncInfo, dwarf_of
from revad_emu.outside.spec import TYPES, Selector, SelectorError
from revad_emu.outside.textlog import TextLog, number_text, stream_label

TRAMPOLINE = 0x7FFF_FE00_0000
RSP, RDI, RSI, RDX, RCX = 4, 7, 6, 2, 1
INT_ARGS = (7, 6, 2, 1, 8, 9)  # rdi rsi rdx rcx r8 r9
_FILE_WRITE_BASE, _FILE_WRITE_PTR, _FILE_FILENO = 0x20, 0x28, 0x70


@dataclass
class Frame:
    rsp: int  # stack pointer at function entry (the return address is at [rsp])
    ret: int
    items: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class Slot:
    """Where an argument lives at function entry: xmm register i, or [rsp + off]."""

    reg: int | None
    off: int
    width: int


@dataclass
class Printed:
    index: int        # position in rec.outputs
    k: int            # printed[k]
    label: str | None
    value: float
    text: bytes | None = None


class Outside:
    """The selectors of one recording run, attached to its recorder before the run."""

    def __init__(self, rec, selectors: list[Selector]):
        self.rec, self.m, self.fast = rec, rec.m, rec.fast
        self.sels = selectors
        self.hits: Counter = Counter()
        self.frames: list[Frame] = []
        self.calls: Counter = Counter()
        self.n_parsed = 0
        self.n_printed = 0
        self.printed: list[Printed] = []
        self._main_done = False
        self._entries: dict[int, list[Callable[[int], None]]] = {}
        m = self.m
        self.base = next((b for _s, _e, b, elf in m.symbols.modules() if elf is m.exe), 0)
        self.stripped = not any(name == ".symtab" for name, _ in _safe_sections(m.exe.data))
        self.resolved: dict[int, tuple[int, int, str, str]] = {}  # id(sel) → addr, n, type, nm
        self.slots: dict[int, Slot] = {}
        self.widths: dict[int, tuple[int, str]] = {}
        self._dwarf: Dwarf | None = None
        self._cxx: dict[str, str] | None = None
        self._check_before_run()
        self.log = TextLog(*self._argv_ranges())
        self._wire_text_log()
        m.mem.map(TRAMPOLINE, 0x1000, 5, "[revad-return-trampoline]")
        m.mem.write(TRAMPOLINE, b"\x90" + b"\xcc" * 15)
        self.fast.hook_code(self._guard(self._returned), TRAMPOLINE, TRAMPOLINE)
        main = libc.main_address(m.symbols, m.exe, self.base, self.fast.mem)
        if main is None:
            raise SelectorError(f"{m.path}: cannot find main (no symbol, and _start does not "
                                "pass it in rdi); outside selectors need it")
        self._again: tuple[int, int] | None = None
        self._on_entry(main, self._at_main)
        self._main = main

    # -- checks that need only the program file -----------------------------------------
    @property
    def dwarf(self) -> Dwarf:
        if self._dwarf is None:
            path = self.m.exe.path
            self._dwarf = dwarf_of(path, os.path.getmtime(path))
        return self._dwarf

    def _exe_symbol(self, name: str, flag: str = "") -> tuple[int, int, str] | None:
        """(link address, size, symbol name) of a program symbol, by its name or, for C++,
        its demangled name (see cxxnames); None if there is none."""
        st = self.m.exe.symbols
        a = st.by_name.get(name)
        if a is None:
            if self._cxx is None:
                self._cxx = cxxnames.demangle_all(st.names)
            found = cxxnames.matches(name, self._cxx)
            addrs = sorted({st.by_name[m] for m in found})
            if len(addrs) > 1:
                raise SelectorError(f"{flag}: {name!r} names {len(addrs)} functions: "
                                    f"{', '.join(self._cxx[m] + ' = ' + m for m in found)}; "
                                    "give the parameter list or the mangled name")
            if not addrs:
                return None
            name = found[0]
            a = addrs[0]
        size = max((s for x, s, n in zip(st.addrs, st.sizes, st.names, strict=True)
                    if n == name and x == a), default=0)
        return a, size, name

    def _missing(self, sel: Selector, where: str = "the program") -> SelectorError:
        if self.stripped and (sel.kind == "symbol" or not self.m.exe.interp):
            return SelectorError(f"{sel.flag}: {self.m.path} is stripped (no symbol table), so "
                                 f"{sel.name!r} cannot be found; select raw addresses with "
                                 "0xADDR:TYPE[N]")
        exe_names = self.m.exe.symbols.names
        clones = [n for n in exe_names if n.startswith(sel.name + ".")]
        if self._cxx:
            clones += cxxnames.matches(sel.name, self._cxx, clones=True)
        if clones:
            return SelectorError(
                f"{sel.flag}: the compiler left {sel.name!r} only as clone(s) "
                f"{', '.join(sorted(set(clones)))}, whose parameters may differ from the "
                "declaration; select a clone by its symbol name (its :ret is usually safe), "
                "or build with -fno-ipa-sra -fno-ipa-cp")
        names = [n for n in exe_names if not n.startswith("_") or sel.name.startswith("_")]
        if where != "the program":
            for _s, _e, _b, elf in self.m.symbols.modules():
                if elf is not self.m.exe:
                    names += [n for n in elf.symbols.names if not n.startswith("_")]
        close = difflib.get_close_matches(sel.name, sorted(set(names)), n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        strip = " (the program is stripped)" if self.stripped else ""
        return SelectorError(f"{sel.flag}: no symbol {sel.name!r} in {where}{strip}{hint}")

    def _check_before_run(self) -> None:
        exe = self.m.exe
        for sel in self.sels:
            if sel.kind == "symbol":
                self._resolve_symbol(sel)
            elif sel.kind in ("arg", "argany", "ret", "ptr"):
                if sel.name in MATH_SYMBOLS:
                    raise SelectorError(
                        f"{sel.flag}: {sel.name} is a math-library function, which revad_emu "
                        "already differentiates at its calls; select the values its caller "
                        "passes or receives instead")
                found = self._exe_symbol(sel.name, sel.flag)
                if found is None and not exe.interp:
                    raise self._missing(sel)
                if found is not None:  # else: a library function, looked up at main
                    self._function_layout(sel, self.dwarf.function(found[2]))

    def _resolve_symbol(self, sel: Selector) -> None:
        found = self._exe_symbol(sel.name, sel.flag)
        if found is None:
            raise self._missing(sel)
        addr, size, sym = found
        need = sel.type is None or sel.count is None  # DWARF is slow to index: only if asked
        info = self.dwarf.variable(sym) if need and self.dwarf.present else None
        if info is None and need and sym != sel.name and self.dwarf.present:
            info = self.dwarf.variable(sel.name.rsplit("::", 1)[-1])
        if info is not None and info.fp is None and sel.type is None:
            raise SelectorError(f"{sel.flag}: {sel.name} is not a floating-point variable "
                                "(DWARF); give :TYPE to read it anyway")
        typ = sel.type or (info.fp if info is not None else None) or "double"
        stride = TYPES[typ][1]
        n = sel.count or (info.count if info is not None else max(1, size // stride))
        avail = info.count if info is not None else (size // stride if size else None)
        if avail is not None and sel.count is not None and sel.count > max(avail, 1):
            raise SelectorError(f"{sel.flag}: {sel.name} has {avail} {typ} element(s), not "
                                f"{sel.count}")
        self.resolved[id(sel)] = (self.base + addr, n, typ, sel.name)

    def _function_layout(self, sel: Selector, info: FuncInfo | None) -> None:
        """Where argK / arg[K] / *argK lives, and the width of ret; errors for arguments
        that do not exist (as far as DWARF tells)."""
        k = sel.index
        if sel.kind == "argany" and info is None:
            raise SelectorError(f"{sel.flag}: arg[{k}] needs DWARF debug information for "
                                f"{sel.name} (build with -g), or use argK (K-th floating-point "
                                "argument)")
        if sel.kind == "ret":
            fp = "double"
            if info is not None:
                if info.ret is None or info.ret.fp is None:
                    raise SelectorError(f"{sel.flag}: {sel.name} does not return a "
                                        "floating-point value (DWARF)")
                fp = info.ret.fp
            self.widths[id(sel)] = (TYPES[fp][0], fp)
            return
        if sel.kind == "ptr":
            n_int = sum(p.cls == "int" for p in info.params) if info is not None else 6
            if k >= min(n_int, 6):
                raise SelectorError(f"{sel.flag}: {sel.name} has no integer-class argument "
                                    f"*arg{k} in a register (it has {min(n_int, 6)})")
            return
        if info is None:
            if k >= 8:
                raise SelectorError(f"{sel.flag}: without DWARF only arg0..arg7 (xmm0..xmm7) "
                                    "can be selected")
            self.slots[id(sel)] = Slot(k, 0, 8)
            return
        gi = xi = off = 0
        fp_k = 0
        for pos, p in enumerate(info.params):
            slot = None
            if p.cls == "int":
                if gi < 6:
                    gi += 1
                else:
                    off += 8
            elif p.cls == "sse":
                w = TYPES[p.fp][0]
                if xi < 8:
                    slot = Slot(xi, 0, w)
                    xi += 1
                else:
                    slot = Slot(None, off, w)
                    off += 8
            elif p.cls == "x87":
                off = (off + 15) & ~15
                slot = Slot(None, off, 10)
                off += 16
            target = (sel.kind == "arg" and slot is not None and fp_k == k) or \
                (sel.kind == "argany" and pos == k)
            if target:
                if slot is None:
                    raise SelectorError(f"{sel.flag}: argument {k} ({p.name}) of {sel.name} is "
                                        "not a floating-point value")
                self.slots[id(sel)] = slot
                return
            if p.cls is None:
                raise SelectorError(f"{sel.flag}: {sel.name} takes an aggregate argument "
                                    f"({p.name}) before the one selected; not supported")
            if slot is not None:
                fp_k += 1
        what = f"{fp_k} floating-point argument(s)" if sel.kind == "arg" else \
            f"{len(info.params)} argument(s)"
        raise SelectorError(f"{sel.flag}: {sel.name} has only {what} (DWARF)")

    # -- wiring -------------------------------------------------------------------------
    def _argv_ranges(self) -> tuple[list[tuple[int, int]], list[bytes]]:
        mem = self.m.mem
        sp = self.fast.gpr(RSP)
        argc = mem.read_u64(sp)
        ranges, texts = [], []
        for i in range(min(argc, 4096)):
            p = mem.read_u64(sp + 8 + 8 * i)
            s = mem.read_cstr(p, 1 << 16)
            ranges.append((p, p + len(s) + 1))
            texts.append(s)
        return ranges, texts

    def _wire_text_log(self) -> None:
        k = self.m.kernel
        fds = getattr(k, "_fds", {})
        prev = k.on_output
        fast, log = self.fast, self.log

        def on_output(fd: int, addr: int, n: int) -> None:
            f = fds.get(fd)
            if f is not None:
                log.wrote(f.path, fast.mem(addr, n) or b"")
            if prev is not None:
                prev(fd, addr, n)

        k.on_output = on_output
        read_file = getattr(k, "_read_file", None)
        if read_file is not None:
            def logged(f, n):
                data = read_file(f, n)
                log.read(f.path, data)
                return data

            k._read_file = logged

    def _guard(self, fn: Callable[[int], None]) -> Callable[[int, int], None]:
        m = self.m

        def hook(addr: int, _size: int) -> None:
            try:
                fn(addr)
            except BaseException as e:  # noqa: BLE001 - ctypes would swallow it
                m.fail(e)

        return hook

    def _on_entry(self, addr: int, fn: Callable[[int], None]) -> None:
        lst = self._entries.get(addr)
        if lst is None:
            lst = self._entries[addr] = []

            def dispatch(a: int) -> None:
                rsp = self.fast.gpr(RSP)
                if self._again == (a, rsp):
                    self._again = None  # the restart below: done already
                    return
                hooked = self.rec.hooked
                for f in lst:
                    f(a)
                if self.rec.hooked and not hooked:
                    # The first input installed the recorder's code hook, but the block
                    # running now was translated without it: start the block again.
                    self._again = (a, rsp)
                    self.fast.set_reg(fastuc.UC_RIP, a)

            self.fast.hook_code(self._guard(dispatch), addr, addr)
        lst.append(fn)

    def _on_return(self, fn: Callable[[], None]) -> None:
        """Run fn when the function entered just now returns (call at its first insn)."""
        rsp = self.fast.gpr(RSP)
        if self.frames and self.frames[-1].rsp == rsp:
            self.frames[-1].items.append(fn)
            return
        ret = self.m.mem.read_u64(rsp)
        self.frames.append(Frame(rsp, ret, [fn]))
        self.m.mem.write(rsp, TRAMPOLINE.to_bytes(8, "little"))

    def _returned(self, _addr: int) -> None:
        rsp = self.fast.gpr(RSP)
        while self.frames:
            f = self.frames.pop()
            if f.rsp + 8 == rsp:
                break
        else:
            raise SelectorError("internal: a return reached the trampoline with no call "
                                "waiting for it")
        self.fast.set_reg(fastuc.UC_RIP, f.ret)
        self.rec.flush()
        self._where = f.ret
        # Items of functions that share this frame (a wrapper tail-jumping into another
        # hooked function) run innermost first, as their returns would have.
        for item in reversed(f.items):
            item()

    # -- main ---------------------------------------------------------------------------
    def _at_main(self, addr: int) -> None:
        if self._main_done:
            return
        self._main_done = True
        self.rec.flush()
        self._where = addr
        syms, mem = self.m.symbols, self.fast.mem
        if any(s.kind == "parsed" for s in self.sels):
            for a, kind in libc.parser_entries(syms, mem).items():
                self._on_entry(a, lambda _a, kind=kind: self._parse(kind))
        if any(s.kind == "printed" for s in self.sels):
            for a, kind in libc.printer_entries(syms, mem).items():
                self._on_entry(a, lambda _a, kind=kind: self._print(kind))
        by_func: dict[int, list[Selector]] = {}
        for sel in self.sels:
            if sel.kind in ("arg", "argany", "ret", "ptr"):
                by_func.setdefault(self._function_address(sel), []).append(sel)
        for a, sels in by_func.items():
            self._on_entry(a, lambda fa, sels=sels: self._call(fa, sels))
        self.m.uc.ctl_flush_tb()
        for sel in self.sels:
            if sel.is_input and sel.kind in ("symbol", "addr"):
                self._memory(sel)

    def _function_address(self, sel: Selector) -> int:
        found = self._exe_symbol(sel.name, sel.flag)
        if found is not None:
            return self.base + found[0]
        a = self.m.symbols.address_of(sel.name)
        if a is None:
            raise self._missing(sel, "the program or its libraries")
        if id(sel) not in self.slots and id(sel) not in self.widths and sel.kind != "ptr":
            self._function_layout(sel, None)
        return a

    # -- marking ------------------------------------------------------------------------
    def _input(self, name: str, loc: int, raw: bytes, w: int) -> None:
        rec = self.rec
        value = value_of(raw, 0, w)
        node = rec.new_input(value, int.from_bytes(raw[:w], "little"), w, 0)
        rec.sh.set_node(loc, w, node)
        rec.inputs.append((name, node, value))

    def _output(self, name: str, loc: int, raw: bytes, w: int) -> int:
        rec = self.rec
        node = rec.sh.node_at(loc, w)
        if node:
            node = rec.operand_node(node, raw, 0, w, self._where, loc)
        rec.outputs.append((name, node, value_of(raw, 0, w)))
        return len(rec.outputs) - 1

    def _mark(self, sel: Selector, name: str, loc: int, raw: bytes | None, w: int) -> None:
        if raw is None or len(raw) < w:
            raise SelectorError(f"{sel.flag}: {name} at {loc:#x} is not in mapped memory")
        self.hits[id(sel)] += 1
        if sel.is_input:
            self._input(name, loc, raw, w)
        else:
            self._output(name, loc, raw, w)

    def _memory(self, sel: Selector) -> None:
        """Mark a global or raw-address selection (input at main, output at exit)."""
        if sel.kind == "addr":
            addr = sel.addr + (self.base if self.m.exe.is_pie else 0)
            n, typ, label = sel.count or 1, sel.type or "double", f"{sel.addr:#x}"
        else:
            addr, n, typ, label = self.resolved[id(sel)]
        w, stride = TYPES[typ]
        for i in range(n):
            loc = addr + i * stride
            name = label if n == 1 else f"{label}[{i}]"
            self._mark(sel, name, loc, self.fast.mem(loc, w), w)

    def _register(self, loc_reg: str, w: int) -> tuple[int, bytes]:
        if loc_reg == "st0":
            phys = (self.fast.reg(fastuc.UC_FPSW) >> 11) & 7
            return x87_loc(phys), self.fast.fp_raw(phys)
        return xmm_loc(0), self.fast.xmm_bytes(0)

    # -- parsed -------------------------------------------------------------------------
    def _parse(self, kind: str) -> None:
        nptr = self.fast.gpr(RDI)
        raw = b""
        for n in (128, 32, 8):
            raw = self.fast.mem(nptr, n) or b""
            if raw:
                break
        text = number_text(raw.split(b"\0", 1)[0])
        if not text:
            return
        k = self.n_parsed
        self.n_parsed += 1
        origin = self.log.origin(nptr, text)
        sels = [s for s in self.sels if s.kind == "parsed" and k in s.range]
        if not sels:
            return
        name = f"parsed[{k}]={text.decode(errors='replace')} ({origin})"
        w = {"d": 8, "f": 4, "l": 10}[kind]

        def result() -> None:
            loc, raw = self._register("st0" if kind == "l" else "xmm0", w)
            self._mark(sels[0], name, loc, raw, w)
            for s in sels[1:]:
                self.hits[id(s)] += 1

        self._on_return(result)

    # -- printed ------------------------------------------------------------------------
    def _print(self, kind: str) -> None:
        f = self.fast
        fp = f.gpr(RDI)
        info, args = (f.gpr(RDX), f.gpr(RCX)) if kind == "fp" else (f.gpr(RSI), f.gpr(RDX))
        flags = (f.mem(info + 12, 1) or b"\0")[0]
        ptr_raw = f.mem(args, 8)
        if ptr_raw is None:
            return
        ptr = int.from_bytes(ptr_raw, "little")
        w = 10 if flags & 1 else 8
        k = self.n_printed
        self.n_printed += 1
        sels = [s for s in self.sels if s.kind == "printed" and k in s.range]
        if not sels:
            return
        raw = f.mem(ptr, w)
        self._where = f.reg(fastuc.UC_RIP)
        self._mark(sels[0], f"printed[{k}]", ptr, raw, w)
        for s in sels[1:]:
            self.hits[id(s)] += 1
        rec_index = len(self.rec.outputs) - 1
        fileno = struct.unpack("<i", f.mem(fp + _FILE_FILENO, 4) or b"\xff\xff\xff\xff")[0]
        label = None
        of = getattr(self.m.kernel, "_fds", {}).get(fileno) if fileno >= 0 else None
        if of is not None:
            label = stream_label(of.path)
        p = Printed(rec_index, k, label, value_of(raw, 0, w))
        self.printed.append(p)
        start = int.from_bytes(f.mem(fp + _FILE_WRITE_PTR, 8) or b"\0" * 8, "little")

        def text() -> None:
            s = start or int.from_bytes(f.mem(fp + _FILE_WRITE_BASE, 8) or bytes(8), "little")
            end = int.from_bytes(f.mem(fp + _FILE_WRITE_PTR, 8) or bytes(8), "little")
            if s and 0 < end - s <= 512:
                p.text = f.mem(s, end - s)

        self._on_return(text)

    # -- functions ----------------------------------------------------------------------
    def _call(self, addr: int, sels: list[Selector]) -> None:
        n = self.calls[addr]
        self.calls[addr] += 1
        self.rec.flush()
        self._where = addr
        f = self.fast
        rsp = f.gpr(RSP)
        later: list[Callable[[], None]] = []  # at the return, in selector order
        for sel in sels:
            if n not in sel.range:
                continue
            fn = f"{sel.name}#{n}"
            if sel.kind in ("arg", "argany"):
                slot = self.slots[id(sel)]
                what = f"arg{sel.index}" if sel.kind == "arg" else f"arg[{sel.index}]"
                if slot.reg is not None:
                    loc, raw = xmm_loc(slot.reg), f.xmm_bytes(slot.reg)
                else:
                    loc = rsp + 8 + slot.off
                    raw = f.mem(loc, slot.width)
                self._mark(sel, f"{fn}:{what}", loc, raw, slot.width)
            elif sel.kind == "ptr":
                ptr = f.gpr(INT_ARGS[sel.index])
                w, stride = TYPES[sel.type or "double"]
                cnt = sel.count or 1

                def elements(sel=sel, ptr=ptr, w=w, stride=stride, cnt=cnt, fn=fn) -> None:
                    for i in range(cnt):
                        loc = ptr + i * stride
                        name = f"{fn}:*arg{sel.index}" + (f"[{i}]" if cnt > 1 else "")
                        self._mark(sel, name, loc, f.mem(loc, w), w)

                if sel.is_input:
                    elements()
                else:
                    later.append(elements)
            elif sel.kind == "ret":
                w, typ = self.widths[id(sel)]

                def result(sel=sel, w=w, typ=typ, fn=fn) -> None:
                    loc, raw = self._register("st0" if typ == "long double" else "xmm0", w)
                    self._mark(sel, f"{fn}:ret", loc, raw, w)

                later.append(result)
        if later:
            self._on_return(lambda: [item() for item in later])

    # -- end of run ---------------------------------------------------------------------
    def finish(self) -> None:
        """After the run: outputs read at exit, names of printed values, and selectors that
        matched nothing (an error naming them)."""
        self._where = self.fast.reg(fastuc.UC_RIP)
        if self._main_done:
            for sel in self.sels:
                if not sel.is_input and sel.kind in ("symbol", "addr"):
                    self._memory(sel)
        outs = self.rec.outputs
        for p in self.printed:
            text = p.text if p.text else f"{p.value:g}".encode()
            where, text = self.log.destination(p.label, text)
            _old, node, value = outs[p.index]
            outs[p.index] = (f'printed[{p.k}]="{text.decode(errors="replace")}" ({where})',
                             node, value)
        missed = [s for s in self.sels if not self.hits[id(s)]]
        if missed:
            raise SelectorError("; ".join(self._why(s) for s in missed))

    def _why(self, sel: Selector) -> str:
        if not self._main_done:
            return f"{sel.flag} matched nothing: main was never entered"
        if sel.kind == "parsed":
            return (f"{sel.flag} matched nothing: the program parsed {self.n_parsed} "
                    "floating-point number(s)")
        if sel.kind == "printed":
            return (f"{sel.flag} matched nothing: the program printed {self.n_printed} "
                    "floating-point value(s)")
        if sel.kind in ("arg", "argany", "ret", "ptr"):
            n = sum(c for a, c in self.calls.items()
                    if a == self._safe_address(sel))
            hint = " (if the compiler inlined it, no call is left to catch)" if not n else ""
            return f"{sel.flag} matched nothing: {sel.name} was called {n} time(s){hint}"
        return f"{sel.flag} matched nothing"

    def _safe_address(self, sel: Selector) -> int | None:
        try:
            return self._function_address(sel)
        except SelectorError:
            return None


def _safe_sections(data: bytes):
    try:
        return _sections(data)
    except (struct.error, ValueError):
        return []
