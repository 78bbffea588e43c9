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
    from revad_emu.clitext import EPILOG

    p = argparse.ArgumentParser(
        prog="revad-emu", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run an x86-64 Linux program under emulation and differentiate the "
                    "floating-point computations between its marked inputs and outputs.")
    p.add_argument("--version", action="store_true",
                   help="print the versions of revad-emu, unicorn and capstone and whether "
                        "the compiled hot path is in use")
    p.add_argument("-v", "--verbose", action="store_true", help="show details and tracebacks")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no Jacobian table, notes or progress on stderr (warnings and errors "
                        "are still printed)")
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
    p.add_argument("--format", choices=("table", "json", "csv", "npy"), default="table",
                   help="report format (table on stderr by default; json/csv/npy need -o)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    p.add_argument("--tape", metavar="FILE.npz", help="save the recorded tape")
    p.add_argument("--record", metavar="DIR",
                   help="also write Derivgrind-format tape files (dg-tape, dg-input-indices, "
                        "dg-output-indices) into DIR")
    p.add_argument("--explain", nargs="?", const="-", metavar="FILE",
                   help="after the run, explain the tape (one row per node: op, value, "
                        "parents, partials, function+offset, file:line, disassembly) on "
                        "stderr or into FILE (write --explain=FILE)")
    p.add_argument("--graph", metavar="FILE",
                   help="draw the tape into FILE.dot, .svg or .png (svg/png with Graphviz's "
                        "dot program, else matplotlib)")
    p.add_argument("--trace", action="store_true",
                   help="print each taped instruction as it runs (value; tangent with "
                        "--dg-mode d) on stderr")
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


def _is_program(path: str) -> bool:
    """Is `path` an executable file (so `--explain PROG` did not name an output file)?"""
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _write_fd(fd: int, progress=None):
    """The guest's writes to fd; a progress display on the same terminal is erased first,
    so it never garbles the program's output."""
    def write(data: bytes) -> None:
        if progress is not None:
            progress.clear()
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    return write


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        from revad_emu.clitext import version_text

        print(version_text())
        return 0
    if args.include_dir:
        print(include_dir())
        return 0
    if args.explain not in (None, "-") and _is_program(args.explain):
        # `--explain PROG ARGS`: the optional FILE was not given; the value is PROG.
        args.args = [args.prog, *args.args] if args.prog else args.args
        args.prog, args.explain = args.explain, "-"
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
    from revad_emu.views.progress import ProgressBar

    progress = ProgressBar(delay=1.0, notebook=False) if sys.stderr.isatty() and \
        not args.quiet and not args.trace else None
    out, err = _write_fd(1, progress), _write_fd(2, progress)
    rec = None
    try:
        if args.no_ad:
            res = emu.run(stdout=out, stderr=err, tty_fds=tty, progress=progress)
        else:
            rec = emu.record(stdout=out, stderr=err, tty_fds=tty, progress=progress,
                             strict=args.strict, dg_mode=args.dg_mode,
                             trace=sys.stderr if args.trace else None)
            res = rec.run_result
    finally:
        if progress is not None:
            progress.close()
    crashed = res.fault is not None or res.exit_code < 0
    if rec is not None and ((rec.inputs and rec.outputs) or args.output or args.tape):
        _report(args, rec, crashed)
    elif rec is not None and not crashed and not args.quiet:
        from revad_emu.clitext import marks_note

        sys.stderr.write(marks_note(rec) + "\n")
    if rec is not None:
        _views(args, rec)
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


def _report(args, rec, crashed: bool = False) -> None:
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
    elif args.format == "csv":
        with open(args.output, "w", newline="") as f:
            f.write(report.to_csv(rec, J))
    elif args.format == "npy":
        np.save(args.output, J)
    elif args.output:
        with open(args.output, "w") as f:
            f.write(report.table(rec, J) + "\n")
    if crashed and not (rec.inputs and rec.outputs):
        for w in rec.warnings:  # no table, no "mark your inputs" hint: the run crashed
            sys.stderr.write(f"revad-emu: warning: {w}\n")
    elif (args.format == "table" and not args.quiet) or args.verbose:
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
    from revad_emu import clitext, report

    kind = "vjp" if args.vjp else "jvp" if args.jvp else "jacobian"
    if args.format == "npy" and args.output:
        np.save(args.output, res)
        return 0
    if args.format == "json":
        text = report.dumps(clitext.labelled_json(kind, res, tape))
    elif args.format == "csv":
        names = tape.input_names if kind != "jvp" else tape.output_names
        rows = np.atleast_2d(res)
        lines = [",".join(([""] if kind == "jacobian" else []) + names)]
        for i, r in enumerate(rows):
            lead = [tape.output_names[i]] if kind == "jacobian" else []
            lines.append(",".join(lead + [repr(float(x)) for x in r]))
        text = "\n".join(lines)
    else:
        text = clitext.labelled(kind, res, tape)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


EXPLAIN_LIMIT = 20_000  # rows of --explain; a long run's tape would flood the terminal


def _views(args, rec) -> None:
    """--explain and --graph, after the run."""
    if args.explain:
        text = str(rec.explain(limit=EXPLAIN_LIMIT))
        if args.explain == "-":
            sys.stderr.write(text + "\n")
        else:
            with open(args.explain, "w") as f:
                f.write(text + "\n")
    if args.graph:
        from revad_emu.views.dot import write_graph

        write_graph(rec, args.graph)
