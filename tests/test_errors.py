"""Bad inputs give one clear error line (CLI) or the right RevadError subclass (API)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buildcache import ROOT, build, run_native

try:
    import revad_emu  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

from revad_emu import Emulator  # noqa: E402
from revad_emu.errors import (  # noqa: E402
    BudgetExceeded,
    ElfError,
    RevadError,
    UnsupportedInstruction,
)

INTERP = b"/lib64/ld-linux-x86-64.so.2"
MISSING_INTERP = b"/nonexistent/ld-revad-t.so2"
assert len(MISSING_INTERP) == len(INTERP)


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "revad_emu", *args], capture_output=True,
                          text=True, env=cli_env(), stdin=subprocess.DEVNULL, timeout=timeout)


def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    return env


def one_error_line(res: subprocess.CompletedProcess, code: int | set[int] = 125) -> str:
    """Check the CLI's error contract and return the error line."""
    codes = {code} if isinstance(code, int) else code
    assert res.returncode in codes, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("revad-emu: error:"), lines[0]
    return lines[0]


def api_error(exc_type: type[RevadError], path: Path, **run_kw) -> str:
    with pytest.raises(exc_type) as info:
        Emulator(str(path)).run(**run_kw)
    msg = str(info.value)
    assert msg and "\n" not in msg.strip(), msg
    return msg


@pytest.fixture(scope="module")
def hello_static() -> bytes:
    return build("run/hello.c", ("-O2",), static=True).read_bytes()


@pytest.fixture(scope="module")
def hello_dynamic() -> bytes:
    return build("run/hello.c", ("-O2",)).read_bytes()


def patched(tmp_path: Path, data: bytes, offset: int, new: bytes, name: str) -> Path:
    buf = bytearray(data)
    buf[offset:offset + len(new)] = new
    path = tmp_path / name
    path.write_bytes(bytes(buf))
    path.chmod(0o755)
    return path


def test_missing_file(tmp_path):
    path = tmp_path / "no-such-program"
    msg = api_error(ElfError, path)
    assert "no-such-program" in msg
    assert "no-such-program" in one_error_line(cli(str(path)), 127)


def test_not_an_elf(tmp_path):
    path = tmp_path / "script.txt"
    path.write_text("#!/bin/sh\necho this is not an ELF file\n")
    path.chmod(0o755)
    api_error(ElfError, path)
    one_error_line(cli(str(path)))


def test_wrong_class(tmp_path, hello_static):
    path = patched(tmp_path, hello_static, 4, b"\x01", "hello32")  # EI_CLASS = ELFCLASS32
    assert "32-bit" in api_error(ElfError, path)
    assert "32-bit" in one_error_line(cli(str(path)))


def test_wrong_machine(tmp_path, hello_static):
    path = patched(tmp_path, hello_static, 18, (183).to_bytes(2, "little"), "hello-arm")
    assert "aarch64" in api_error(ElfError, path).lower()
    assert "aarch64" in one_error_line(cli(str(path))).lower()


@pytest.mark.parametrize("size", [100, 30])
def test_truncated(tmp_path, hello_static, size):
    path = tmp_path / f"hello-{size}"
    path.write_bytes(hello_static[:size])
    path.chmod(0o755)
    api_error(ElfError, path)
    one_error_line(cli(str(path)))


def test_corrupt_program_header_offset(tmp_path, hello_static):
    path = patched(tmp_path, hello_static, 0x20, (0x7FFF_FFFF_0000).to_bytes(8, "little"),
                   "hello-phoff")
    api_error(ElfError, path)
    one_error_line(cli(str(path)))


def test_missing_interpreter(tmp_path, hello_dynamic):
    assert INTERP in hello_dynamic
    path = tmp_path / "hello-interp"
    path.write_bytes(hello_dynamic.replace(INTERP, MISSING_INTERP))
    path.chmod(0o755)
    assert MISSING_INTERP.decode() in api_error(ElfError, path)
    # 125 is the tool-error status; 127 would match what a shell reports (ENOENT).
    assert MISSING_INTERP.decode() in one_error_line(cli(str(path)), {125, 127})


@pytest.fixture(scope="module")
def infinite_loop() -> Path:
    return build("run/infinite_loop.c", ("-O0",), static=True)


def test_budget_exceeded(infinite_loop):
    msg = api_error(BudgetExceeded, infinite_loop, max_instructions=1000)
    assert re.search(r"1000\b|budget", msg, re.I), msg
    line = one_error_line(cli("--max-instructions", "1000", str(infinite_loop)))
    assert re.search(r"1000\b|budget", line, re.I), line


def test_avx512_is_rejected_clearly():
    """AVX2/FMA code runs (tests/test_avx.py); AVX-512 (EVEX) stops, naming the instruction."""
    exe = build("run/avx_loop.c", ("-O3", "-mavx512f", "-mprefer-vector-width=512"),
                static=True)
    msg = api_error(UnsupportedInstruction, exe)
    assert "-march=x86-64-v3" in msg and "EVEX" in msg, msg
    addr = re.search(r"(?<![+\w])0x([0-9a-fA-F]+)", msg)
    sym = re.search(r"([A-Za-z_.$][\w.$@]*)\+0x([0-9a-fA-F]+)", msg)
    assert addr and sym, msg
    addr = int(addr.group(1), 16)
    name, off = sym.group(1), int(sym.group(2), 16)

    from capstone import CS_ARCH_X86, CS_MODE_64, Cs
    from elftools.elf.elffile import ELFFile

    with open(exe, "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        assert syms.get(name) is not None and syms[name] + off == addr, (msg, syms.get(name))
        seg = next(s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"
                   and s["p_vaddr"] <= addr < s["p_vaddr"] + s["p_filesz"])
        code = seg.data()[addr - seg["p_vaddr"]:][:16]
    insn = next(Cs(CS_ARCH_X86, CS_MODE_64).disasm(code, addr))
    assert insn.mnemonic.startswith("v"), insn.mnemonic
    assert re.search(rf"\b{insn.mnemonic}\b", msg), (insn.mnemonic, msg)
    line = one_error_line(cli(str(exe)))
    assert insn.mnemonic in line and "-march=x86-64-v3" in line


def test_avx2_loop_runs():
    exe = build("run/avx_loop.c", ("-O2", "-march=x86-64-v3"), static=True)
    native = run_native(exe)
    res = Emulator(exe).run()
    assert (res.exit_code, res.stdout) == (native.returncode, native.stdout)


def test_ctrl_c_stops_quickly(infinite_loop):
    proc = subprocess.Popen([sys.executable, "-m", "revad_emu", str(infinite_loop)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.communicate()
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=3)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 3
    assert "Traceback" not in err, err
    assert len([ln for ln in err.splitlines() if ln.strip()]) <= 1, err
