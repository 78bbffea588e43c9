"""`Emulator.record()`: run with the recorder attached and return a `Recording`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from revad_emu.recorder import Recorder
from revad_emu.requests import ClientRequests
from revad_emu.tape import Tape


@dataclass
class Recording:
    """Values, tape and derivatives of one differentiated run."""

    tape: Tape
    inputs: list[tuple[str, float]]
    outputs: list[tuple[str, float]]
    stdout: bytes
    stderr: bytes
    exit_code: int
    warnings: list[str]
    stats: dict = field(default_factory=dict)
    fault: str | None = None
    run_result: object = None

    def jacobian(self, method: str = "auto") -> np.ndarray:
        from revad_emu import sweep  # scipy: imported only when derivatives are asked for

        t0 = time.perf_counter()
        J = sweep.jacobian(self.tape, method=method)
        self.stats["sweep_seconds"] = time.perf_counter() - t0
        return J

    def vjp(self, ybar, method: str = "auto") -> np.ndarray:
        from revad_emu import sweep

        return sweep.vjp(self.tape, np.asarray(ybar, dtype=float), method=method)

    def jvp(self, xdot, method: str = "auto") -> np.ndarray:
        from revad_emu import sweep

        return sweep.jvp(self.tape, np.asarray(xdot, dtype=float), method=method)

    def gradient(self, output: int = 0) -> np.ndarray:
        seed = np.zeros(len(self.outputs))
        seed[output] = 1.0
        return self.vjp(seed)

    @property
    def input_names(self) -> list[str]:
        return [n for n, _ in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [n for n, _ in self.outputs]


def record(emu, *, strict: bool = False, dg_mode: str = "b", stdout=None, stderr=None,
           tty_fds=(), progress=None, max_instructions=None) -> Recording:
    m = emu.machine(stdout=stdout, stderr=stderr, tty_fds=tty_fds, progress=progress,
                    max_instructions=max_instructions)
    rec = Recorder(m, strict=strict)
    reqs = ClientRequests(rec, dg_mode=dg_mode)
    m.enable_client_requests(reqs)
    outside = None
    if getattr(emu, "selectors", None):
        from revad_emu.outside.hooks import Outside

        outside = Outside(rec, emu.selectors)
    t0 = time.perf_counter()
    st = m.run()
    rec.flush()
    if outside is not None:
        outside.finish()
    record_seconds = time.perf_counter() - t0
    meta = {"program": m.path, "argv": m.argv, "sha256": m.exe.sha256,
            "exit_code": m.exit_code, "instructions": st.instructions}
    tape = rec.tb.finish([(n, k) for n, k, _ in rec.inputs],
                         [(n, max(k, 0)) for n, k, _ in rec.outputs], meta)
    stats = {"instructions": st.instructions,
             "tape_nodes": len(rec.tb) - 1,
             "record_seconds": record_seconds, "sweep_seconds": 0.0,
             "warnings": sum(rec.warn_counts.values())}
    from revad_emu.api import result_of

    return Recording(run_result=result_of(m, st), tape=tape,
                     inputs=[(n, v) for n, _, v in rec.inputs],
                     outputs=[(n, v) for n, _, v in rec.outputs], stdout=bytes(m.out),
                     stderr=bytes(m.err), exit_code=m.exit_code, warnings=rec.warnings,
                     stats=stats, fault=m.fault)
