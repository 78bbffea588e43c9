"""Checks of the values a caller hands to the Python API, in one place.

A wrong type or value is refused with a `TypeError`/`ValueError` that names the parameter,
when it is given, instead of turning into something else further down (`stdin=123` into 123
NUL bytes, `argv=[None]` into the string "None", `max_instructions=-1` into no budget).

Strings that reach the guest (program path, argv, environment) may be str or bytes; a str is
encoded as the host's `os.fsencode` does (surrogate escapes give back the original bytes), so
names and values that are not UTF-8 reach the program byte for byte.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

DG_MODES = ("b", "d")


def _kind(v: object) -> str:
    return type(v).__name__


def program_path(path: Any) -> str:
    """The program path as a str (bytes and path-like objects accepted)."""
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str, bytes or os.PathLike, not {_kind(path)}") from None
    p = os.fsdecode(p)
    if not p:
        raise ValueError("path must not be empty")
    if "\0" in p:
        raise ValueError("path must not contain NUL bytes")
    return p


def guest_string(v: Any, what: str) -> str:
    """One argv entry as str: str, bytes, path-like, or a number (written as Python does,
    so a float reads back exactly with strtod)."""
    if isinstance(v, bool) or v is None:
        raise TypeError(f"{what} must be a str, bytes, path or number, not {v!r}")
    if isinstance(v, str | bytes | os.PathLike):
        s = os.fsdecode(os.fspath(v))
    elif isinstance(v, numbers.Integral):
        s = str(int(v))
    elif isinstance(v, numbers.Real):
        s = repr(float(v))
    else:
        raise TypeError(f"{what} must be a str, bytes, path or number, not {_kind(v)}")
    if "\0" in s:
        raise ValueError(f"{what} must not contain NUL bytes (C strings end there)")
    return s


def argv_list(argv: Any) -> list[str]:
    """The program's arguments after argv[0]; a single str is refused (it is not a list)."""
    if argv is None:
        return []
    if isinstance(argv, str | bytes | os.PathLike) or not isinstance(argv, Iterable):
        raise TypeError(f"argv must be a list of arguments, not {_kind(argv)}")
    return [guest_string(a, f"argv[{i}]") for i, a in enumerate(argv)]


def environment(env: Any) -> dict[str, str] | None:
    """The guest environment as str -> str (bytes accepted), or None for the default."""
    if env is None:
        return None
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping of names to values, not {_kind(env)}")
    out: dict[str, str] = {}
    for k, v in env.items():
        if not isinstance(k, str | bytes):
            raise TypeError(f"env names must be str or bytes, not {_kind(k)}")
        if not isinstance(v, str | bytes):
            raise TypeError(f"env[{k!r}] must be a str or bytes, not {_kind(v)}")
        name, value = os.fsdecode(k), os.fsdecode(v)
        if not name or "=" in name or "\0" in name:
            raise ValueError(f"env name {k!r} must be non-empty, without '=' or NUL")
        if "\0" in value:
            raise ValueError(f"env[{k!r}] must not contain NUL bytes")
        out[name] = value
    return out


def stdin_bytes(stdin: Any) -> bytes | None:
    """The guest's standard input: bytes-like, or None for the host's."""
    if stdin is None:
        return None
    if isinstance(stdin, str):
        raise TypeError("stdin must be bytes (encode the text, e.g. text.encode()) or None")
    if not isinstance(stdin, bytes | bytearray | memoryview):
        raise TypeError(f"stdin must be bytes or None, not {_kind(stdin)}")
    return bytes(stdin)


def max_instructions(n: Any) -> int | None:
    """An instruction budget: a positive int, or None for no budget."""
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"max_instructions must be a positive int or None, not {_kind(n)}")
    if n <= 0:
        raise ValueError(f"max_instructions must be positive (None: no budget), got {n}")
    return int(n)


def flag(v: Any, name: str) -> bool:
    """A bool option (`strict='yes'` is refused: any non-empty string would be true)."""
    if not isinstance(v, bool):
        raise TypeError(f"{name} must be True or False, not {v!r}")
    return v


def dg_mode(mode: Any) -> str:
    """What DG_GET_MODE answers: 'b' (recording) or 'd' (forward)."""
    if mode not in DG_MODES or not isinstance(mode, str):
        raise ValueError(f"dg_mode must be one of {DG_MODES}, got {mode!r}")
    return mode


def output_index(output: Any, outputs: list) -> int:
    """An index into a run's outputs (negative counts from the end)."""
    if isinstance(output, bool) or not isinstance(output, numbers.Integral):
        raise TypeError(f"output must be an int index, not {_kind(output)}")
    n = len(outputs)
    if n == 0:
        raise ValueError("the run marked no outputs, so there is no gradient to take "
                         "(mark them with REVAD_OUTPUT or DG_OUTPUTF)")
    if not -n <= output < n:
        raise ValueError(f"output {output} out of range: the run marked {n} output(s)")
    return int(output) % n


_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def tape_memory(size: Any) -> int:
    """Bytes of tape kept in memory before it spills to disk (`record(tape_memory=)`,
    `--tape-memory`): None for the default, a quarter of the machine's RAM; a whole number
    of bytes; or a string such as "64M", "1.5G", "512MiB" (binary units). 0 never spills."""
    if size is None:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    if isinstance(size, bool) or not isinstance(size, numbers.Integral | str):
        raise TypeError(f"tape_memory must be an int, a size string or None, not {_kind(size)}")
    if isinstance(size, str):
        s = size.strip().lower().removesuffix("ib").removesuffix("b")
        unit = s[-1:] if s[-1:] in _SIZE_UNITS else ""
        try:
            value = float(s[:len(s) - len(unit)])
        except ValueError:
            raise ValueError(f"tape_memory: {size!r} is not a size such as 64M or 2G") from None
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"tape_memory must be at least 0, got {size!r}")
        return int(value * _SIZE_UNITS[unit])
    if size < 0:
        raise ValueError(f"tape_memory must be at least 0, got {size}")
    return int(size)
