"""`Emulator.record()`: run with the recorder attached and return a `Recording`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from revad_emu import arguments
from revad_emu.ad.recorder import Recorder
from revad_emu.ad.requests import ClientRequests
from revad_emu.ad.tape import Tape
from revad_emu.ad.warngroup import group as group_warnings
from revad_emu.views.methods import ViewsMixin


@dataclass(repr=False)
class Recording(ViewsMixin):
    """Values, tape and derivatives of one differentiated run.

    In Jupyter/IPython it displays itself (values, labelled Jacobian, warnings, stats); the
    views `explain()`, `to_dot()`, `graph()`, `by_line()`, `check()` and `jacobian_frame()`
    show where each derivative comes from (see revad_emu.views).
    """

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
    locator: object = field(default=None, compare=False)  # views.locate.Locator of the run
    emulator: object = field(default=None, compare=False)  # what ran, for check()
    progress: object = field(default=None, compare=False)

    def jacobian(self, method: str = "auto") -> np.ndarray:
        from revad_emu.ad import sweep  # scipy: imported only when derivatives are asked for

        t0 = time.perf_counter()
        phase = getattr(self.progress, "phase", None)
        if phase is not None:
            phase("sweep", len(self.inputs) * len(self.outputs))
        J = sweep.jacobian(self.tape, method=method)
        if phase is not None:
            self.progress.close()
            self.progress = None  # one sweep phase, right after the recording
        self.stats["sweep_seconds"] = time.perf_counter() - t0
        return J

    def vjp(self, ybar, method: str = "auto") -> np.ndarray:
        from revad_emu.ad import sweep

        return sweep.vjp(self.tape, np.asarray(ybar, dtype=float), method=method)

    def jvp(self, xdot, method: str = "auto") -> np.ndarray:
        from revad_emu.ad import sweep

        return sweep.jvp(self.tape, np.asarray(xdot, dtype=float), method=method)

    def gradient(self, output: int = 0) -> np.ndarray:
        """d(output)/d(inputs): one row of the Jacobian, by one reverse sweep."""
        seed = np.zeros(len(self.outputs))
        seed[arguments.output_index(output, self.outputs)] = 1.0
        return self.vjp(seed)

    def check(self, rel_step: float = 1e-6, **kw):
        """Compare the Jacobian with central differences of re-runs of the program, each
        input perturbed at its mark (see revad_emu.views.check)."""
        from revad_emu.views.check import check

        return check(self, rel_step=rel_step, **kw)

    @classmethod
    def load(cls, path) -> Recording:
        """A Recording of a tape saved with `rec.tape.save(path)` (values, marks,
        derivatives; no program output)."""
        tape = Tape.load(path)
        meta = tape.meta
        return cls(tape=tape, inputs=list(zip(tape.input_names, tape.input_values.tolist(),
                                              strict=True)),
                   outputs=list(zip(tape.output_names, tape.output_values.tolist(),
                                    strict=True)),
                   stdout=b"", stderr=b"", exit_code=int(meta.get("exit_code", 0)),
                   warnings=list(meta.get("warnings", [])),
                   stats={"instructions": meta.get("instructions", 0),
                          "tape_nodes": len(tape) - 1})

    @property
    def input_names(self) -> list[str]:
        return [n for n, _ in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [n for n, _ in self.outputs]


def record(emu, *, strict: bool = False, dg_mode: str = "b", stdout=None, stderr=None,
           tty_fds=(), progress=None, max_instructions=None, trace=None,
           requests=ClientRequests) -> Recording:
    """Run `emu` with the recorder attached. progress: True for a tqdm bar (instructions,
    tape nodes, rate; then a "sweep" phase), or a callable(instructions, seconds). trace: a
    writable text stream that gets one line per taped instruction as it runs."""
    strict = arguments.flag(strict, "strict")
    dg_mode = arguments.dg_mode(dg_mode)
    from revad_emu.views.progress import make

    asked = progress is True
    progress = make(progress)
    m = emu.machine(stdout=stdout, stderr=stderr, tty_fds=tty_fds, progress=progress,
                    max_instructions=max_instructions)
    rec = Recorder(m, strict=strict)
    if hasattr(progress, "nodes"):
        progress.nodes = lambda: len(rec.tb)
    reqs = requests(rec, dg_mode=dg_mode)
    m.enable_client_requests(reqs)
    outside = None
    if getattr(emu, "selectors", None):
        from revad_emu.outside.hooks import Outside

        outside = Outside(rec, emu.selectors)
    tracer = None
    if trace is not None:
        from revad_emu.views.trace import Tracer

        tracer = Tracer(m, rec, reqs, trace)
    t0 = time.perf_counter()
    try:
        st = m.run()
    finally:
        if hasattr(progress, "close"):
            progress.close()
    rec.flush()
    reqs.finish()
    if outside is not None:
        outside.finish()
    if tracer is not None:
        tracer.finish()
    record_seconds = time.perf_counter() - t0
    from revad_emu.views.locate import Locator

    locator = Locator.from_machine(m)
    meta = {"program": m.path, "argv": m.argv, "sha256": m.exe.sha256,
            "exit_code": m.exit_code, "instructions": st.instructions,
            "modules": locator.modules_meta(), "warnings": group_warnings(rec.warnings)}
    tape = rec.tb.finish([(n, k) for n, k, _ in rec.inputs],
                         [(n, max(k, 0)) for n, k, _ in rec.outputs], meta)
    stats = {"instructions": st.instructions,
             "tape_nodes": len(rec.tb) - 1,
             "record_seconds": record_seconds, "sweep_seconds": 0.0,
             "warnings": sum(rec.warn_counts.values()),
             # A dropped derivative is never quiet: how many places dropped one, and
             # whether the derivatives are complete (issue 9; the JSON report carries both).
             "dropped_derivatives": rec.dropped_places,
             "complete": rec.dropped_places == 0}
    return Recording(run_result=emu.result(m, st), tape=tape,
                     inputs=[(n, v) for n, _, v in rec.inputs],
                     outputs=[(n, v) for n, _, v in rec.outputs], stdout=bytes(m.out),
                     stderr=bytes(m.err), exit_code=m.exit_code,
                     warnings=group_warnings(rec.warnings), stats=stats, fault=m.fault,
                     locator=locator, emulator=emu, progress=progress if asked else None)
