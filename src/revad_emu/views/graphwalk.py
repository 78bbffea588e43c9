"""Small walks over a tape that the views share: which nodes an output depends on, and the
adjoint of every node for one output.

Plain Python loops over lists: the views are for reading tapes (teaching, debugging), where
a loop of ~1 µs per node is fast enough and easy to check; the numpy sweeps in `sweep.py`
remain the way to evaluate derivatives.
"""

from __future__ import annotations

import numpy as np

from revad_emu.ad.tape import Tape


def output_nodes(tape: Tape, output: int | None = None) -> list[int]:
    """Nodes of all outputs (None) or of output number `output`."""
    nodes = tape.output_nodes.tolist()
    if output is None:
        return nodes
    if not -len(nodes) <= output < len(nodes):
        raise IndexError(f"output {output} out of range (the tape has {len(nodes)} outputs)")
    return [nodes[output]]


def needed(tape: Tape, output: int | None = None) -> np.ndarray:
    """Boolean mask of the nodes an output (all outputs, or number `output`) depends on,
    the output nodes themselves included."""
    n = len(tape)
    keep = [False] * n
    outs = output_nodes(tape, output)
    for k in outs:
        keep[k] = True
    p1 = tape.parents[:, 0].tolist()
    p2 = tape.parents[:, 1].tolist()
    for k in range(max(outs, default=0), 0, -1):
        if keep[k]:
            keep[p1[k]] = True
            keep[p2[k]] = True
    keep[0] = False
    return np.array(keep, dtype=bool)


def adjoints(tape: Tape, output: int = 0) -> np.ndarray:
    """d(output)/d(node) for every node: one reverse sweep from a unit seed, with the same
    zero convention as `sweep.py` (a node whose adjoint is 0 propagates nothing)."""
    n = len(tape)
    a = [0.0] * n
    outs = tape.output_nodes.tolist()
    if not outs:
        return np.zeros(n)
    k0 = outs[output]
    if k0 == 0:
        return np.zeros(n)
    a[k0] = 1.0
    p1 = tape.parents[:, 0].tolist()
    p2 = tape.parents[:, 1].tolist()
    d1 = tape.partials[:, 0].tolist()
    d2 = tape.partials[:, 1].tolist()
    for k in range(k0, 0, -1):
        ak = a[k]
        if ak == 0.0:
            continue
        if p1[k]:
            a[p1[k]] += ak * d1[k]
        if p2[k]:
            a[p2[k]] += ak * d2[k]
    a[0] = 0.0
    return np.array(a)


def tangents(tape: Tape, seeds: dict[int, float]) -> np.ndarray:
    """Forward tangents of every node from seeds {node: tangent}."""
    n = len(tape)
    t = [0.0] * n
    for k, v in seeds.items():
        t[k] = v
    p1 = tape.parents[:, 0].tolist()
    p2 = tape.parents[:, 1].tolist()
    d1 = tape.partials[:, 0].tolist()
    d2 = tape.partials[:, 1].tolist()
    for k in range(min(seeds, default=n), n):
        s = t[k]
        if p1[k] and t[p1[k]]:
            s += d1[k] * t[p1[k]]
        if p2[k] and t[p2[k]]:
            s += d2[k] * t[p2[k]]
        t[k] = s
    return np.array(t)
