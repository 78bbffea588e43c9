"""revad_emu: algorithmic differentiation of compiled x86-64 Linux programs under emulation."""

from revad_emu.ad.tape import Tape
from revad_emu.api import Emulator, RunResult
from revad_emu.errors import RevadError
from revad_emu.functions import CallError, DerivativeWarning, Function, Library, load
from revad_emu.functions.transforms import grad, jacobian, jvp, value_and_grad, vjp
from revad_emu.recording import Recording

__version__ = "0.1.0"


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
