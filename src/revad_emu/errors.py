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


class Interrupted(RevadError):
    """The user pressed Ctrl-C."""

    exit_status = 130


class DerivativeError(RevadError):
    """A derivative would be wrong (raised in --strict mode instead of a warning)."""


class EmulationError(RevadError):
    """Unicorn stopped for a reason that is not the program's own doing."""


class GuestFault(RevadError):
    """The emulated code crashed (invalid memory access, CPU exception) or exited where it
    was expected to return (a called function, start-up up to `main`)."""
