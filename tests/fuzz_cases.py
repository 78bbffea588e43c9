"""The fuzz driver behind test_fuzz.py: mutated ELF and tape files through `cli.main`.

Run as `python fuzz_cases.py WORKDIR STATIC_ELF DYNAMIC_ELF TAPE` in a fresh interpreter
(a small process, whatever the size of the test session); prints one JSON line with the
failures, the statuses seen, and the CPU and wall time.

Every case runs `cli.main` in a forked child under `resource.setrlimit` (address space and
CPU time), so a case that would allocate without bound fails with MemoryError inside the
limit instead of exhausting the machine, and a crash of the host process is seen as one.
A case passes when main returns (or exits) with a status and its stderr holds no traceback
and no "internal error"; the child must not die of a signal or run out of time. Mutations
aim at the parts the loaders read: ELF and program headers, the interpreter path, and the
tape's zip structure, .npy headers, array values, dtypes, shapes and JSON header.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import signal
import struct
import sys
import time
import traceback
import zipfile
from pathlib import Path

import numpy as np

from revad_emu.cli import main

SEED = 20261206
ELF_CASES = 60
TAPE_CASES = 200
EXTRA_ADDRESS_SPACE = 3 << 30  # over the parent's own: room for one Unicorn engine
CASE_CPU_SECONDS = 20  # per case; a wall-clock alarm at 10x only catches a hang
MAX_CHILD_RSS = 1 << 30  # growth of the child's peak RSS over the parent's

INTERESTING = [0, 1, 2, 7, 0x40, 0x1000, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32, 1 << 40,
               (1 << 47) - 0x1000, 1 << 47, 1 << 63, (1 << 64) - 1, (1 << 64) - 0x1000]


def run_case(args: list[str]) -> dict:
    """cli.main(args) in a forked child with limits; its status and stderr, or how it died."""
    r, w = os.pipe()
    limit = _status("VmSize") + EXTRA_ADDRESS_SPACE
    base_rss = _status("VmRSS")  # the child starts with the parent's pages
    pid = os.fork()
    if pid == 0:  # child
        result: dict = {}
        try:
            os.close(r)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            used = int(cpu.ru_utime + cpu.ru_stime) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (used + CASE_CPU_SECONDS,
                                                     used + CASE_CPU_SECONDS + 5))
            signal.alarm(10 * CASE_CPU_SECONDS)
            sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
            try:
                code = main(args)
            except SystemExit as e:
                code = e.code
            err = sys.stderr.getvalue()
            result = {"code": code, "stderr": err[:1000] + err[-1000:] if len(err) > 2000
                      else err}
        except BaseException:  # noqa: BLE001 - reported to the parent
            result = {"code": "exception", "stderr": traceback.format_exc()[-1500:]}
        finally:
            try:
                os.write(w, json.dumps(result).encode()[:60000])
            finally:
                os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    grown = usage.ru_maxrss * 1024 - base_rss
    if os.WIFSIGNALED(status):
        return {"code": f"killed by signal {os.WTERMSIG(status)}", "stderr": "", "rss": grown}
    res = json.loads(b"".join(chunks) or b'{"code": "no result", "stderr": ""}')
    res["rss"] = grown
    return res


def _status(field: str) -> int:
    """A size from /proc/self/status, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


# Failures owned by other items of issue 10 (4, 5, 7: Unicorn copies a region when a guest
# mprotect/munmap splits it, which fails under the address-space limit; syscalls must turn
# that into ENOMEM). Fixed on another branch: delete this entry once it is merged.
TOLERATED: tuple[str, ...] = ()  # known failures to let through while they are fixed: none


def problem(res: dict) -> str | None:
    """Why a case result breaks the contract (None if it keeps it)."""
    if not isinstance(res["code"], int):
        return str(res["code"])
    err = res["stderr"]
    if any(t in err for t in TOLERATED):
        return None
    if "Traceback" in err or "internal error" in err:
        return "traceback or internal error"
    if res["code"] != 0 and "revad-emu: error:" not in err and res["code"] < 128:
        if res["code"] in (2, 125, 126):  # 127 may be ld.so's own status
            return f"status {res['code']} without an error line"
    if res["rss"] > MAX_CHILD_RSS:
        return f"child grew by {res['rss'] >> 20} MiB"
    return None


# --- ELF mutations --------------------------------------------------------------------------

def mutate_elf(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for _ in range(rng.choice((1, 1, 2, 3))):
        what = rng.randrange(6)
        if what == 0:  # an ELF header field
            off, fmt = rng.choice([(16, "<H"), (18, "<H"), (24, "<Q"), (32, "<Q"), (54, "<H"),
                                   (56, "<H"), (4, "<B"), (5, "<B")])
            _put(buf, off, fmt, rng)
        elif what in (1, 2):  # a program header field
            base = phoff + 56 * rng.randrange(phnum)
            off, fmt = rng.choice([(0, "<I"), (4, "<I"), (8, "<Q"), (16, "<Q"), (32, "<Q"),
                                   (40, "<Q"), (48, "<Q")])
            _put(buf, base + off, fmt, rng)
        elif what == 3:  # random bytes in the headers
            for _ in range(rng.randint(1, 8)):
                buf[rng.randrange(min(len(buf), phoff + 56 * phnum))] = rng.randrange(256)
        elif what == 4:  # truncation
            del buf[rng.randrange(len(buf)):]
            if not buf:
                break
        else:  # the interpreter path, if any
            i = buf.find(b"/lib64/ld-linux")
            if i >= 0:
                buf[i + rng.randrange(20)] = rng.choice(b"\0/x.\xff")
    return bytes(buf)


def _put(buf: bytearray, off: int, fmt: str, rng: random.Random) -> None:
    size = struct.calcsize(fmt)
    if off + size > len(buf):
        return
    old, = struct.unpack_from(fmt, buf, off)
    mask = (1 << (8 * size)) - 1
    v = rng.choice([rng.choice(INTERESTING), old + rng.randint(-64, 64), rng.getrandbits(64),
                    old ^ (1 << rng.randrange(8 * size))])
    struct.pack_into(fmt, buf, off, v & mask)


# --- tape mutations ---------------------------------------------------------------------------

def mutate_tape(raw: bytes, arrays: dict[str, np.ndarray], rng: random.Random) -> bytes:
    what = rng.randrange(10)
    if what == 0:  # bytes anywhere in the file
        buf = bytearray(raw)
        for _ in range(rng.randint(1, 6)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if what == 1:  # in the zip structure or the .npy headers
        buf = bytearray(raw)
        spots = [m.start() for m in __import__("re").finditer(rb"PK\x01\x02|PK\x03\x04|"
                                                               rb"PK\x05\x06|\x93NUMPY", raw)]
        for _ in range(rng.randint(1, 4)):
            i = rng.choice(spots) + rng.randrange(60)
            if i < len(buf):
                buf[i] = rng.randrange(256)
        return bytes(buf)
    if what == 2:
        return raw[:rng.randrange(len(raw))]
    a = {k: v.copy() for k, v in arrays.items()}
    header = json.loads(str(a["header"]))
    key = rng.choice([k for k in a if k != "header"])
    if what in (3, 4, 5):  # values
        v = a[key]
        if v.size:
            flat = v.reshape(-1)
            for _ in range(rng.randint(1, 3)):
                j = rng.randrange(flat.size)
                if v.dtype.kind == "f":
                    flat[j] = rng.choice([np.nan, np.inf, -np.inf, 0.0, 1e308, -1.0])
                else:
                    info = np.iinfo(v.dtype)
                    cand = [0, 1, info.max, info.min, flat.size, flat.size - 1, j, j + 1]
                    flat[j] = rng.choice(cand)
    elif what == 6:  # dtype
        a[key] = a[key].astype(rng.choice([np.int8, np.uint64, np.float32, np.float64,
                                           np.bool_, np.complex128, "U3", np.int32]))
    elif what == 7:  # shape
        v = a[key]
        a[key] = rng.choice([v[:-1], np.concatenate([v, v[-1:]]) if v.size else v,
                             v.reshape(-1), v.T, v[:0], np.stack([v, v])])
    elif what == 8:  # header
        field = rng.choice(["format", "version", "inputs", "outputs", "meta", "ops", "extra"])
        header[field] = rng.choice([None, 0, -1, 2**70, 1.5, "", "x", [], {}, [[]], [["x", -1]],
                                    [["x", 10**6]], [["x", 1, 2]], [[1, "x"]], ["passive"] * 3,
                                    header.get(field)])
        if rng.random() < 0.3:
            header.pop(rng.choice(list(header)), None)
    else:  # entries missing or extra
        if rng.random() < 0.5:
            a.pop(rng.choice(list(a)))
        else:
            a["extra"] = np.zeros(3)
    if "header" in a:
        a["header"] = np.array(json.dumps(header))
    out = io.BytesIO()
    (np.savez_compressed if rng.random() < 0.3 else np.savez)(out, **a)
    return out.getvalue()


def run_all(workdir: Path, static: bytes, dynamic: bytes, tape_raw: bytes) -> dict:
    """All cases with the fixed seed; failures, statuses seen and times."""
    t0 = time.monotonic()
    rng = random.Random(SEED)
    failures: list[str] = []
    seen: dict[str, int] = {}

    def check(label: str, args: list[str]) -> None:
        res = run_case(args)
        why = problem(res)
        seen[str(res["code"])] = seen.get(str(res["code"]), 0) + 1
        if why:
            failures.append(f"{label}: {why}: {res['stderr'][-600:]}")

    for i in range(ELF_CASES):
        path = workdir / f"elf{i}"
        path.write_bytes(mutate_elf(dynamic if i % 4 == 3 else static, rng))
        path.chmod(0o755)
        opts = ["--no-ad"] if rng.random() < 0.7 else []
        check(f"elf case {i}", [*opts, "--max-instructions", "3000000", str(path)])
    with zipfile.ZipFile(io.BytesIO(tape_raw)):
        pass
    with np.load(io.BytesIO(tape_raw), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for i in range(TAPE_CASES):
        path = workdir / f"tape{i}.npz"
        path.write_bytes(mutate_tape(tape_raw, arrays, rng))
        mode = rng.choice([["--jacobian"], ["--vjp", "1,0,0,0,0,1"], ["--jvp", "0,1,0"]])
        check(f"tape case {i}", ["--from-tape", str(path), *mode])
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return {"failures": failures, "seen": seen, "cpu": cpu, "wall": time.monotonic() - t0}


if __name__ == "__main__":
    from revad_emu.ad import sweep, tape  # noqa: F401 - imported once, before the forks

    work, static_elf, dynamic_elf, tape_file = map(Path, sys.argv[1:5])
    print(json.dumps(run_all(work, static_elf.read_bytes(), dynamic_elf.read_bytes(),
                             tape_file.read_bytes())))
