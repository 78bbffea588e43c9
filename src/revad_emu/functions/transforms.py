"""JAX-style transforms of a loaded function: grad, value_and_grad, vjp, jvp, jacobian.

Conventions (JAX's): the *outputs* of a function are its floating-point return value (if
any), then every non-const floating-point pointer argument as it is after the call; the
*inputs* are its floating-point arguments (scalars; const arrays; non-const arrays as their
values on entry). One output is given bare (a float for a scalar, an array for a pointer),
several as a tuple; cotangents and tangents come in the same structure. One recorded call
serves every seed: a pullback sweeps the same tape again.

The transforms are small classes rather than closures so that they pickle (a worker process
reloads the library by path).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from revad_emu.functions.library import CallResult, Function


class Linearization:
    """One recorded call with the bookkeeping that maps tape rows/columns to arguments."""

    def __init__(self, fn: Function, args: tuple):
        _check_function(fn)
        self.fn = fn
        self.args = args
        self.res: CallResult = fn.record(*args)
        self.tape = self.res.tape
        self.in_cols: dict[int, tuple[int, tuple[int, ...]]] = {}  # param -> (offset, shape)
        off = 0
        for i, shape in self.res.input_slots:
            self.in_cols[i] = (off, shape)
            off += _size(shape)
        self.n_in = off
        self.out_rows: list[tuple[int | None, int, tuple[int, ...]]] = []
        off = 0
        for i, shape in self.res.output_slots:
            self.out_rows.append((i, off, shape))
            off += _size(shape)
        self.n_out = off

    # -- values ------------------------------------------------------------------------
    def outputs(self):
        vals = []
        for i, _off, _shape in self.out_rows:
            vals.append(self.res.result if i is None else self.res.arrays[i])
        return vals[0] if len(vals) == 1 else tuple(vals)

    def _flatten_outputs(self, cot, what: str) -> np.ndarray:
        parts = [cot] if len(self.out_rows) == 1 else cot
        if len(self.out_rows) != 1 and (not isinstance(parts, tuple | list) or
                                        len(parts) != len(self.out_rows)):
            raise TypeError(f"{what}: expected a tuple of {len(self.out_rows)} (one per output "
                            f"of {self.fn.name})")
        flat = []
        for (i, _off, shape), c in zip(self.out_rows, parts, strict=True):
            a = np.asarray(c, dtype=np.float64)
            if a.size != _size(shape):
                name = "the return value" if i is None else self.fn.proto.params[i].name
                raise TypeError(f"{what}: {name} needs shape {shape}, got {a.shape}")
            flat.append(a.reshape(-1))
        return np.concatenate(flat) if flat else np.zeros(0)

    def _arg_value(self, i: int, flat: np.ndarray):
        off, shape = self.in_cols[i]
        part = flat[..., off:off + _size(shape)]
        if shape == ():
            return float(part[0]) if part.ndim == 1 else part[..., 0]
        return part.reshape(part.shape[:-1] + shape)

    # -- sweeps ------------------------------------------------------------------------
    def pullback(self, cot) -> tuple:
        from revad_emu.ad import sweep

        y = self._flatten_outputs(cot, "pullback cotangent")
        xbar = sweep.vjp(self.tape, y) if self.n_in else np.zeros(0)
        out = []
        used = self._used_inputs()
        for i, p in enumerate(self.fn.proto.params):
            if i not in self.in_cols or (p.is_output and not used[i]):
                out.append(None)
            else:
                out.append(self._arg_value(i, xbar))
        return tuple(out)

    def _used_inputs(self) -> dict[int, bool]:
        """Was any entry value of the argument read (a parent of a node, or an output)?"""
        t = self.tape
        refs = set(np.unique(t.parents[1:]).tolist()) | set(t.output_nodes.tolist())
        nodes = t.input_nodes
        out = {}
        for i, (off, shape) in self.in_cols.items():
            out[i] = any(int(n) in refs for n in nodes[off:off + _size(shape)])
        return out

    def push(self, tangents: Sequence) -> object:
        from revad_emu.ad import sweep

        params = self.fn.proto.params
        if len(tangents) != len(params):
            raise TypeError(f"jvp: expected {len(params)} tangents (one per argument of "
                            f"{self.fn.name}), got {len(tangents)}")
        xdot = np.zeros(self.n_in)
        for i, (off, shape) in self.in_cols.items():
            t = tangents[i]
            if t is None:
                continue
            a = np.asarray(t, dtype=np.float64)
            if a.size != _size(shape):
                raise TypeError(f"jvp: tangent of {params[i].name!r} needs shape {shape}, got "
                                f"{a.shape}")
            xdot[off:off + _size(shape)] = a.reshape(-1)
        ydot = sweep.jvp(self.tape, xdot) if self.n_out else np.zeros(0)
        return self._structure_outputs(ydot)

    def _structure_outputs(self, flat: np.ndarray):
        vals = []
        for _i, off, shape in self.out_rows:
            part = flat[..., off:off + _size(shape)]
            vals.append(float(part[0]) if shape == () and part.ndim == 1 else
                        part.reshape(part.shape[:-1] + shape))
        return vals[0] if len(vals) == 1 else tuple(vals)

    def jacobian(self, argnums: tuple[int, ...]) -> list:
        """Per output, per argnum: an array of shape out_shape + arg_shape (reverse mode
        over all output rows in one vector sweep)."""
        from revad_emu.ad import sweep

        J = (sweep.vjp(self.tape, np.eye(self.n_out)) if self.n_out and self.n_in else
             np.zeros((self.n_out, self.n_in)))
        per_out = []
        for _i, off, shape in self.out_rows:
            rows = J[off:off + _size(shape)]
            per_arg = []
            for a in argnums:
                o, ashape = self.in_cols[a]
                block = rows[:, o:o + _size(ashape)]
                per_arg.append(block.reshape(shape + ashape))
            per_out.append(per_arg)
        return per_out


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _check_function(fn) -> None:
    if not isinstance(fn, Function):
        raise TypeError(f"expected a function from lib.function(...), got {type(fn).__name__}")


def _argnums(fn: Function, argnums) -> tuple[tuple[int, ...], bool]:
    _check_function(fn)
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    params = fn.proto.params
    for a in nums:
        if not isinstance(a, int) or not -len(params) <= a < len(params):
            raise TypeError(f"argnums {argnums!r} out of range for {fn.name}() with "
                            f"{len(params)} arguments")
    nums = tuple(a % len(params) for a in nums)
    for a in nums:
        if not params[a].is_input:
            raise TypeError(f"argnums: argument {a} ({params[a].name!r}, {params[a].type}) of "
                            f"{fn.name}() is not floating-point; derivatives are taken w.r.t. "
                            "floating-point scalars and arrays")
    return nums, single


class _Transform:
    def __init__(self, fn: Function, argnums=0):
        self.fn = fn
        self.argnums = argnums
        self._nums, self._single = _argnums(fn, argnums)

    def __getstate__(self) -> dict:
        return {"fn": self.fn, "argnums": self.argnums}

    def __setstate__(self, st: dict) -> None:
        self.__init__(st["fn"], st["argnums"])

    def __repr__(self) -> str:
        return f"{type(self).__name__.lower()}({self.fn!r}, argnums={self.argnums!r})"


class Grad(_Transform):
    """`rv.grad(f, argnums)`: gradient of a scalar-valued function."""

    def _value_and_grad(self, args):
        lin = Linearization(self.fn, args)
        if len(lin.out_rows) != 1 or lin.out_rows[0][2] != ():
            raise TypeError(f"grad of {self.fn.name}() needs exactly one scalar output (a "
                            "floating-point return value and no non-const floating-point "
                            "pointers); use rv.vjp or rv.jacobian")
        xbar = lin.pullback(1.0)
        g = tuple(xbar[a] if xbar[a] is not None else _zeros_like(lin, a) for a in self._nums)
        return lin.outputs(), (g[0] if self._single else g)

    def __call__(self, *args):
        return self._value_and_grad(args)[1]


class ValueAndGrad(Grad):
    """`rv.value_and_grad(f, argnums)`: (value, gradient)."""

    def __call__(self, *args):
        return self._value_and_grad(args)


class Jacobian(_Transform):
    """`rv.jacobian(f, argnums)`: shape out_shape + arg_shape per output and argnum."""

    def __call__(self, *args):
        lin = Linearization(self.fn, args)
        per_out = lin.jacobian(self._nums)
        res = [po[0] if self._single else tuple(po) for po in per_out]
        return res[0] if len(res) == 1 else tuple(res)


def _zeros_like(lin: Linearization, a: int):
    _off, shape = lin.in_cols[a]
    return 0.0 if shape == () else np.zeros(shape)


def grad(fn: Function, argnums: int | Sequence[int] = 0) -> Grad:
    """Gradient of `fn`'s scalar result w.r.t. argument(s) `argnums` (same shapes)."""
    return Grad(fn, argnums)


def value_and_grad(fn: Function, argnums: int | Sequence[int] = 0) -> ValueAndGrad:
    """Like `grad`, returning (value, gradient)."""
    return ValueAndGrad(fn, argnums)


def jacobian(fn: Function, argnums: int | Sequence[int] = 0) -> Jacobian:
    """Jacobian by reverse mode over all outputs (one recording, one vector sweep)."""
    return Jacobian(fn, argnums)


def vjp(fn: Function, *args):
    """(outputs, pullback): `pullback(cotangents)` gives one cotangent per argument (None for
    integer arguments and for non-const pointers whose entry values the function never
    read); it may be called many times without running the function again."""
    lin = Linearization(fn, args)
    return lin.outputs(), lin.pullback


def jvp(fn: Function, primals: Sequence, tangents: Sequence):
    """(outputs, tangent outputs) for tangents given per argument (None or anything for
    integer arguments)."""
    lin = Linearization(fn, tuple(primals))
    return lin.outputs(), lin.push(tuple(tangents))


def linearize(fn: Function, *args) -> Linearization:
    """The recorded call itself, for repeated pullbacks and pushes (used by interop)."""
    return Linearization(fn, args)
