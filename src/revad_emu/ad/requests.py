"""Client requests: revad_emu's own ABI (tool base 0x52410000) and Derivgrind's (0x44470000).

The guest executes the Valgrind amd64 marker with RAX pointing at six u64 words
{request, arg1..arg5}; the result goes to RDX (natively RDX keeps its default).
"""

from __future__ import annotations

import struct

from revad_emu.ad.values import value_of

REVAD_BASE = 0x52410000
DG_BASE = 0x44470000
RUNNING_ON_VALGRIND = 0x1001

KINDS = {0: (8, 8, "double"), 1: (4, 4, "float"), 2: (10, 16, "long double")}  # width, stride


class ClientRequests:
    """Dispatches requests for one recorder; collects inputs and outputs in mark order."""

    def __init__(self, rec, dg_mode: str = "b"):
        self.rec = rec
        self.m = rec.m
        self.fast = rec.fast
        self.dg_mode = dg_mode
        self.disabled = 0
        self.dot_seeds: dict[int, float] = {}
        self.dg_inputs: list[int] = []
        self.dg_outputs: list[int] = []
        self.unknown: set[int] = set()

    def __call__(self, site: int) -> None:
        rec = self.rec
        rec.flush()
        block = self.fast.mem(self.fast.gpr(0), 48)
        if block is None:
            return
        code, a1, a2, a3, a4, a5 = struct.unpack("<6Q", block)
        res = self.dispatch(code, a1, a2, a3, a4, a5)
        if res is not None:
            self.fast.set_gpr(2, res)

    def dispatch(self, code, a1, a2, a3, a4, a5) -> int | None:
        if code == REVAD_BASE:
            return 1
        if code == REVAD_BASE + 1:
            self.mark(a1, a2, a3, a4, True)
            return 0
        if code == REVAD_BASE + 2:
            self.mark(a1, a2, a3, a4, False)
            return 0
        if code == RUNNING_ON_VALGRIND:
            return 1
        if DG_BASE <= code <= DG_BASE + 10:
            return self.derivgrind(code - DG_BASE, a1, a2, a3)
        if code not in self.unknown:
            self.unknown.add(code)
            self.rec.warn(self.fast.reg(41), f"request{code:#x}",
                          f"unknown client request {code:#x} ignored")
        return None

    # -- revad_emu ABI -----------------------------------------------------------------
    def mark(self, ptr: int, count: int, kind: int, name_ptr: int, is_input: bool) -> None:
        rec = self.rec
        if kind not in KINDS:
            raise ValueError(f"client request with unknown kind {kind} (0 double, 1 float, "
                             "2 long double)")
        width, stride, _ = KINDS[kind]
        name = ""
        if name_ptr:
            try:
                name = self.m.mem.read_cstr(name_ptr, 256).decode(errors="replace")
            except Exception:  # noqa: BLE001
                name = ""
        marks = rec.inputs if is_input else rec.outputs
        if not name:
            name = f"{'x' if is_input else 'y'}{len(marks)}"
        for i in range(count):
            loc = ptr + i * stride
            raw = self.fast.mem(loc, width)
            if raw is None:
                raise ValueError(f"{'input' if is_input else 'output'} mark {name!r} points to "
                                 f"unmapped memory {loc:#x}")
            label = f"{name}[{i}]" if count != 1 else name
            value = value_of(raw, 0, width)
            bits = int.from_bytes(raw, "little")
            if is_input:
                node = rec.new_input(value, bits, width, 0)
                rec.sh.set_node(loc, width, node)
            else:
                node = rec.operand_node(rec.sh.node_at(loc, width), raw, 0, width,
                                        self.fast.reg(41), loc)
            marks.append((label, node, value))

    # -- Derivgrind ABI ----------------------------------------------------------------
    def derivgrind(self, op: int, a1: int, a2: int, a3: int) -> int | None:
        rec, mem = self.rec, self.m.mem
        if op == 8:  # GET_MODE
            return ord(self.dg_mode)
        if op == 2:  # DISABLE(plus, minus)
            self.disabled += a1 - a2
            rec.disabled = self.disabled > 0
            return 0
        if op in (9, 10):  # GET_FLAGS / SET_FLAGS: no flags are supported
            return 0
        if op == 3:  # GET_INDEX(addr, u64* index): no size; the location knows it
            mem.write_u64(a2, self.index_at(a1))
            return 0
        if op == 4:  # SET_INDEX(addr, u64* index): no size; the first read decides it
            node = mem.read_u64(a2)
            if 0 < node < len(rec.width):
                rec.mark_sizeless(a1, node)
            else:
                start = rec.sh.get(a1, 1)
                old = start[0] >> 4 if start and start[0] and start[0] > 0 and \
                    not start[0] & 15 else 0
                rec.sh.clear(a1, max(4, rec.width[old] if old else 0))
            return 0
        if op in (5, 6):  # NEW_INDEX(TapeBlockInfo*) / NEW_INDEX_NOACTIVITYANALYSIS
            ptrs = struct.unpack("<6Q", mem.read(a1, 48))
            i1, i2 = mem.read_u64(ptrs[0]), mem.read_u64(ptrs[1])
            d1 = struct.unpack("<d", mem.read(ptrs[2], 8))[0]
            d2 = struct.unpack("<d", mem.read(ptrs[3], 8))[0]
            # The value is for debugging only (Derivgrind's Fortran wrapper passes 8 raw
            # bytes of any type): the node's width and value stay undecided (0) until a
            # SET_INDEX puts it on a variable and the first floating-point read decides.
            value = struct.unpack("<d", mem.read(ptrs[5], 8))[0]
            if op == 5 and i1 == 0 and i2 == 0:
                node = 0
            elif i1 == 0 and i2 == 0:
                node = rec.new_input(value, 0, 0, 0)
            else:
                if i2 == 0 and d1 == 1.0 and 0 < i1 < len(rec.width) and rec.width[i1]:
                    value = rec.value[i1]  # an output's copy node: the variable's value
                node = rec.new_node(i1, d1, i2, d2, value, 0, 0, 0, 1)
                rec.ensure_hooked()
            mem.write_u64(ptrs[4], node)
            return 0
        if op == 7:  # INDEX_TO_FILE(0 input / 1 output, u64* index)
            node = mem.read_u64(a2)
            (self.dg_outputs if a1 else self.dg_inputs).append(node)
            marks = rec.outputs if a1 else rec.inputs
            value = rec.tb.value[node] if 0 <= node < len(rec.tb.value) else 0.0
            marks.append((f"{'y' if a1 else 'x'}{len(marks)}", node, value))
            return 0
        if op == 1:  # SET_DOTVALUE(addr, dotaddr, size)
            width = a3
            raw = self.fast.mem(a1, width)
            dot = value_of(mem.read(a2, width), 0, width if width in (4, 8) else 10)
            w = width if width in (4, 8) else 10
            node = rec.new_input(value_of(raw, 0, w), int.from_bytes(raw[:w], "little"), w, 0)
            rec.sh.set_node(a1, w, node)
            self.dot_seeds[node] = dot
            return 0
        if op == 0:  # GET_DOTVALUE(addr, dotaddr, size)
            width = a3
            w = width if width in (4, 8) else 10
            raw = self.fast.mem(a1, w)
            node = rec.operand_node(rec.sh.node_at(a1, w), raw, 0, w, self.fast.reg(41))
            dot = self.dot_of(node) if node > 0 else 0.0
            if w == 8:
                mem.write(a2, struct.pack("<d", dot))
            elif w == 4:
                mem.write(a2, struct.pack("<f", dot))
            else:
                mem.write(a2, float_to_x87(dot))
            return 0
        return None

    def index_at(self, loc: int) -> int:
        """The node of the variable at loc for a size-less request (GET_INDEX, and the
        outputs made from it): the node whose first byte is there decides the width; its
        bytes are then validated like any operand (a stale or pieced value warns, 0)."""
        rec = self.rec
        ents = rec.sh.get(loc, 1)
        if ents is None:
            return 0
        e0 = ents[0]
        addr = self.fast.reg(41)
        if e0 is not None and e0 > 0 and not e0 & 15:
            node = e0 >> 4
            w = rec.width[node]
            if w == 0:  # a size-less mark nothing has read yet: the mark's own node
                return node if rec.sizeless_start(loc) == node else 0
            raw = self.fast.mem(loc, w)
            if raw is None:
                return 0
            return max(rec.operand_node(rec.sh.node_at(loc, w), raw, 0, w, addr, loc), 0)
        return max(rec.operand_node(-1, b"", 0, 4, addr, loc), 0)

    def finish(self) -> None:
        """After the run: marks made by size-less requests show the value the variable had
        when its width was decided (the request's own value may be 8 raw bytes of a
        float)."""
        rec = self.rec
        for marks in (rec.inputs, rec.outputs):
            for i, (name, node, _value) in enumerate(marks):
                if node in rec.sizeless and rec.width[node]:
                    marks[i] = (name, node, rec.value[node])

    def dot_of(self, node: int) -> float:
        """Forward-mode dot value of a node from the SET_DOTVALUE seeds (tape prefix sweep)."""
        tb = self.rec.tb
        n = node + 1
        p1, p2, d1, d2 = (tb.column(c, n) for c in ("p1", "p2", "d1", "d2"))
        dot = [0.0] * n
        for k, v in self.dot_seeds.items():
            if k < n:
                dot[k] = v
        first = min(self.dot_seeds, default=n)
        for k in range(first + 1, n):
            a, b = p1[k], p2[k]
            s = dot[k]
            if a:
                s += d1[k] * dot[a]
            if b:
                s += d2[k] * dot[b]
            dot[k] = s
        return dot[node]


def float_to_x87(x: float) -> bytes:
    """A double as 80-bit extended (exact) in a 16-byte slot."""
    import math

    if x == 0:
        return (b"\0" * 9 + (b"\x80" if math.copysign(1, x) < 0 else b"\0")).ljust(16, b"\0")
    if math.isinf(x) or math.isnan(x):
        mant = 1 << 63 | (1 << 62 if math.isnan(x) else 0)
        se = 0x7FFF | (0x8000 if x < 0 else 0)
        return (mant.to_bytes(8, "little") + se.to_bytes(2, "little")).ljust(16, b"\0")
    m, e = math.frexp(abs(x))
    mant = int(m * (1 << 64))
    se = (e - 1 + 16383) | (0x8000 if x < 0 else 0)
    return (mant.to_bytes(8, "little") + se.to_bytes(2, "little")).ljust(16, b"\0")
