"""Finite-difference Jacobians of native test programs, and tolerance-aware comparisons.

The AD test programs read their inputs from argv and print every output with ``%.17g``, one
per line, so they can be differentiated natively by running them at perturbed points:

    J = fd_jacobian(binary, x0)                  # central differences, h_i = 1e-6 max(1, |x_i|)
    J = fd_jacobian(binary, x0, method="richardson")      # two step sizes, O(h^4) error
    assert_jacobian_close(J_ad, J, precision="double")

For single-precision programs pass ``precision="float"``: the perturbed points are rounded to
float32 before they are printed, and the divided differences use the steps that were really
taken, so the program's strtof sees exactly the point the harness differentiates at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from buildcache import run_native

# rtol per precision; the default atol is rtol * max(1, max |expected|).
RTOL = {"double": 1e-6, "float": 1e-4, "long double": 1e-6}

# Default relative step scale: h_i = scale * max(1, |x_i|).
_STEP = {
    ("central", "double"): 1e-6,
    ("central", "long double"): 1e-6,
    ("central", "float"): 1e-3,
    ("richardson", "double"): 1e-3,
    ("richardson", "long double"): 1e-3,
    ("richardson", "float"): 2e-2,
}


def format_arg(value: float, precision: str = "double") -> str:
    """The argv text for one input: the shortest repr that round-trips (float32 for floats)."""
    if precision == "float":
        return repr(float(np.float32(value)))
    return repr(float(value))


def round_to(x: np.ndarray, precision: str) -> np.ndarray:
    """x rounded to the program's input precision (float32 or float64), as float64."""
    x = np.asarray(x, dtype=np.float64)
    if precision == "float":
        return x.astype(np.float32).astype(np.float64)
    return x


def parse_outputs(stdout: bytes | str) -> np.ndarray:
    """All numbers printed by a program, whitespace separated (one per line by convention)."""
    if isinstance(stdout, bytes):
        stdout = stdout.decode()
    return np.array([float(tok) for tok in stdout.split()], dtype=np.float64)


def native_outputs(binary: str | Path, x: Sequence[float], extra_args: Sequence[str] = (),
                   precision: str = "double", timeout: float = 60) -> np.ndarray:
    """Run `binary` natively with argv = inputs (then extra_args) and parse its outputs."""
    argv = [format_arg(v, precision) for v in x] + [str(a) for a in extra_args]
    res = run_native(Path(binary), argv, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"{binary} {' '.join(argv)} exited with {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')}")
    return parse_outputs(res.stdout)


def _steps(x0: np.ndarray, h, method: str, precision: str) -> np.ndarray:
    if h is None:
        h = _STEP[(method, precision)]
    h_arr = np.asarray(h, dtype=np.float64)
    if h_arr.ndim == 0:  # a scalar is a relative scale
        return float(h_arr) * np.maximum(1.0, np.abs(x0))
    if h_arr.shape != x0.shape:
        raise ValueError(f"h has shape {h_arr.shape}, inputs have {x0.shape}")
    return h_arr  # an array gives the absolute steps


def _central(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, steps: np.ndarray,
             precision: str) -> tuple[np.ndarray, np.ndarray]:
    """Central differences; returns (J, half-steps actually taken)."""
    cols, taken = [], []
    for i in range(x0.size):
        xp, xm = x0.copy(), x0.copy()
        xp[i] += steps[i]
        xm[i] -= steps[i]
        xp, xm = round_to(xp, precision), round_to(xm, precision)
        width = xp[i] - xm[i]
        if width == 0.0:
            raise ValueError(f"step {steps[i]} for input {i} vanishes in {precision}")
        cols.append((f(xp) - f(xm)) / width)
        taken.append(width / 2.0)
    return np.stack(cols, axis=1), np.array(taken)


def fd_jacobian(binary: str | Path, x0: Sequence[float], h=None, extra_args: Sequence[str] = (),
                *, method: str = "central", precision: str = "double") -> np.ndarray:
    """Finite-difference Jacobian (n_out, n_in) of a native program at x0.

    method "central": (f(x + h e_i) - f(x - h e_i)) / 2h with h_i = 1e-6 max(1, |x_i|) for
    double (1e-3 for float).  method "richardson": central differences at h and h/2 combined
    to cancel the h^2 error term (h_i = 1e-3 max(1, |x_i|) by default, 2e-2 for float).
    h: None (default scale), a scalar (relative scale) or an array (absolute steps).
    """
    if method not in ("central", "richardson"):
        raise ValueError(f"unknown method {method!r}")
    x0 = round_to(np.asarray(x0, dtype=np.float64).ravel(), precision)

    def f(x: np.ndarray) -> np.ndarray:
        return native_outputs(binary, x, extra_args, precision)

    steps = _steps(x0, h, method, precision)
    j1, s1 = _central(f, x0, steps, precision)
    if method == "central":
        return j1
    j2, s2 = _central(f, x0, steps / 2.0, precision)
    # Error model D(s) = D + c s^2: eliminate c using the steps really taken.
    w1, w2 = s1**2, s2**2
    return (w1 * j2 - w2 * j1) / (w1 - w2)


def default_atol(expected: np.ndarray, rtol: float) -> float:
    """Absolute tolerance matched to the scale of the whole Jacobian."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return rtol * max(1.0, scale)


def jacobian_mismatch(actual, expected, precision: str = "double", rtol: float | None = None,
                      atol: float | None = None) -> str | None:
    """None if actual ~ expected elementwise, else a short report of the worst entries."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != expected {expected.shape}"
    rtol = RTOL[precision] if rtol is None else rtol
    atol = default_atol(expected, rtol) if atol is None else atol
    err = np.abs(actual - expected)
    bound = atol + rtol * np.abs(expected)
    bad = ~(err <= bound)  # also catches NaN
    if not bad.any():
        return None
    lines = [f"{int(bad.sum())} of {bad.size} entries differ (rtol={rtol:g}, atol={atol:g}):"]
    order = np.argsort(-(np.where(np.isnan(err), np.inf, err) / bound), axis=None)
    for flat in order[:8]:
        if not bad.flat[flat]:
            break
        idx = np.unravel_index(flat, actual.shape)
        lines.append(f"  [{', '.join(map(str, idx))}] got {actual[idx]!r} "
                     f"expected {expected[idx]!r}")
    return "\n".join(lines)


def assert_jacobian_close(actual, expected, precision: str = "double", rtol: float | None = None,
                          atol: float | None = None, what: str = "") -> None:
    msg = jacobian_mismatch(actual, expected, precision, rtol, atol)
    if msg is not None:
        raise AssertionError(f"{what}: {msg}" if what else msg)


def holomorphic_block(d: complex) -> np.ndarray:
    """2x2 real Jacobian of a complex-differentiable map with derivative d, in (re, im)."""
    return np.array([[d.real, -d.imag], [d.imag, d.real]])
