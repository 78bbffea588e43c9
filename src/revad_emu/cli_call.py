"""`python -m revad_emu call LIB FUNC PROTOTYPE ARGS... [--grad|--jacobian]`.

Calls one function of a shared library or executable (see `rv.load`) and prints its
outputs, and with --grad or --jacobian their derivatives w.r.t. the floating-point arguments
(`--argnums 0,2` picks which; default all). Array arguments are `@file.npy` or comma lists
(`1,2,3`); a pointer given a single number points at that one value (Fortran scalars).
Numbers may be negative: only the options below are options.

Exit status: 0; 2 for a usage error (arguments that do not fit the prototype); 125 when the
call fails (crash, budget, unsupported instruction), 127 when LIB does not exist.
"""

from __future__ import annotations

import json
import sys
import traceback

import numpy as np

from revad_emu.errors import MissingFile, RevadError

USAGE = ("usage: python -m revad_emu call LIB FUNC PROTOTYPE ARGS... "
         "[--grad | --jacobian] [--argnums I,J] [--json] [--max-instructions N] [-v]")


class UsageError(Exception):
    pass


def _parse_argv(argv: list[str]) -> tuple[list[str], dict]:
    opts: dict = {"mode": "value", "argnums": None, "json": False, "max": None, "verbose": False}
    pos: list[str] = []
    it = iter(argv)
    for a in it:
        if a in ("--grad", "--jacobian"):
            if opts["mode"] != "value":
                raise UsageError("--grad and --jacobian exclude each other")
            opts["mode"] = a[2:]
        elif a == "--argnums":
            v = next(it, None)
            if v is None:
                raise UsageError("--argnums needs a value such as 0,2")
            try:
                opts["argnums"] = tuple(int(s) for s in v.split(","))
            except ValueError:
                raise UsageError(f"--argnums {v!r}: expected integers such as 0,2") from None
        elif a == "--json":
            opts["json"] = True
        elif a == "--max-instructions":
            v = next(it, None)
            if v is None or not v.isdigit():
                raise UsageError("--max-instructions needs a positive integer")
            opts["max"] = int(v)
        elif a in ("-v", "--verbose"):
            opts["verbose"] = True
        elif a in ("-h", "--help"):
            raise UsageError("help")
        else:
            pos.append(a)
    if len(pos) < 3:
        raise UsageError("LIB, FUNC and PROTOTYPE are required")
    return pos, opts


def _value(text: str, param) -> object:
    t = param.type
    try:
        if text.startswith("@"):
            arr = np.load(text[1:], allow_pickle=False)
            return np.ascontiguousarray(arr, dtype=t.dtype)
        if t.pointer:
            if t.base == "char" and not _numeric(text):
                return text
            items = [s for s in text.split(",") if s.strip()]
            arr = np.array([_number(s, t) for s in items], dtype=t.dtype)
            return arr.reshape(()) if "," not in text and len(items) == 1 else arr
        return _number(text, t)
    except (OSError, ValueError) as e:
        raise UsageError(f"argument {param.name!r} ({t}): {e}") from None


def _numeric(s: str) -> bool:
    try:
        [float(x) for x in s.split(",") if x.strip()]
        return True
    except ValueError:
        return False


def _number(s: str, t):
    s = s.strip()
    if t.dtype.kind == "f":
        return float(s)
    if t.dtype.kind == "b":
        if s.lower() in ("1", "true"):
            return True
        if s.lower() in ("0", "false"):
            return False
        raise ValueError(f"{s!r} is not a bool (0/1/true/false)")
    return int(s, 0)


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    a = np.asarray(v, dtype=np.float64) if np.asarray(v).dtype.kind == "f" else np.asarray(v)
    if a.dtype.kind == "f":
        out = a.tolist()
        return _fix_nonfinite(out)
    return a.tolist()


def _fix_nonfinite(x):
    if isinstance(x, list):
        return [_fix_nonfinite(y) for y in x]
    if isinstance(x, float) and not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def main(argv: list[str]) -> int:
    """Entry point for `python -m revad_emu call ...` (argv without the word `call`)."""
    try:
        pos, opts = _parse_argv(argv)
    except UsageError as e:
        if str(e) == "help":
            print(USAGE)
            print(__doc__.split("\n\n", 1)[1])
            return 0
        sys.stderr.write(f"{USAGE}\nrevad-emu call: error: {e}\n")
        return 2
    import revad_emu as rv
    from revad_emu.functions.prototype import PrototypeError

    path, name, proto_text, raw_args = pos[0], pos[1], pos[2], pos[3:]
    try:
        lib = rv.load(path)
        kw = {"max_instructions": opts["max"]} if opts["max"] else {}
        fn = lib.function(name, proto_text, **kw)
        params = fn.proto.params
        if len(raw_args) != len(params):
            raise UsageError(f"{name} takes {len(params)} arguments ({fn.proto}), "
                             f"{len(raw_args)} given")
        args = tuple(_value(a, p) for a, p in zip(raw_args, params, strict=True))
        report: dict = {"function": name, "prototype": str(fn.proto)}
        floats = [i for i, p in enumerate(params) if p.is_input]
        nums = opts["argnums"] if opts["argnums"] is not None else tuple(floats)
        from revad_emu.functions.transforms import Linearization, _argnums

        if opts["mode"] == "value":
            res = lib.call(fn, args)
            report["result"] = _jsonable(res.result)
            report["arrays"] = {params[i].name: _jsonable(a) for i, a in res.arrays.items()}
        else:
            if not nums:
                raise UsageError(f"{name} has no floating-point arguments to differentiate")
            _argnums(fn, nums)
            lin = Linearization(fn, args)
            report["result"] = _jsonable(lin.res.result)
            report["arrays"] = {params[i].name: _jsonable(a) for i, a in lin.res.arrays.items()}
            per_out = lin.jacobian(tuple(nums))
            names = ["return" if i is None else params[i].name for i, _o, _s in lin.out_rows]
            if opts["mode"] == "grad":
                if len(lin.out_rows) != 1 or lin.out_rows[0][2] != ():
                    raise UsageError("--grad needs one scalar output; use --jacobian")
                report["grad"] = {params[a].name: _jsonable(b)
                                  for a, b in zip(nums, per_out[0], strict=True)}
            else:
                report["jacobian"] = {
                    out: {params[a].name: _jsonable(b) for a, b in zip(nums, po, strict=True)}
                    for out, po in zip(names, per_out, strict=True)}
    except UsageError as e:
        sys.stderr.write(f"revad-emu call: error: {e}\n")
        return 2
    except (PrototypeError, TypeError, AttributeError) as e:
        sys.stderr.write(f"revad-emu call: error: {e}\n")
        return 2
    except MissingFile as e:
        sys.stderr.write(f"revad-emu call: error: {e}\n")
        return 127
    except RevadError as e:
        if opts["verbose"]:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu call: error: {e}\n")
        return e.exit_status
    if opts["json"]:
        print(json.dumps(report))
    else:
        for key in ("result", "arrays", "grad", "jacobian"):
            if key in report and report[key] not in (None, {}):
                print(f"{key}: {json.dumps(report[key])}")
    return 0
