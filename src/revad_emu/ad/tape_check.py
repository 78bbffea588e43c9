"""Loading a saved tape from a file nobody vouches for: every field is checked before use.

A tape file is an .npz archive (a zip of .npy arrays) plus a JSON header; `Tape.save`
writes it. Read naively, a damaged or hostile file turns into tracebacks deep inside numpy
or the sweeps, a silently wrong derivative (a parent index after its child), or a memory
bomb (a 4.6 MB deflated archive declaring 4.8 GB of zeros; one depth of 2^31-1 sizing a
16 GiB level table). So the loader checks, in this order, and stops at the first problem
with one line saying what is wrong and where (`TapeError`):

1. the file: readable, not a bare .npy, a zip archive that names every entry a tape needs;
2. sizes, before anything is decompressed: stored entries are exactly as long as the zip
   says, the declared total stays within `MAX_EXPANSION` times the file size (plus
   `SMALL_TAPE` bytes) and within the memory this process may still use;
3. each entry's .npy header (read without pickles): the dtype kind, and a shape whose byte
   count equals the entry's size, so no array is allocated larger than its entry;
4. the JSON header's schema (format, version, marks, meta, op-name table);
5. the arrays against each other: shapes agree on one node count; parents precede their
   child (the sweeps rely on the tape being in topological order); depths are a valid level
   schedule with depth[k] <= k; op codes and mark indices are in range.

Only then is a `Tape` built. Op names are registered in this process only for the codes
the tape actually uses.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from revad_emu.ad import tape as tape_mod
from revad_emu.ad.tape import Tape, op_code
from revad_emu.errors import TapeError

FORMAT = "revad_emu.tape"
VERSION = 1

# A tape written by `Tape.save` is stored uncompressed (ratio 1). Real tapes re-packed with
# np.savez_compressed shrink about 4x overall (measured on the test programs' tapes; single
# columns such as `op` and `addr` up to 150x). A deflated zip bomb reaches ~1000x.
MAX_EXPANSION = 100
SMALL_TAPE = 64 << 20  # bytes any tape file may expand to, whatever its ratio

MAX_JSON_HEADER = 256 << 20  # bytes of the JSON header (marks and meta)
MAX_NPY_HEADER = 1 << 16  # bytes of one .npy header (numpy's own default is 10,000)

# entry -> (accepted dtype kinds, number of columns: 2, 1 for a vector, 0 for a scalar)
ENTRIES: dict[str, tuple[str, int]] = {
    "parents": ("iu", 2), "partials": ("f", 2), "values": ("f", 1), "addr": ("iu", 1),
    "op": ("iu", 1), "depth": ("iu", 1), "input_values": ("f", 1), "output_values": ("f", 1),
    "header": ("U", 0),
}
# What zipfile and numpy's .npy reader raise on damaged input (an unknown zip version or
# compression method is NotImplementedError; an encrypted entry RuntimeError).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
               ValueError, NotImplementedError, RuntimeError, OverflowError, struct.error)

_KIND_NAMES = {"iu": "integers", "f": "floating-point numbers", "U": "a unicode string"}


# What a sweep reads: the rest (values, addresses, op codes, depths) is only for people.
SWEEP_ENTRIES = ("parents", "partials", "input_values", "output_values", "header")


def load(path: str | os.PathLike | bytes, *, sweep_only: bool = False) -> Tape:
    """Read and validate the tape at `path`; raise `TapeError` naming the first problem.

    `sweep_only=True` (the CLI's `--from-tape`) reads and checks only what the sweeps use
    (`SWEEP_ENTRIES`; the other entries must still be present and sane in size): a third
    less to read, no depth or op-code checks. Values are then zeros, addresses and op
    codes unknown ("passive"), depths computed from the parents if asked for."""
    name = os.fsdecode(path)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, after the zip is done with it
    except OSError as e:
        raise TapeError(f"{name}: cannot read: {e.strerror}") from None
    with f:
        try:
            size = os.fstat(f.fileno()).st_size
            head = f.read(6)
            f.seek(0)
        except OSError as e:
            raise _bad(name, f"cannot read: {e.strerror or e}") from None
        if size == 0:
            raise _bad(name, "the file is empty")
        if head == b"\x93NUMPY":
            raise _bad(name, "it is a single .npy array; a tape is an .npz archive "
                             "written by Tape.save or --tape")
        try:
            zf = zipfile.ZipFile(f)
        except _ZIP_ERRORS as e:
            raise _bad(name, f"not a readable zip (.npz) archive ({_exc(e)})") from None
        with zf:
            return _load_zip(name, zf, size, sweep_only)


def _bad(name: str, what: str) -> TapeError:
    return TapeError(f"not a valid revad_emu tape: {name}: {what}")


def _load_zip(name: str, zf: zipfile.ZipFile, file_size: int, sweep_only: bool) -> Tape:
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        infos.setdefault(info.filename, info)
    missing = [k for k in ENTRIES if f"{k}.npy" not in infos]
    if missing:
        raise _bad(name, "missing " + ", ".join(f"{k}.npy" for k in missing) + " in the archive")
    entries = {k: infos[f"{k}.npy"] for k in ENTRIES}
    _check_sizes(name, entries, file_size)
    arrays: dict[str, np.ndarray] = {}
    for key, info in entries.items():
        arrays[key] = _read_entry(name, zf, key, info,
                                  data=not sweep_only or key in SWEEP_ENTRIES)
    header = _parse_header(name, arrays.pop("header"))
    return _build(name, header, arrays, sweep_only)


def memory_left() -> int | None:
    """Bytes this process may still allocate: the smaller of the host's available memory
    and the address-space limit's headroom (None if neither is known)."""
    limits: list[int] = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        try:
            with open("/proc/self/statm") as f:
                used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limits.append(max(0, soft - used))
        except (OSError, ValueError, IndexError):
            limits.append(soft)
    return min(limits) if limits else None


def _check_sizes(name: str, entries: dict[str, zipfile.ZipInfo], file_size: int) -> None:
    """Refuse size bombs from the zip directory alone, before decompressing a byte."""
    total = 0
    for key, info in entries.items():
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _bad(name, f"{key}.npy: stored entry claims {info.file_size} bytes but "
                             f"holds {info.compress_size}")
        if info.header_offset + info.compress_size > file_size:
            raise _bad(name, f"{key}.npy: entry runs past the end of the file "
                             "(truncated archive)")
        total += info.file_size
    if total > MAX_EXPANSION * file_size + SMALL_TAPE:
        raise _bad(name, f"its entries expand to {total:,} bytes from a {file_size:,}-byte "
                         f"file (more than {MAX_EXPANSION}x: a zip bomb, or a tape to save "
                         "again without compression)")
    left = memory_left()
    if left is not None and total > left:
        raise _bad(name, f"its arrays need {total:,} bytes; only {left:,} bytes of memory "
                         "are available")


def _read_entry(name: str, zf: zipfile.ZipFile, key: str, info: zipfile.ZipInfo,
                data: bool = True) -> np.ndarray:
    """One .npy entry, its header checked against the entry size before the data is read.
    With `data=False` only the header is read: a zero-memory stand-in of the declared shape
    and dtype (all zeros) keeps the shape checks."""
    kinds, _cols = ENTRIES[key]
    where = f"{key}.npy"
    try:
        with zf.open(info) as fp:
            version = npformat.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(fp, MAX_NPY_HEADER)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(fp, MAX_NPY_HEADER)
            else:
                raise _bad(name, f"{where}: unsupported .npy format version {version}")
            if dtype.kind not in kinds or dtype.hasobject or dtype.fields is not None:
                raise _bad(name, f"{where}: holds {dtype} values, expected "
                                 f"{_KIND_NAMES[kinds]}")
            count = 1
            for s in shape:
                count *= s
            nbytes = count * dtype.itemsize
            data_size = info.file_size - fp.tell()
            if nbytes != data_size:
                raise _bad(name, f"{where}: header declares shape {shape} ({nbytes:,} bytes) "
                                 f"but the entry holds {data_size:,} bytes of data")
            if not data:
                return np.broadcast_to(np.zeros((), dtype), shape)
            buf = bytearray(nbytes)
            got = _read_into(fp, buf)
            if got != nbytes or fp.read(1):
                raise _bad(name, f"{where}: entry data is {got:,} bytes, expected {nbytes:,}")
    except TapeError:
        raise
    except _ZIP_ERRORS as e:
        raise _bad(name, f"{where}: cannot read ({_exc(e)})") from None
    arr = np.frombuffer(buf, dtype=dtype)
    return arr.reshape(shape, order="F" if fortran else "C")


def _read_into(fp, buf: bytearray, chunk: int = 1 << 24) -> int:
    """Fill buf from fp in chunks (a zip entry's readinto would first read it all into a
    bytes object: twice the memory); return the number of bytes read."""
    view = memoryview(buf)
    got = 0
    while got < len(buf):
        data = fp.read(min(chunk, len(buf) - got))
        if not data:
            break
        view[got:got + len(data)] = data
        got += len(data)
    return got


def _parse_header(name: str, arr: np.ndarray) -> dict[str, Any]:
    if arr.shape != ():
        raise _bad(name, f"header.npy: expected a single string, got shape {arr.shape}")
    if arr.dtype.itemsize > 4 * MAX_JSON_HEADER:
        raise _bad(name, "header.npy: header too large")
    text = str(arr[()])
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _bad(name, f"header is not valid JSON ({_exc(e)})") from None
    if not isinstance(header, dict):
        raise _bad(name, f"header is a JSON {type(header).__name__}, expected an object")
    if header.get("format") != FORMAT:
        raise _bad(name, f"header format is {header.get('format')!r}, expected {FORMAT!r}")
    version = header.get("version")
    if type(version) is not int:
        raise _bad(name, f"header version is {version!r}, expected the integer {VERSION}")
    if version != VERSION:
        raise _bad(name, f"format version {version}; this revad_emu reads version {VERSION}")
    for field in ("inputs", "outputs"):
        marks = header.get(field)
        if not isinstance(marks, list):
            raise _bad(name, f"header {field} is {_json_type(marks)}, expected a list of "
                             "[name, node] pairs")
        for i, m in enumerate(marks):
            if (not isinstance(m, list) or len(m) != 2 or not isinstance(m[0], str)
                    or type(m[1]) is not int):
                raise _bad(name, f"header {field}[{i}] is {_short(m)}, expected "
                                 "[name, node] with a string and an integer")
    if not isinstance(header.get("meta"), dict):
        raise _bad(name, f"header meta is {_json_type(header.get('meta'))}, expected an object")
    ops = header.get("ops")
    if not isinstance(ops, list) or not ops or not all(isinstance(s, str) for s in ops):
        raise _bad(name, "header ops is not a non-empty list of operation names")
    if len(ops) > 0x10000:
        raise _bad(name, f"header ops names {len(ops)} operations; codes are 16-bit")
    return header


def _exc(e: BaseException) -> str:
    """An exception's text cut to a readable length (zipfile quotes whole headers)."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _json_type(v: object) -> str:
    return "missing" if v is None else f"a JSON {type(v).__name__}"


def _short(v: object) -> str:
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _build(name: str, header: dict[str, Any], a: dict[str, np.ndarray],
           sweep_only: bool = False) -> Tape:
    """Check the arrays against each other and the header; build the Tape (with
    `sweep_only`, from the sweep's entries; the others were checked for shape only)."""
    parents = a["parents"]
    if parents.ndim != 2 or parents.shape[1] != 2 or parents.shape[0] == 0:
        raise _bad(name, f"parents.npy has shape {parents.shape}, expected (nodes, 2) with "
                         "at least the passive node 0")
    n = parents.shape[0]
    inputs, outputs = header["inputs"], header["outputs"]
    expect = {"partials": (n, 2), "values": (n,), "addr": (n,), "op": (n,), "depth": (n,),
              "input_values": (len(inputs),), "output_values": (len(outputs),)}
    for key, shape in expect.items():
        if a[key].shape != shape:
            raise _bad(name, f"{key}.npy has shape {a[key].shape}, expected {shape} "
                             f"({n} nodes, {len(inputs)} inputs, {len(outputs)} outputs)")
    if sweep_only:
        a = {k: v for k, v in a.items() if k in SWEEP_ENTRIES}
    for key in ("parents", "addr", "op", "depth"):  # no wrap-around when cast below
        if key not in a:
            continue
        v = a[key]
        if v.dtype.kind == "i" and v.size and v.min() < 0:
            raise _bad(name, f"{key}.npy: node {_first((v < 0).reshape(n, -1).any(1))} "
                             f"holds a negative value")
    if parents.dtype.itemsize >= 8 and parents.dtype.kind == "u" and parents.max() >= n:
        k = _first((parents >= n).any(1))
        raise _bad(name, f"parents.npy: node {k} names parent {int(parents[k].max())}, "
                         f"past the last node {n - 1}")
    parents = parents.astype(np.int64, copy=False)
    if parents[0].any():
        raise _bad(name, "parents.npy: node 0 must be passive (no parents)")
    k = np.arange(n, dtype=np.int64)[:, None]
    late = (parents >= k) & (parents != 0)
    if late.any():
        j = _first(late.any(1))
        raise _bad(name, f"parents.npy: node {j} names parent {int(parents[j].max())}, "
                         "which does not come before it (tapes are in topological order)")
    depth = _checked_depth(name, parents, a["depth"]) if "depth" in a else None
    op = _remapped_ops(name, header["ops"], a["op"]) if "op" in a else None
    for field, marks in (("inputs", inputs), ("outputs", outputs)):
        for i, (_label, node) in enumerate(marks):
            if not 0 <= node < n:
                raise _bad(name, f"header {field}[{i}] names node {node}; the tape has "
                                 f"nodes 0..{n - 1}")
    try:
        f64 = np.float64
        values, addr = a.get("values"), a.get("addr")
        return Tape(parents, a["partials"].astype(f64, copy=False),
                    None if values is None else values.astype(f64, copy=False),
                    None if addr is None else addr.astype(np.uint64, copy=False), op, depth,
                    [(s, i) for s, i in inputs], [(s, i) for s, i in outputs],
                    header["meta"], a["input_values"].astype(f64, copy=False),
                    a["output_values"].astype(f64, copy=False), validate=False)
    except ValueError as e:  # e.g. a partials column numpy cannot cast
        raise _bad(name, str(e)) from None


def _checked_depth(name: str, parents: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Depths as int32 once they form a valid level schedule (the level sweep sizes its
    tables by them): at most the node's index, more than every non-passive parent's."""
    n = len(parents)  # compared before the cast: 2^63 and above do not fit in int64
    bad_depth = depth > np.arange(n, dtype=np.uint64 if depth.dtype.kind == "u" else np.int64)
    if bad_depth.any():
        j = _first(bad_depth)
        raise _bad(name, f"depth.npy: node {j} has depth {int(depth[j])}; a node's depth "
                         "is at most its index")
    depth = depth.astype(np.int32, copy=False)  # <= n - 1: fits
    deeper = (parents != 0) & (depth[parents] >= depth[:, None])
    if deeper.any():
        j = _first(deeper.any(1))
        raise _bad(name, f"depth.npy: node {j} has depth {int(depth[j])}, not more than "
                         "its parent's")
    return depth


def _remapped_ops(name: str, ops: list[str], op: np.ndarray) -> np.ndarray:
    """The tape's op codes in this process's registry; only names the tape uses are
    registered, and never past 16-bit codes."""
    if op.size and op.max() >= len(ops):
        j = _first(op >= len(ops))
        raise _bad(name, f"op.npy: node {j} has operation code {int(op[j])}; the header "
                         f"names {len(ops)} operations")
    op = op.astype(np.intp, copy=False)
    remap = np.zeros(len(ops), np.uint16)
    used = np.flatnonzero(np.bincount(op, minlength=len(ops))).tolist()
    new = {ops[c] for c in used} - set(tape_mod.OPS)
    if len(tape_mod.OPS) + len(new) > 0x10000:  # refuse before registering any of them
        raise _bad(name, f"op.npy: {len(new)} new operation names would overflow this "
                         "process's 16-bit operation codes")
    for c in used:  # only the names the tape uses enter the process-wide registry
        remap[c] = op_code(ops[c])
    return remap[op]
