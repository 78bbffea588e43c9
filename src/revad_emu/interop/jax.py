"""`rv.to_jax(f, argnums)`: a loaded function as a JAX function.

The compiled function runs on the host through `jax.pure_callback`, so the result works
under `jax.jit` and `jax.vmap` (points are evaluated one by one). Arguments not in `argnums`
(sizes, flags, fixed arrays) are static: plain Python or numpy values, closed over.

Derivatives come from revad_emu's tape:

- `mode="reverse"` (default): `jax.custom_vjp`. The forward callback records the call and
  keeps the recording in a small host cache; the backward callback pulls the cotangent back
  through that same tape (or records again if the cache no longer has it). Reverse mode
  only (`jax.grad`, `jax.vjp`, `jax.jacrev`).
- `mode="forward"`: `jax.custom_jvp` whose tangent rule is `J @ t` with J computed by one
  recording and a vector sweep; JAX can transpose that product, so forward *and* reverse
  mode work (`jax.jvp`, `jax.jacfwd`, `jax.hessian` is not available: the tape is first
  order). Costs a full Jacobian per differentiated evaluation.

Optional dependency: `pip install 'revad_emu[jax]'`. Outputs are float64 when JAX runs with
`jax_enable_x64`, float32 otherwise (the compiled code always computes in its own types).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError as e:  # pragma: no cover - exercised without jax installed
    raise ImportError("rv.to_jax needs JAX: pip install 'revad_emu[jax]'") from e

from revad_emu.functions.library import Function
from revad_emu.functions.transforms import Linearization, _argnums

_CACHE_SIZE = 8


class _Host:
    """The host side: assembles full argument lists and caches recordings by input bytes."""

    def __init__(self, fn: Function, nums: tuple[int, ...]):
        self.fn = fn
        self.nums = nums
        self.cache: OrderedDict[bytes, Linearization] = OrderedDict()

    def args(self, static: dict, dyn) -> tuple:
        full = []
        k = 0
        for i, p in enumerate(self.fn.proto.params):
            if i in static:
                full.append(static[i])
            else:
                a = np.array(dyn[k], dtype=p.type.dtype)  # a writable copy in the C type
                full.append(a if p.type.pointer else a[()])
                k += 1
        return tuple(full)

    def linearize(self, static: dict, dyn) -> Linearization:
        key = b"".join(np.asarray(d, np.float64).tobytes() for d in dyn) + repr(
            sorted((i, _static_key(v)) for i, v in static.items())).encode()
        lin = self.cache.get(key)
        if lin is None:
            lin = Linearization(self.fn, self.args(static, dyn))
            self.cache[key] = lin
            if len(self.cache) > _CACHE_SIZE:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        return lin


def _static_key(v):
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes())
    return v


def _out_specs(fn: Function, static: dict, dyn_shapes: dict[int, tuple]) -> list[tuple]:
    """Shapes of the outputs: the float result, then non-const float pointers."""
    shapes = []
    if fn.proto.result.base != "void" and fn.proto.result.is_float:
        shapes.append(())
    for i, p in enumerate(fn.proto.params):
        if p.is_output:
            shapes.append(dyn_shapes[i] if i in dyn_shapes else np.shape(static[i]))
    return shapes


def to_jax(fn: Function, argnums=0, mode: str = "reverse"):
    """`fn` as a function of JAX arrays in `argnums` (the other arguments are static)."""
    if mode not in ("reverse", "forward"):
        raise ValueError("mode must be 'reverse' or 'forward'")
    nums, _single = _argnums(fn, argnums)
    host = _Host(fn, nums)
    params = fn.proto.params

    def wrapped(*args):
        if len(args) != len(params):
            raise TypeError(f"{fn.name}() takes {len(params)} arguments ({fn.proto}), "
                            f"{len(args)} given")
        static = {i: a for i, a in enumerate(args) if i not in nums}
        dyn = [jnp.asarray(args[i]) for i in nums]
        for i, d in zip(nums, dyn, strict=True):
            if not params[i].type.pointer and d.shape != ():
                raise TypeError(f"{fn.name}(): argument {params[i].name!r} is a scalar; got "
                                f"shape {d.shape} (use jax.vmap for batches)")
        out_dtype = jnp.result_type(float)
        shapes = _out_specs(fn, static, {i: d.shape for i, d in zip(nums, dyn, strict=True)})
        specs = [jax.ShapeDtypeStruct(s, out_dtype) for s in shapes]
        in_specs = [jax.ShapeDtypeStruct(d.shape, out_dtype) for d in dyn]
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        in_sizes = [int(np.prod(d.shape, dtype=np.int64)) for d in dyn]

        def primal_host(*dyn_np):
            lin = host.linearize(static, dyn_np)
            return _flat_outputs(lin, out_dtype)

        def primal(*d):
            return tuple(jax.pure_callback(primal_host, specs, *d, vmap_method="sequential"))

        if mode == "reverse":
            @jax.custom_vjp
            def f(*d):
                return primal(*d)

            def f_fwd(*d):
                return primal(*d), d

            def bwd_host(*flat):
                dyn_np, cots = flat[:len(dyn)], flat[len(dyn):]
                lin = host.linearize(static, dyn_np)
                xbar = lin.pullback(_structure(cots, len(shapes)))
                return tuple(_as(xbar[i], s.shape, out_dtype)
                             for i, s in zip(nums, in_specs, strict=True))

            def f_bwd(d, cots):
                return tuple(jax.pure_callback(bwd_host, in_specs, *d, *cots,
                                               vmap_method="sequential"))

            f.defvjp(f_fwd, f_bwd)
        else:
            n_out, n_in = sum(sizes), sum(in_sizes)
            jac_spec = jax.ShapeDtypeStruct((n_out, n_in), out_dtype)

            def jac_host(*dyn_np):
                lin = host.linearize(static, dyn_np)
                per_out = lin.jacobian(nums)
                rows = [np.concatenate([b.reshape(sz, -1) for b in po], axis=1)
                        for po, sz in zip(per_out, sizes, strict=True)]
                J = np.concatenate(rows, axis=0) if rows else np.zeros((0, n_in))
                return (*_flat_outputs(lin, out_dtype), J.astype(out_dtype))

            @jax.custom_jvp
            def f(*d):
                return primal(*d)

            @f.defjvp
            def f_jvp(d, t):
                res = jax.pure_callback(jac_host, [*specs, jac_spec], *d,
                                        vmap_method="sequential")
                outs, J = tuple(res[:-1]), res[-1]
                tvec = jnp.concatenate([jnp.reshape(x, (-1,)) for x in t]) if t else \
                    jnp.zeros((0,), out_dtype)
                ydot = J @ tvec.astype(out_dtype)
                touts, off = [], 0
                for s, sz in zip(shapes, sizes, strict=True):
                    touts.append(jnp.reshape(ydot[off:off + sz], s))
                    off += sz
                return outs, tuple(touts)

        res = f(*dyn)
        return res[0] if len(res) == 1 else tuple(res)

    wrapped.__name__ = fn.name
    wrapped.__doc__ = f"JAX version of {fn.proto} (argnums={argnums!r}, mode={mode!r})"
    return wrapped


def _flat_outputs(lin: Linearization, dtype) -> tuple:
    outs = lin.outputs()
    outs = outs if len(lin.out_rows) != 1 else (outs,)
    return tuple(np.asarray(o, dtype=dtype) for o in outs)


def _structure(cots, n: int):
    cs = [np.asarray(c, np.float64) for c in cots]
    return cs[0] if n == 1 else tuple(cs)


def _as(v, shape, dtype):
    if v is None:
        return np.zeros(shape, dtype)
    return np.asarray(v, dtype=dtype).reshape(shape)
