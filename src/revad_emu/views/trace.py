"""`--trace`: one line per tape node as the program runs (value; tangent in forward mode).

A plain code hook over all code looks, before each instruction, whether the tape grew and
prints the new nodes with the instruction that made them. The recorder's own hooks are
untouched, so the trace shows exactly the tape that is recorded; a node appears one or two
instructions after the one that made it (recording reads results after the instruction),
always before the next system call, so trace lines and the program's own output interleave
in the order they happened. It costs a Python call per instruction: a debugging aid for
small runs, not for long ones.
"""

from __future__ import annotations

from typing import TextIO

from revad_emu.ad.tape import OPS
from revad_emu.views.locate import Locator


class Tracer:
    """Prints new tape nodes to `out`; call `finish()` after the run for the last ones."""

    def __init__(self, machine, recorder, requests, out: TextIO) -> None:
        self.m, self.rec, self.reqs, self.out = machine, recorder, requests, out
        self.seen = 1
        self.forward = getattr(requests, "dg_mode", "b") == "d"
        self.tangent: list[float] = [0.0]
        self.loc = Locator.from_machine(machine)
        self._said_direction = False
        machine.add_raw_code_hook(self._hook, 1, 0)

    def _hook(self, _uc, _addr: int, _size: int, _ud) -> None:
        try:
            if len(self.rec.tb) > self.seen:
                self.emit()
        except BaseException as e:  # noqa: BLE001 - ctypes would swallow it
            self.m.fail(e)

    def _seed(self, k: int) -> float:
        dots = getattr(self.reqs, "dot_seeds", {})
        if dots:
            return float(dots.get(k, 0.0))
        if not self._said_direction:
            self._said_direction = True
            self.out.write("[trace] tangents: direction 1 on every input (the program sets "
                           "no DG_SET_DOTVALUE seeds)\n")
        return 1.0

    def emit(self) -> None:
        tb = self.rec.tb
        n = len(tb)
        lines = []
        for k in range(self.seen, n):
            p1, p2 = int(tb.p1[k]), int(tb.p2[k])
            d1, d2 = float(tb.d1[k]), float(tb.d2[k])
            code = int(tb.op[k])
            op = OPS[code] if code < len(OPS) else f"op{code}"
            value = float(tb.value[k])
            addr = int(tb.addr[k])
            parents = ", ".join(f"n{p}×{d:.7g}" for p, d in ((p1, d1), (p2, d2)) if p)
            text = f"[trace] n{k} {op} = {value:.17g}"
            if self.forward:
                t = self._seed(k) if op == "input" else (
                    (d1 * self.tangent[p1] if p1 else 0.0)
                    + (d2 * self.tangent[p2] if p2 else 0.0))
                self.tangent.append(t)
                text += f"  tangent {t:.17g}"
            if parents:
                text += f"  ← {parents}"
            if addr:
                pl = self.loc.place(addr)
                where = " ".join(s for s in (pl.function, pl.line) if s)
                text += f"  at {addr:#x} {where}: {pl.disasm}"
            lines.append(text + "\n")
        self.seen = n
        self.out.write("".join(lines))
        self.out.flush()

    def finish(self) -> None:
        if len(self.rec.tb) > self.seen:
            self.emit()
