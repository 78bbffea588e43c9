"""`rec.check()`: verify a recorded Jacobian against central differences of re-runs.

Each input is perturbed *at its mark*: the program is run again under emulation, and when
it executes `REVAD_INPUT(x)` the value in memory is replaced by x ± h before the program
goes on; at each `REVAD_OUTPUT` the value is read. So the user writes no driver, and the
check covers everything the program does after the mark — including what the recorder
cannot see (a bit trick run with --strict off gives a Jacobian that disagrees here).

The re-runs do not record (no code hook, full emulation speed): 2 runs per input.
Step: h = rel_step · max(|x|, 1) for doubles; float inputs use at least 2^-11 relative
(a float has 24 bits, and a smaller step would be mostly rounding noise). The difference
quotient divides by the actual distance between the two perturbed values after rounding
to the input's type. An entry passes when |J - fd| <= rtol · max(|J|, |fd|) + atol.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from revad_emu.ad.requests import DG_BASE, KINDS, REVAD_BASE, RUNNING_ON_VALGRIND, float_to_x87
from revad_emu.ad.values import value_of
from revad_emu.errors import RevadError
from revad_emu.views import table


class _PerturbingRequests:
    """Client-request handler for a plain run: answers "running under revad_emu", replaces
    input element `target` by `new_value` at its mark, and reads outputs at theirs."""

    def __init__(self, machine, target: int | None, new_value: float):
        self.m, self.target, self.new_value = machine, target, new_value
        self.n_inputs = 0
        self.inputs: list[tuple[float, int]] = []  # (value as the program had it, kind)
        self.outputs: list[float] = []
        self.actual: float | None = None  # the perturbed value after rounding to its type

    def __call__(self, site: int) -> None:
        fast = self.m.fast
        block = fast.mem(fast.gpr(0), 48)
        if block is None:
            return
        code, a1, a2, a3, _a4, _a5 = struct.unpack("<6Q", block)
        if code in (REVAD_BASE, RUNNING_ON_VALGRIND):
            fast.set_gpr(2, 1)
        elif code in (REVAD_BASE + 1, REVAD_BASE + 2):
            self._mark(a1, a2, a3, code == REVAD_BASE + 1)
            fast.set_gpr(2, 0)
        elif DG_BASE <= code <= DG_BASE + 10:
            raise RevadError("check() perturbs inputs at REVAD_INPUT marks; this program "
                             "uses Derivgrind's client requests, which check() does not "
                             "support")

    def _mark(self, ptr: int, count: int, kind: int, is_input: bool) -> None:
        width, stride, _ = KINDS[kind]
        for i in range(count):
            loc = ptr + i * stride
            raw = self.m.fast.mem(loc, width)
            if raw is None:
                raise RevadError(f"check(): a mark points to unmapped memory {loc:#x}")
            v = value_of(raw, 0, width)
            if not is_input:
                self.outputs.append(v)
                continue
            self.inputs.append((v, kind))
            if self.n_inputs == self.target:
                data = _encode(self.new_value, kind)
                self.m.mem.write(loc, data)
                self.actual = value_of(data, 0, width)
            self.n_inputs += 1


def _encode(x: float, kind: int) -> bytes:
    if kind == 0:
        return struct.pack("<d", x)
    if kind == 1:
        return struct.pack("<f", x)
    return float_to_x87(x)[:10]


@dataclass
class CheckResult:
    """Per input: the step, the largest absolute and relative error over the outputs, and
    whether every entry of its column passed; `passed` for the whole Jacobian."""

    rows: list[dict]
    jacobian: np.ndarray
    fd: np.ndarray
    rtol: float
    atol: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r["ok"] for r in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    _HEAD = ["input", "value", "step", "max abs error", "max rel error", "worst output",
             "ok"]

    def _cells(self) -> list[list[object]]:
        return [[r["input"], r["value"], r["step"], r["max_abs_error"], r["max_rel_error"],
                 r["worst_output"], "yes" if r["ok"] else "NO"] for r in self.rows]

    def _caption(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        return (f"check: {verdict} — Jacobian vs central differences of re-runs "
                f"(rtol {self.rtol:g}, atol {self.atol:g})")

    def __str__(self) -> str:
        right = [False, True, True, True, True, False, False]
        return "\n".join([self._caption(), table.text(self._HEAD, self._cells(), right),
                          *self.notes])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return table.html_table(self._HEAD, self._cells(), caption=self._caption())


def _run(emu, target: int | None, value: float) -> _PerturbingRequests:
    m = emu.machine(stdout=lambda b: None, stderr=lambda b: None)
    reqs = _PerturbingRequests(m, target, value)
    m.enable_client_requests(reqs)
    m.run()
    return reqs


def check(rec, rel_step: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-8) -> CheckResult:
    emu = getattr(rec, "emulator", None)
    if emu is None:
        raise RevadError("check() needs a Recording made by Emulator.record() in this "
                         "process (a loaded tape cannot re-run its program)")
    if emu.stdin is None:
        raise RevadError("check() re-runs the program, so its standard input must be given "
                         "as bytes: Emulator(..., stdin=b'...')")
    J = np.asarray(rec.jacobian()).reshape(len(rec.outputs), len(rec.inputs))
    base = _run(emu, None, 0.0)
    if len(base.inputs) != len(rec.inputs) or len(base.outputs) != len(rec.outputs):
        raise RevadError(f"check(): the re-run marked {len(base.inputs)} inputs and "
                         f"{len(base.outputs)} outputs, the recording {len(rec.inputs)} and "
                         f"{len(rec.outputs)}: the program does not run the same way twice")
    fd = np.zeros_like(J)
    rows = []
    notes = []
    for j, ((name, _v), (x, kind)) in enumerate(zip(rec.inputs, base.inputs, strict=True)):
        rel = max(rel_step, 2.0 ** -11) if kind == 1 else rel_step
        h = rel * max(abs(x), 1.0)
        plus, minus = _run(emu, j, x + h), _run(emu, j, x - h)
        if len(plus.outputs) != len(rec.outputs) or len(minus.outputs) != len(rec.outputs):
            raise RevadError(f"check(): perturbing {name} changed the number of outputs "
                             "marked (the program takes another path)")
        dx = (plus.actual or 0.0) - (minus.actual or 0.0)
        col = (np.array(plus.outputs) - np.array(minus.outputs)) / dx
        fd[:, j] = col
        err = np.abs(J[:, j] - col)
        scale = np.maximum(np.abs(J[:, j]), np.abs(col))
        with np.errstate(divide="ignore", invalid="ignore"):
            relerr = np.where(scale > 0, err / scale, 0.0)
        ok = bool(np.all((err <= rtol * scale + atol) | (np.isnan(err) & np.isnan(scale))))
        worst = int(np.argmax(err)) if len(err) else 0
        rows.append({"input": name, "value": x, "step": dx / 2,
                     "max_abs_error": float(err.max()) if len(err) else 0.0,
                     "max_rel_error": float(relerr.max()) if len(err) else 0.0,
                     "worst_output": rec.outputs[worst][0] if len(err) else "", "ok": ok})
    if getattr(rec, "warnings", None):
        notes.append(f"the recording has {len(rec.warnings)} warning(s): see rec.warnings")
    return CheckResult(rows, J, fd, rtol, atol, notes)
