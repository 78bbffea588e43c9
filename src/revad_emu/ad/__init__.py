"""Algorithmic differentiation: the recorder and its per-family instruction handlers (`isa`),
shadow state, derivative rules, math-library interception, client requests, the tape and its
sweeps.

Sits on top of `revad_emu.cpu` (it follows a running Machine) and below the user-facing layers.
"""
