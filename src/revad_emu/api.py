"""The Python entry point: `Emulator(path, argv, env, stdin).run()` and `.record()`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from revad_emu.machine import Machine


@dataclass
class RunResult:
    """What a plain (non-differentiating) run produced."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    instructions: int
    syscalls: dict[str, int]
    seconds: float = 0.0
    fault: str | None = None
    unknown_syscalls: dict[int, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


class Emulator:
    """An x86-64 Linux program to run under emulation.

    `argv` are the program's arguments after argv[0]; `stdin` is the bytes it reads (None:
    the host's standard input); `allow_write` lists directories the program may write into.
    """

    def __init__(self, path: str | os.PathLike, argv: Sequence[str] | None = None,
                 env: dict[str, str] | None = None, stdin: bytes | None = b"", *,
                 allow_write: Sequence[str | os.PathLike] = (),
                 max_instructions: int | None = None):
        self.path = os.fspath(path)
        self.argv = [str(a) for a in (argv or [])]
        self.env = env
        self.stdin = stdin
        self.allow_write = [os.fspath(p) for p in allow_write]
        self.max_instructions = max_instructions

    def machine(self, *, stdout: Callable[[bytes], None] | None = None,
                stderr: Callable[[bytes], None] | None = None, tty_fds=(),
                max_instructions: int | None = None,
                progress: Callable[[int, float], None] | None = None) -> Machine:
        """A fresh, loaded machine for this program (one per run)."""
        return Machine(self.path, self.argv, self.env, stdin=self.stdin, stdout=stdout,
                       stderr=stderr, allow_write=self.allow_write, tty_fds=tty_fds,
                       max_instructions=max_instructions or self.max_instructions,
                       progress=progress)

    def run(self, max_instructions: int | None = None, **kw) -> RunResult:
        """Run the program to completion without differentiating; capture its output."""
        m = self.machine(max_instructions=max_instructions, **kw)
        st = m.run()
        return result_of(m, st)

    def record(self, **kw):
        """Run the program and record the tape of its active floating-point operations.

        progress=True shows a progress bar (tqdm), or pass a callable(instructions,
        seconds); strict=True makes a dropped derivative an error; trace=a text stream
        prints each tape node as it is recorded. Returns a `Recording`."""
        from revad_emu.recording import record

        return record(self, **kw)

    @staticmethod
    def result(m: Machine, st) -> RunResult:
        """The RunResult of a finished machine (used by recording, which must not import
        this module: api sits above recording)."""
        return result_of(m, st)


def result_of(m: Machine, st) -> RunResult:
    return RunResult(exit_code=m.exit_code, stdout=bytes(m.out), stderr=bytes(m.err),
                     instructions=st.instructions, syscalls=dict(st.syscalls),
                     seconds=st.seconds, fault=m.fault,
                     unknown_syscalls=dict(m.kernel.unknown), refused=list(m.kernel.refused))
