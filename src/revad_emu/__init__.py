"""revad_emu: algorithmic differentiation of compiled x86-64 Linux programs under emulation."""

from revad_emu.api import Emulator, RunResult
from revad_emu.errors import RevadError
from revad_emu.recording import Recording
from revad_emu.tape import Tape

__version__ = "0.1.0"
__all__ = ["Emulator", "Recording", "RunResult", "RevadError", "Tape", "__version__"]
