"""`python -m revad_emu [options] PROG [ARGS...]`: run a program under emulation.

Options go before PROG; everything after PROG is the program's own argv. Exit status: the
program's own, 128+N when it dies of signal N, 2 for a usage error (a bad option value, an
option that needs another, an output path in a missing directory: all found before anything
runs), 125 for revad_emu errors (a program that cannot be loaded, a damaged --from-tape
file, an unsupported instruction...), 126 when Linux's execve would refuse the arguments and
environment (E2BIG), 127 for a missing program file, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from importlib import resources
from typing import NoReturn

from revad_emu.errors import RevadError, UsageError


def include_dir() -> str:
    return str(resources.files("revad_emu") / "include")


class _Parser(argparse.ArgumentParser):
    """argparse with the error contract of the rest of the CLI: one line, status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    from revad_emu.clitext import EPILOG

    p = _Parser(
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
    p.add_argument("--max-instructions", type=_positive_int, metavar="N",
                   help="stop with an error after N instructions")
    p.add_argument("--allow-write", action="append", default=[], metavar="DIR",
                   help="let the program create and write files under DIR (repeatable)")
    p.add_argument("--allow-read", action="append", metavar="DIR",
                   help="let the program read files only under DIR (repeatable), the "
                        "--allow-write directories, itself and what its loader needs")
    p.add_argument("--no-read", action="store_true",
                   help="let the program read no host file but itself, what its loader needs "
                        "and the --allow-write directories")
    p.add_argument("--include-dir", action="store_true",
                   help="print the folder holding revad.h and exit")
    p.add_argument("--no-ad", action="store_true",
                   help="only run the program; ignore its input/output marks")
    p.add_argument("--strict", action="store_true",
                   help="stop with an error where a derivative would be dropped (bit tricks, "
                        "unsupported instructions on active values)")
    p.add_argument("--input", action="append", default=[], metavar="SPEC", dest="inputs",
                   help="mark values of an unmodified program as inputs (repeatable): parsed"
                        "[:N[-M]], SYMBOL[N][:TYPE], FUNC[#N]:argK|arg[K]|ret|*argK[N][:TYPE], "
                        "0xADDR:TYPE[N]")
    p.add_argument("--output", action="append", default=[], metavar="SPEC", dest="outputs",
                   help="mark values as outputs (repeatable): printed[:N[-M]], SYMBOL..., "
                        "FUNC[#N]:ret|argK|*argK[N][:TYPE], 0xADDR:TYPE[N]")
    p.add_argument("--format", choices=("table", "json", "npy", "csv"), default="table",
                   help="report format (table on stderr by default; json/npy/csv need -o)")
    p.add_argument("-o", "--report", metavar="FILE", help="write the report here")
    p.add_argument("--tape", metavar="FILE.npz", help="save the recorded tape")
    p.add_argument("--tape-memory", metavar="SIZE",
                   help="bytes of tape kept in memory, e.g. 64M or 2G (default: a quarter of "
                        "the RAM; 0: no limit); beyond, the tape spills to unnamed files next "
                        "to --tape FILE (else in the temporary directory), removed at exit")
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
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "call":  # `call LIB FUNC PROTOTYPE ARGS...`: see cli_call.py
        from revad_emu.cli_call import main as call_main

        return call_main(argv[1:])
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
    try:
        _check_usage(args)
        return _from_tape(args) if args.from_tape else _run(args)
    except RevadError as e:
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu: error: {e}\n")
        return e.exit_status
    except KeyboardInterrupt:
        sys.stderr.write("revad-emu: error: interrupted (Ctrl-C)\n")
        return 130
    except MemoryError as e:  # the host ran out: not a bug, and Python has memory again
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu: error: out of host memory ({e or 'MemoryError'})\n")
        return 125
    except Exception as e:  # noqa: BLE001 - a bug in revad_emu: one line unless -v
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"revad-emu: internal error: {type(e).__name__}: {e} "
                         "(run with -v for details)\n")
        return 125


_RUN_ONLY = (("stdin", "--stdin"), ("tape", "--tape"), ("record", "--record"),
             ("no_ad", "--no-ad"), ("strict", "--strict"), ("allow_write", "--allow-write"),
             ("max_instructions", "--max-instructions"), ("allow_read", "--allow-read"),
             ("no_read", "--no-read"), ("inputs", "--input"), ("outputs", "--output"),
             ("tape_memory", "--tape-memory"))


def _check_usage(args) -> None:
    """Refuse option combinations that would be ignored or fail late, and output paths that
    cannot be written, before anything runs (UsageError: status 2)."""
    if args.from_tape:
        if args.prog:
            raise UsageError(f"--from-tape evaluates a saved tape; no program ({args.prog}) "
                             "is run with it")
        given = [flag for attr, flag in _RUN_ONLY if getattr(args, attr)]
        if given:
            raise UsageError(f"{given[0]} applies to running a program, not to --from-tape")
    else:
        for flag in ("vjp", "jvp", "jacobian"):
            if getattr(args, flag):
                raise UsageError(f"--{flag} needs --from-tape FILE (a run reports the full "
                                 "Jacobian; save it with --tape to sweep it again)")
        if args.format != "table" and not args.report:
            raise UsageError(f"--format {args.format} needs -o FILE")
        if not args.prog:
            raise UsageError("PROG is required")
        if args.no_ad:
            for value, flag in ((args.tape, "--tape"), (args.record, "--record"),
                                (args.report, "-o")):
                if value:
                    raise UsageError(f"{flag} needs a recording; drop --no-ad")
    for value, flag in ((args.report, "-o"), (args.tape, "--tape")):
        if value:
            check_output_file(value, flag)
    if args.tape_memory is not None:
        from revad_emu.arguments import tape_memory

        try:
            tape_memory(args.tape_memory)
        except ValueError as e:
            raise UsageError(f"--tape-memory {args.tape_memory}: {e}") from None
    if args.record:
        check_output_dir(args.record, "--record")


def check_output_file(path: str, flag: str) -> None:
    """A file can be created or replaced at `path`: its directory exists and is writable."""
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{flag} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: no permission to write into {parent}")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path}: file is not writable")


def check_output_dir(path: str, flag: str) -> None:
    """`path` is a writable directory, or can be created (with its parents)."""
    p = os.path.abspath(path)
    while not os.path.exists(p):
        p = os.path.dirname(p)
    if not os.path.isdir(p):
        raise UsageError(f"{flag} {path}: {p} is not a directory")
    if not os.access(p, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: no permission to write into {p}")


def _run(args) -> int:
    from revad_emu.api import Emulator

    stdin = None
    if args.stdin:
        stdin = _read_stdin_file(args.stdin)
    emu = Emulator(args.prog, args.args, dict(os.environ), stdin=stdin,
                   allow_write=args.allow_write,
                   allow_read=args.allow_read or ([] if args.no_read else None),
                   max_instructions=args.max_instructions,
                   inputs=args.inputs, outputs=args.outputs)
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
                             trace=sys.stderr if args.trace else None,
                             tape_memory=args.tape_memory,
                             spill_dir=os.path.dirname(os.path.abspath(args.tape))
                             if args.tape else None)
            res = rec.run_result
    finally:
        if progress is not None:
            progress.close()
    crashed = res.fault is not None or res.exit_code < 0
    if rec is not None and ((rec.inputs and rec.outputs) or args.report or args.tape):
        try:
            _report(args, rec, crashed)
        except OSError as e:  # paths were checked before the run; the disk may still fail
            raise RevadError(f"cannot write the results: {e.filename}: {e.strerror}") from None
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


# The guest's standard input is held in memory whole; a device or pipe (/dev/zero, a FIFO)
# may never end, so from those at most this much is taken.
STDIN_STREAM_LIMIT = 256 << 20


def _read_stdin_file(path: str) -> bytes:
    """The bytes of `--stdin FILE`: a regular file whole; a device or pipe up to
    STDIN_STREAM_LIMIT (more is a usage error rather than unbounded host memory)."""
    import stat

    try:
        with open(path, "rb") as f:
            if stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return f.read()
            data = f.read(STDIN_STREAM_LIMIT + 1)
    except OSError as e:
        raise UsageError(f"--stdin {path}: {e.strerror}") from None
    if len(data) > STDIN_STREAM_LIMIT:
        raise UsageError(f"--stdin {path}: not a regular file and longer than "
                         f"{STDIN_STREAM_LIMIT >> 20} MiB (an endless device?)")
    return data


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
        with open(args.report, "w") as f:
            f.write(report.dumps(report.to_json(rec, J)) + "\n")
    elif args.format == "csv":
        with open(args.report, "w", newline="") as f:
            f.write(report.to_csv(rec, J))
    elif args.format == "npy":
        np.save(args.report, J)
    elif args.format == "csv":
        with open(args.report, "w", newline="") as f:
            f.write(report.to_csv(rec, J))
    elif args.report:
        with open(args.report, "w") as f:
            f.write(report.table(rec, J) + "\n")
    if crashed and not (rec.inputs and rec.outputs):
        for w in rec.warnings:  # no table, no "mark your inputs" hint: the run crashed
            sys.stderr.write(f"revad-emu: warning: {w}\n")
    elif (args.format == "table" and not args.quiet) or args.verbose:
        sys.stderr.write(report.table(rec, J) + "\n")
    elif rec.warnings:
        for w in rec.warnings:
            sys.stderr.write(f"revad-emu: warning: {w}\n")
        if rec.stats.get("dropped_derivatives"):
            sys.stderr.write(report.incomplete_line(rec.stats["dropped_derivatives"]) + "\n")


def _seeds(text: str, flag: str):
    """Seeds from comma-separated numbers or a .npy/.txt file (UsageError if neither)."""
    import numpy as np

    if os.path.isdir(text):
        raise UsageError(f"{flag} {text}: is a directory; give comma-separated numbers or a "
                         ".npy/.txt file")
    if os.path.exists(text):
        try:
            a = (np.load(text, allow_pickle=False) if text.endswith(".npy")
                 else np.loadtxt(text, ndmin=1))
        except (OSError, ValueError, EOFError) as e:
            raise UsageError(f"{flag} {text}: cannot read seeds ({e})") from None
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf" or a.ndim not in (1, 2):
            raise UsageError(f"{flag} {text}: expected a vector or matrix of numbers")
        return a.astype(np.float64)
    try:
        return np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise UsageError(f"{flag} {text!r}: give comma-separated numbers or a file") from None


def _check_jacobian_size(n_out: int, n_in: int) -> None:
    """A dense Jacobian that cannot fit in memory is refused before it is allocated."""
    from revad_emu.ad.tape_check import memory_left

    need, left = 8 * n_out * n_in, memory_left()
    if left is not None and need > left // 2:
        raise RevadError(f"the {n_out} x {n_in} Jacobian needs {need:,} bytes, more than "
                         f"half of the {left:,} bytes of memory available; sweep it with "
                         "--vjp or --jvp")


def _from_tape(args) -> int:
    import numpy as np

    from revad_emu.ad import sweep, tape_check

    seeds = _seeds(args.vjp, "--vjp") if args.vjp else \
        _seeds(args.jvp, "--jvp") if args.jvp else None
    # Only what the sweep reads (TapeError: one line naming what is wrong, status 125)
    tape = tape_check.load(args.from_tape, sweep_only=True)
    n_in, n_out = len(tape.inputs), len(tape.outputs)
    try:
        if args.vjp:
            res = sweep.vjp(tape, seeds)
        elif args.jvp:
            res = sweep.jvp(tape, seeds)
        else:
            _check_jacobian_size(n_out, n_in)
            res = sweep.jacobian(tape)
    except ValueError as e:
        raise UsageError(f"{e} (tape has {n_in} inputs, {n_out} outputs)") from None
    from revad_emu import clitext, report

    kind = "vjp" if args.vjp else "jvp" if args.jvp else "jacobian"
    if args.format == "npy" and args.report:
        np.save(args.report, res)
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
    if args.report:
        with open(args.report, "w") as f:
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
