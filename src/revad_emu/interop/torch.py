"""`rv.to_torch(f, argnums)`: a loaded function as a PyTorch autograd function.

The forward pass records the call (arguments in `argnums` are tensors, the others plain
values); the backward pass pulls the output gradients back through that recording.
Optional dependency: PyTorch (CPU tensors; results in float64).
"""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError as e:  # pragma: no cover - exercised without torch installed
    raise ImportError("rv.to_torch needs PyTorch (pip install torch)") from e

from revad_emu.functions.library import Function
from revad_emu.functions.transforms import Linearization, _argnums


def to_torch(fn: Function, argnums=0):
    """`fn` as a function of torch tensors in `argnums` (the other arguments are static)."""
    nums, _single = _argnums(fn, argnums)
    params = fn.proto.params

    class _Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, static, *dyn):
            full, k = [], 0
            for i, p in enumerate(params):
                if i in static:
                    full.append(static[i])
                else:
                    a = np.array(dyn[k].detach().cpu().numpy(), dtype=p.type.dtype)
                    full.append(a if p.type.pointer else a[()])
                    k += 1
            lin = Linearization(fn, tuple(full))
            ctx.lin = lin
            ctx.shapes = [d.shape for d in dyn]
            outs = lin.outputs()
            outs = (outs,) if len(lin.out_rows) == 1 else outs
            return tuple(torch.as_tensor(np.asarray(o, dtype=np.float64)) for o in outs)

        @staticmethod
        def backward(ctx, *grads):
            lin = ctx.lin
            cots = [g.detach().cpu().numpy() for g in grads]
            xbar = lin.pullback(cots[0] if len(cots) == 1 else tuple(cots))
            out = []
            for i, shape in zip(nums, ctx.shapes, strict=True):
                v = xbar[i]
                out.append(torch.zeros(shape, dtype=torch.float64) if v is None else
                           torch.as_tensor(np.asarray(v, dtype=np.float64)).reshape(shape))
            return (None, *out)

    def wrapped(*args):
        if len(args) != len(params):
            raise TypeError(f"{fn.name}() takes {len(params)} arguments ({fn.proto}), "
                            f"{len(args)} given")
        static = {i: a for i, a in enumerate(args) if i not in nums}
        dyn = [args[i] if isinstance(args[i], torch.Tensor) else torch.as_tensor(args[i])
               for i in nums]
        res = _Fn.apply(static, *dyn)
        return res[0] if len(res) == 1 else res

    wrapped.__name__ = fn.name
    return wrapped
