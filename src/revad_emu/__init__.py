"""revad_emu: algorithmic differentiation of compiled x86-64 Linux programs under emulation."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from revad_emu.ad.tape import Tape
    from revad_emu.api import Emulator, RunResult
    from revad_emu.errors import RevadError
    from revad_emu.functions import CallError, DerivativeWarning, Function, Library, load
    from revad_emu.functions.transforms import grad, jacobian, jvp, value_and_grad, vjp
    from revad_emu.recording import Recording

__version__ = "0.1.0"

# The public names are imported on first use (PEP 562), so that `python -m revad_emu` and
# `import revad_emu.cli` do not pay for the function-call layer, the views or the sweeps
# they do not need (start-up, issue 15).
_LAZY = {
    "Emulator": "revad_emu.api", "RunResult": "revad_emu.api",
    "RevadError": "revad_emu.errors",
    "CallError": "revad_emu.functions", "DerivativeWarning": "revad_emu.functions",
    "Function": "revad_emu.functions", "Library": "revad_emu.functions",
    "load": "revad_emu.functions",
    "grad": "revad_emu.functions.transforms", "jacobian": "revad_emu.functions.transforms",
    "jvp": "revad_emu.functions.transforms", "value_and_grad": "revad_emu.functions.transforms",
    "vjp": "revad_emu.functions.transforms",
    "Recording": "revad_emu.recording", "Tape": "revad_emu.ad.tape",
}


def __getattr__(name: str):
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'revad_emu' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def to_jax(fn, argnums=0, mode: str = "reverse"):
    """`fn` as a JAX function (custom_vjp, or custom_jvp with mode="forward", over
    pure_callback); see interop.jax."""
    from revad_emu.interop.jax import to_jax as _to_jax

    return _to_jax(fn, argnums, mode)


def to_torch(fn, argnums=0):
    """`fn` as a torch.autograd.Function-backed callable; see interop.torch."""
    from revad_emu.interop.torch import to_torch as _to_torch

    return _to_torch(fn, argnums)


def map(fn, points, executor=None, *, progress: bool = True, chunksize: int = 1):  # noqa: A001
    """Apply `fn` to every point (a tuple of arguments, or one argument) with an executor
    (default: in this process), with a progress bar; see interop.parallel."""
    from revad_emu.interop.parallel import map_points

    return map_points(fn, points, executor, progress=progress, chunksize=chunksize)


__all__ = ["CallError", "DerivativeWarning", "Emulator", "Function", "Library", "Recording",
           "RevadError", "RunResult", "Tape", "__version__", "grad", "jacobian", "jvp", "load",
           "map", "to_jax", "to_torch", "value_and_grad", "vjp"]
