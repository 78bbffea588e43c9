"""Progress of a long run: a tqdm bar (instructions, tape nodes, rate), then a sweep phase.

The machine calls the display every ~16k translation blocks with (instructions, seconds).
On a terminal the bar shares stderr with the program being run, so `clear()` must be called
before the guest writes anything: the bar is erased, the guest's bytes land on a clean line,
and the bar is redrawn at the next tick. Without tqdm a one-line text display does the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


class ProgressBar:
    """Callable progress display for `Emulator.record(progress=...)` and the CLI."""

    def __init__(self, *, delay: float = 0.5, notebook: bool = True, file=None) -> None:
        self.delay = delay
        self.file = file or sys.stderr
        self.nodes: Callable[[], int] | None = None
        self._bar = None
        self._shown_text = False
        self._last = 0
        self._notebook = notebook
        try:
            if notebook:
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def _make_bar(self, initial: int = 0):
        # Our own rate and time in the postfix: the bar starts after `delay`, so tqdm's
        # clock would overstate the rate. A terminal that reports no size (a fresh pty:
        # 0 columns or rows) would make tqdm print nothing: fall back to 100 x 24.
        try:
            size = os.get_terminal_size(self.file.fileno())
            cols, rows = size.columns or 100, size.lines or 24
        except (OSError, AttributeError, ValueError):
            cols, rows = None, None
        return self._tqdm(total=None, desc="recording", file=self.file, leave=False,
                          unit_scale=True, ncols=cols, nrows=rows, initial=initial,
                          bar_format="{desc}: {n_fmt} instructions{postfix}")

    def __call__(self, instructions: int, seconds: float) -> None:
        if seconds < self.delay:
            return
        nodes = self.nodes() - 1 if self.nodes is not None else None
        rate = instructions / seconds if seconds else 0.0
        if self._tqdm is not None:
            new = self._bar is None
            if new:
                self._bar = self._make_bar(instructions)
                self._last = instructions
            extra = f", {nodes:,} tape nodes" if nodes is not None else ""
            self._bar.set_postfix_str(f"{rate / 1e6:.2f} M/s{extra}, {seconds:.1f} s",
                                      refresh=new)
            self._bar.update(instructions - self._last)  # redraws at most every 0.1 s
            self._last = instructions
            return
        extra = f", {nodes:,} tape nodes" if nodes is not None else ""
        self.file.write(f"\r[revad-emu] {instructions / 1e6:9.1f} M instructions "
                        f"({rate / 1e6:.2f} M/s){extra}, {seconds:6.1f} s ")
        self.file.flush()
        self._shown_text = True

    def phase(self, name: str, total: int | None = None) -> None:
        """Start a new phase (e.g. "sweep", with `total` Jacobian entries): a fresh bar
        after the recording bar was closed."""
        self.close()
        if self._tqdm is not None:  # shown only if the phase lasts longer than `delay`
            self._bar = self._tqdm(total=total, desc=name, file=self.file, leave=False,
                                   delay=self.delay)

    def clear(self) -> None:
        """Erase the display (before the program writes to the same terminal)."""
        if self._bar is not None:
            self._bar.clear()
        elif self._shown_text:
            self.file.write("\r" + " " * 100 + "\r")
            self.file.flush()
            self._shown_text = False

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            self.clear()

    done = close


def make(progress) -> ProgressBar | Callable[[int, float], None] | None:
    """`progress=True` → a bar; a callable is used as is; False/None → nothing."""
    if progress is True:
        return ProgressBar()
    return progress or None
