"""The optional compiled hot paths (`_hot.c`) and the switch to run without them.

`pip install` builds the extension when a C compiler is there; without it, or with
REVAD_PURE_PYTHON=1 in the environment, everything runs in the pure-Python reference
implementation, which records the same tapes (tests/test_compiled.py checks that) slower.
"""

from __future__ import annotations

import os

try:
    from revad_emu import _hot
except ImportError:  # pragma: no cover - only without a C compiler at install time
    _hot = None

try:
    from revad_emu import _sweep
except ImportError:  # pragma: no cover - only without a C compiler at install time
    _sweep = None


def available() -> bool:
    """Is the compiled hot path built, and not switched off with REVAD_PURE_PYTHON=1?"""
    return _hot is not None and os.environ.get("REVAD_PURE_PYTHON", "") in ("", "0")


def sweep_module():
    """The compiled sweep loops (`_sweep.c`), or None without them or with REVAD_PURE_PYTHON."""
    return _sweep if _sweep is not None and os.environ.get("REVAD_PURE_PYTHON", "") in (
        "", "0") else None
