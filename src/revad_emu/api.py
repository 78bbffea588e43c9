"""The Python entry point: `Emulator(path, argv, env, stdin).run()` and `.record()`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from revad_emu import arguments
from revad_emu.cpu.machine import Machine
from revad_emu.linux.sandbox import path_list


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
    the host's standard input); `allow_write` is a directory (str or path-like) or a list of
    them the program may write into; `allow_read`, when given (a directory or a list, maybe
    empty), restricts what the program may read to those directories, the --allow-write
    ones, the program itself and what the dynamic loader needs (None: any file the user can
    read, as a native run). Paths, arguments and the environment may be str or bytes (bytes
    reach the program as they are); wrong types and values raise TypeError/ValueError here
    (see `arguments`). `inputs`/`outputs` choose values from outside the program (selectors
    such as "parsed", "printed", "x[3]:double", "f#0:arg1", "0x4040a0:double[2]"; see
    revad_emu.outside.spec); they combine with marks compiled into it. A malformed selector
    raises SelectorError.
    """

    def __init__(self, path: str | bytes | os.PathLike,
                 argv: Sequence[str | bytes | os.PathLike | int | float] | None = None,
                 env: Mapping[str | bytes, str | bytes] | None = None,
                 stdin: bytes | bytearray | memoryview | None = b"", *,
                 allow_write: str | os.PathLike | Sequence[str | os.PathLike] = (),
                 allow_read: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
                 max_instructions: int | None = None,
                 inputs: Sequence[str] = (), outputs: Sequence[str] = ()):
        from revad_emu.outside import parse_all

        self.selectors = parse_all(inputs, outputs)
        self.path = arguments.program_path(path)
        self.argv = arguments.argv_list(argv)
        self.env = arguments.environment(env)
        self.stdin = arguments.stdin_bytes(stdin)
        self.allow_write = path_list(allow_write, "allow_write")
        self.allow_read = None if allow_read is None else path_list(allow_read, "allow_read")
        self.max_instructions = arguments.max_instructions(max_instructions)

    def machine(self, *, stdout: Callable[[bytes], None] | None = None,
                stderr: Callable[[bytes], None] | None = None, tty_fds=(),
                max_instructions: int | None = None,
                progress: Callable[[int, float], None] | None = None) -> Machine:
        """A fresh, loaded machine for this program (one per run). From the second run
        of the same start on, it may begin at `main` from a snapshot (startup.py), with the
        same state a cold start reaches there; selectors may watch code before `main`, so
        runs with them always start cold."""
        max_instructions = arguments.max_instructions(max_instructions)

        def make(load: bool = True) -> Machine:
            return Machine(self.path, self.argv, self.env, stdin=self.stdin, stdout=stdout,
                           stderr=stderr, allow_write=self.allow_write,
                           allow_read=self.allow_read, tty_fds=tty_fds,
                           max_instructions=max_instructions or self.max_instructions,
                           progress=progress, load=load)

        if self.selectors:
            return make()
        from revad_emu.cpu import startup

        return startup.start(make, tty_fds)

    def run(self, max_instructions: int | None = None, **kw) -> RunResult:
        """Run the program to completion without differentiating; capture its output."""
        m = self.machine(max_instructions=max_instructions, **kw)
        st = m.run()
        return result_of(m, st)

    def record(self, **kw):
        """Run the program and record the tape of its active floating-point operations.

        progress=True shows a progress bar (tqdm), or pass a callable(instructions,
        seconds); strict=True makes a dropped derivative an error; trace=a text stream
        prints each tape node as it is recorded; tape_memory="64M" (bytes or a size; default
        a quarter of the RAM, 0 no limit) moves the tape into unnamed files in spill_dir
        past that size. Returns a `Recording`."""
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
