"""`python -m revad_emu [options] PROG [ARGS...]`: run a program under emulation.

Options go before PROG; everything after PROG is the program's own argv. Exit status: the
program's own, 128+N when it dies of signal N, 125 for revad_emu errors, 127 for a missing
program file, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from importlib import resources

from revad_emu.errors import RevadError


def include_dir() -> str:
    return str(resources.files("revad_emu") / "include")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="revad-emu",
        description="Run an x86-64 Linux program under emulation and differentiate the "
                    "floating-point computations between its marked inputs and outputs.")
    p.add_argument("-v", "--verbose", action="store_true", help="show details and tracebacks")
    p.add_argument("--stdin", metavar="FILE", help="feed FILE to the program's standard input")
    p.add_argument("--max-instructions", type=int, metavar="N",
                   help="stop with an error after N instructions")
    p.add_argument("--allow-write", action="append", default=[], metavar="DIR",
                   help="let the program create and write files under DIR (repeatable)")
    p.add_argument("--include-dir", action="store_true",
                   help="print the folder holding revad.h and exit")
    p.add_argument("--no-ad", action="store_true",
                   help="only run the program; ignore its input/output marks")
    p.add_argument("--strict", action="store_true",
                   help="stop with an error where a derivative would be dropped (bit tricks, "
                        "unsupported instructions on active values)")
    p.add_argument("--format", choices=("table", "json", "npy"), default="table",
                   help="report format (table on stderr by default; json/npy need -o)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    p.add_argument("--tape", metavar="FILE.npz", help="save the recorded tape")
    p.add_argument("--record", metavar="DIR",
                   help="also write Derivgrind-format tape files (dg-tape, dg-input-indices, "
                        "dg-output-indices) into DIR")
    p.add_argument("--dg-mode", choices=("b", "d"), default="b",
                   help="what Derivgrind's DG_GET_MODE answers (b: recording, d: forward)")
    p.add_argument("--from-tape", metavar="FILE.npz",
                   help="evaluate a saved tape instead of running a program")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--vjp", metavar="SEEDS",
                   help="with --from-tape: output weights, comma-separated or a .npy/.txt file")
    g.add_argument("--jvp", metavar="SEEDS",
                   help="with --from-tape: input directions, comma-separated or a file")
    g.add_argument("--jacobian", action="store_true", help="with --from-tape: full Jacobian")
    p.add_argument("prog", nargs="?", metavar="PROG", help="the program to run")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="the program's own arguments")
    return p


class Progress:
    """A one-line progress display on a terminal for runs longer than a second."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def __call__(self, instructions: int, seconds: float) -> None:
        if not self.enabled or seconds < 1.0:
            return
        rate = instructions / seconds if seconds else 0.0
        sys.stderr.write(f"\r[revad-emu] {instructions / 1e6:9.1f} M instructions, "
                         f"{rate / 1e6:6.2f} M/s, {seconds:6.1f} s ")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


def _write_fd(fd: int):
    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    return write


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "call":  # `call LIB FUNC PROTOTYPE ARGS...`: see cli_call.py
        from revad_emu.cli_call import main as call_main

        return call_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.include_dir:
        print(include_dir())
        return 0
    if args.from_tape:
        try:
            return _from_tape(args)
        except RevadError as e:
            sys.stderr.write(f"revad-emu: error: {e}\n")
            return e.exit_status
    if args.format != "table" and not args.output:
        sys.stderr.write(f"revad-emu: error: --format {args.format} needs -o FILE\n")
        return 2
    if not args.prog:
        build_parser().print_usage(sys.stderr)
        sys.stderr.write("revad-emu: error: PROG is required\n")
        return 2
    try:
        return _run(args)
    except RevadError as e:
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu: error: {e}\n")
        return e.exit_status
    except KeyboardInterrupt:
        sys.stderr.write("revad-emu: error: interrupted (Ctrl-C)\n")
        return 130
    except Exception as e:  # noqa: BLE001 - a bug in revad_emu: one line unless -v
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu: internal error: {type(e).__name__}: {e} "
                         "(run with -v for details)\n")
        return 125


def _run(args) -> int:
    from revad_emu.api import Emulator

    stdin = None
    if args.stdin:
        try:
            with open(args.stdin, "rb") as f:
                stdin = f.read()
        except OSError as e:
            raise RevadError(f"--stdin {args.stdin}: {e.strerror}") from None
    emu = Emulator(args.prog, args.args, dict(os.environ), stdin=stdin,
                   allow_write=args.allow_write, max_instructions=args.max_instructions)
    tty = [fd for fd in (0, 1, 2) if os.isatty(fd)]
    if args.stdin:
        tty = [fd for fd in tty if fd != 0]
    progress = Progress(sys.stderr.isatty())
    out, err = _write_fd(1), _write_fd(2)
    rec = None
    try:
        if args.no_ad:
            res = emu.run(stdout=out, stderr=err, tty_fds=tty, progress=progress)
        else:
            rec = emu.record(stdout=out, stderr=err, tty_fds=tty, progress=progress,
                             strict=args.strict, dg_mode=args.dg_mode)
            res = rec.run_result
    finally:
        progress.done()
    if rec is not None and (rec.inputs or rec.outputs or args.output or args.tape):
        _report(args, rec)
    if args.verbose:
        sys.stderr.write(f"revad-emu: {res.instructions} instructions in {res.seconds:.2f} s, "
                         f"{sum(res.syscalls.values())} syscalls\n")
    for line in res.refused:
        sys.stderr.write(f"revad-emu: refused: {line}\n")
    if res.unknown_syscalls:
        names = ", ".join(str(n) for n in sorted(res.unknown_syscalls))
        sys.stderr.write(f"revad-emu: unsupported syscalls answered with ENOSYS: {names}\n")
    if res.fault is not None:
        sys.stderr.write(f"revad-emu: {args.prog}: {res.fault}\n")
    if res.exit_code < 0:
        return 128 - res.exit_code
    return res.exit_code


def _report(args, rec) -> None:
    import numpy as np

    from revad_emu import report

    J = rec.jacobian()
    if args.tape:
        rec.tape.save(args.tape)
    if args.record:
        os.makedirs(args.record, exist_ok=True)
        rec.tape.write_derivgrind(args.record)
    if args.format == "json":
        with open(args.output, "w") as f:
            f.write(report.dumps(report.to_json(rec, J)) + "\n")
    elif args.format == "npy":
        np.save(args.output, J)
    elif args.output:
        with open(args.output, "w") as f:
            f.write(report.table(rec, J) + "\n")
    if args.format == "table" or args.verbose:
        sys.stderr.write(report.table(rec, J) + "\n")
    elif rec.warnings:
        for w in rec.warnings:
            sys.stderr.write(f"revad-emu: warning: {w}\n")


def _seeds(text: str):
    import numpy as np

    if os.path.exists(text):
        return np.load(text) if text.endswith(".npy") else np.loadtxt(text, ndmin=1)
    try:
        return np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise RevadError(f"seeds {text!r}: give comma-separated numbers or a file") from None


def _from_tape(args) -> int:
    import json

    import numpy as np

    from revad_emu import sweep
    from revad_emu.tape import Tape

    try:
        tape = Tape.load(args.from_tape)
    except (OSError, ValueError, KeyError) as e:
        raise RevadError(f"--from-tape {args.from_tape}: cannot load tape: {e}") from None
    n_in, n_out = len(tape.inputs), len(tape.outputs)
    try:
        if args.vjp:
            res = sweep.vjp(tape, _seeds(args.vjp))
        elif args.jvp:
            res = sweep.jvp(tape, _seeds(args.jvp))
        else:
            res = sweep.jacobian(tape)
    except ValueError as e:
        raise RevadError(f"{e} (tape has {n_in} inputs, {n_out} outputs)") from None
    if args.format == "npy" and args.output:
        np.save(args.output, res)
    elif args.format == "json":
        text = json.dumps(np.asarray(res).tolist())
        if args.output:
            with open(args.output, "w") as f:
                f.write(text + "\n")
        else:
            print(text)
    else:
        np.savetxt(args.output or sys.stdout, np.atleast_2d(res), fmt="%.17g")
    return 0
