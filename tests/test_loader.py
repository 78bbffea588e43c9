"""The one loader (loading/loader.py): the process image is plain data, the machine maps
exactly it, and a start-up snapshot restored into a machine that never mapped its image gives
the same machine as one restored over a mapped image."""

from __future__ import annotations

import subprocess
import sys

import pytest

from buildcache import build
from revad_emu.cpu.image import Snapshot
from revad_emu.cpu.machine import Machine
from revad_emu.loading.loader import STACK_TOP, load_image

ARGS = ["1.3", "0.7", "2.1"]


@pytest.mark.parametrize("static", [False, True])
def test_machine_maps_the_image(static):
    exe = str(build("ad/arith.c", static=static))
    m = Machine(exe, ARGS)
    image = load_image(m.path, m.exe, m.argv, m.env)
    assert m.entry == image.entry and m.image is None
    assert m.fast.gpr(4) == image.sp and image.sp % 16 == 0
    for mp in image.mappings:
        assert m.mem.read(mp.data_addr, len(mp.data)) == mp.data
        assert m.mem.is_mapped(mp.start, mp.size)
    assert m.mem.read(image.sp, STACK_TOP - image.sp) == image.stack_bytes
    # argc, then argv[0] pointing at the program's path
    assert int.from_bytes(image.stack_bytes[:8], "little") == 1 + len(ARGS)
    argv0 = int.from_bytes(image.stack_bytes[8:16], "little")
    assert m.mem.read(argv0, len(m.argv[0])) == m.argv[0].encode()
    assert [(s, e) for s, e, _b, _elf in m.symbols.modules()] == \
        sorted((mod.start, mod.end) for mod in image.modules)
    assert m.kernel._brk_start == image.brk
    assert bool(m.exe.interp) == (len(image.modules) == 2)


def test_unloaded_machine_has_no_mappings_until_load():
    exe = str(build("ad/arith.c"))
    m = Machine(exe, ARGS, load=False)
    assert m.mem.regions == [] and m.image is not None
    assert m.symbols.address_of("main") is not None  # symbols come with the image
    m.load()
    loaded = Machine(exe, ARGS)
    assert m.mem.regions == loaded.mem.regions
    assert m.fast.gpr(4) == loaded.fast.gpr(4)
    a, b = m.run(), loaded.run()
    assert a.instructions == b.instructions > 0 and a.syscalls == b.syscalls
    assert m.kernel.exit_status == loaded.kernel.exit_status == 0
    assert bytes(m.out) == bytes(loaded.out) and m.out


def test_snapshot_restores_into_an_unloaded_machine():
    exe = str(build("ad/arith.c"))
    m = Machine(exe, ARGS)
    main = m.symbols.address_of("main")
    m.run_until(m.entry, main)
    snap = Snapshot.take_whole(m)
    fresh, over = Machine(exe, ARGS, load=False), Machine(exe, ARGS)
    for t in (fresh, over):
        snap.restore(t)
        assert t.image is None
    assert fresh.mem.regions == over.mem.regions == m.mem.regions
    for r in m.mem.regions:
        want = m.mem.read(r.start, r.size)
        assert fresh.mem.read(r.start, r.size) == want == over.mem.read(r.start, r.size), r
    for reg in range(16):
        assert fresh.fast.gpr(reg) == over.fast.gpr(reg) == m.fast.gpr(reg)
    assert fresh.kernel._brk == m.kernel._brk


def test_loading_needs_no_unicorn_and_no_ad():
    code = ("import sys, revad_emu.loading.loader\n"
            "bad = [n for n in sys.modules if n.split('.')[0] in ('unicorn', 'capstone') or\n"
            "       n.startswith(('revad_emu.cpu', 'revad_emu.ad'))]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
