"""`rv.map(fn, points, executor=None)`: evaluate a loaded function (or its grad/jacobian)
at many points, in this process or with any `concurrent.futures`-style executor.

Loaded functions and their transforms pickle as (library path, prototype, options) and load
the library again, once, in each worker process; so a `ProcessPoolExecutor`, a Dask
`distributed.Client(...).get_executor()` or anything with `submit` works. A progress bar is
shown with tqdm when it is installed and `progress` is true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import as_completed


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="revad_emu.map", leave=False)


def _args(point) -> tuple:
    return tuple(point) if isinstance(point, tuple) else (point,)


def _apply(fn: Callable, point):
    return fn(*_args(point))


def _apply_chunk(fn: Callable, chunk: list) -> list:
    return [fn(*_args(p)) for p in chunk]


def map_points(fn: Callable, points: Iterable, executor=None, *, progress: bool = True,
               chunksize: int = 1) -> list:
    """Results of `fn(*point)` (or `fn(point)` for a non-tuple point), in order.

    With an executor, `chunksize` points go into one task (fewer round trips to a cluster's
    scheduler when each point is quick)."""
    pts = list(points)
    if chunksize < 1:
        raise ValueError("chunksize must be at least 1")
    bar = _progress(len(pts), progress)
    try:
        if executor is None:
            out = []
            for p in pts:
                out.append(_apply(fn, p))
                if bar is not None:
                    bar.update(1)
            return out
        chunks = [pts[k:k + chunksize] for k in range(0, len(pts), chunksize)]
        futures = {executor.submit(_apply_chunk, fn, c): k for k, c in enumerate(chunks)}
        done: list = [None] * len(chunks)
        for fut in as_completed(futures):
            k = futures[fut]
            done[k] = fut.result()
            if bar is not None:
                bar.update(len(done[k]))
        return [r for part in done for r in part]
    finally:
        if bar is not None:
            bar.close()
