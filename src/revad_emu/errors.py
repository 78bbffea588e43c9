"""Exceptions revad_emu raises for problems with the tool's input or the emulation.

Each carries a one-line message meant for a user; the CLI prints it as is.
"""


class RevadError(Exception):
    """Base class: a problem the user can act on (not a bug in revad_emu)."""

    exit_status = 125


class ElfError(RevadError):
    """The program file cannot be loaded (missing, not ELF, wrong machine, corrupt)."""


class MissingFile(ElfError):
    exit_status = 127


class UnsupportedInstruction(RevadError):
    """An instruction revad_emu cannot execute or differentiate correctly."""


class UnsupportedSyscall(RevadError):
    """A system call the sandbox refuses in strict mode."""


class BudgetExceeded(RevadError):
    """The --max-instructions budget ran out before the program exited."""


class Interrupted(RevadError, KeyboardInterrupt):
    """The user pressed Ctrl-C (a KeyboardInterrupt too, as Python code expects).

    `stdout` and `stderr` hold what the program had written until then (when the run
    collected its output rather than passing it on)."""

    exit_status = 130
    stdout: bytes = b""
    stderr: bytes = b""


class DerivativeError(RevadError):
    """A derivative would be wrong (raised in --strict mode instead of a warning)."""


class EmulationError(RevadError):
    """Unicorn stopped for a reason that is not the program's own doing."""


class TapeError(RevadError, ValueError):
    """A tape file that cannot be loaded (damaged, not a tape, or too large to be real)."""


class ArgumentListTooLong(RevadError):
    """The arguments and environment exceed what Linux's execve accepts (E2BIG).

    Exit status 126, as a shell reports a program it found but could not execute."""

    exit_status = 126


class UsageError(RevadError):
    """A bad command line: a wrong option value or combination, an unwritable output path.

    Exit status 2, as argparse gives; found before anything runs."""

    exit_status = 2


class GuestFault(RevadError):
    """The emulated code crashed (invalid memory access, CPU exception) or exited where it
    was expected to return (a called function, start-up up to `main`)."""


class UserModeFault(Exception):
    """The guest did what kills a native process with `signal` (a privileged or misaligned
    instruction): the run ends as that signal, with this message as its fault line."""

    def __init__(self, signal: int, message: str):
        super().__init__(message)
        self.signal = signal
