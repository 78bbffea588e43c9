"""`rv.load(path)` and `lib.function(name, prototype)`: call one compiled function from Python.

A `Library` owns a process image (image.py): the library loaded with its dependencies by the
real dynamic loader, constructors run, stopped and snapshotted; or an executable stopped at
`main`. A call restores that snapshot (so it never sees memory written by an earlier call,
unless the function was declared with `keep_state=True`), copies array arguments into guest
memory, sets registers by the System V AMD64 ABI, runs until the function returns to a trap
address, reads the result and copies non-const arrays back, like ctypes.

A *recorded* call (for the transforms in transforms.py) additionally marks every
floating-point argument element as a tape input before the call, and reads the tape nodes
of the result and of the non-const floating-point arrays after it. The recorder is reused
from call to call (its decoded-instruction tables are the expensive part); each call's
nodes are cut out of its tape as a self-contained `Tape`.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from revad_emu.ad.tape import Tape
from revad_emu.cpu import fastuc
from revad_emu.cpu.image import (
    AREA_NAME,
    ARG_AREA,
    CALL_AREA,
    CALL_STACK_SIZE,
    Image,
    Snapshot,
    start,
)
from revad_emu.errors import (
    BudgetExceeded,
    DerivativeError,
    EmulationError,
    GuestFault,
    Interrupted,
    MissingFile,
    RevadError,
    UnsupportedInstruction,
)
from revad_emu.functions.prototype import CType, Param, Prototype, parse

INT_REGS = (7, 6, 2, 1, 8, 9)  # rdi rsi rdx rcx r8 r9 in fastuc's GPR numbering
STACK_TOP = CALL_AREA + 0x1000 + CALL_STACK_SIZE - 256
# A recorded call copies its nodes out of the recorder's tape, which costs time proportional
# to the tape's length (the compiled tape has no cheap slices); a fresh recorder costs
# decoding the function's instructions again. So: renew when the tape is longer than this
# and longer than RENEW_FACTOR times the previous call's nodes.
RENEW_NODES = 4096
RENEW_FACTOR = 8


class CallError(RevadError):
    """A called function crashed, exited, ran out of budget or hit an unsupported
    instruction; the message names the function, the address and the source line."""


class DerivativeWarning(RuntimeWarning):
    """A derivative through a called function may be incomplete (the message says where)."""


@dataclass
class CallResult:
    """What one call produced; `tape` only for recorded calls."""

    result: object                     # the return value (None for void)
    arrays: dict[int, np.ndarray]      # parameter index -> array as after the call
    tape: Tape | None = None
    input_slots: list[tuple[int, tuple[int, ...]]] | None = None  # (param index, shape)
    output_slots: list[tuple[int | None, tuple[int, ...]]] | None = None  # None: result
    warnings: list[str] | None = None
    instructions: int = 0


_IMAGES: dict[tuple, Image] = {}
_IMAGES_LOCK = threading.Lock()


class Library:
    """A loaded shared library or executable. Picklable: carries its path and options and
    loads again (once per process) where it is unpickled."""

    def __init__(self, path: str | os.PathLike, *, env: dict[str, str] | None = None,
                 max_instructions: int = 100_000_000):
        self.path = os.path.abspath(os.fspath(path))  # absolute: pickles go to other cwds
        self.env = dict(env) if env is not None else None
        self.max_instructions = max_instructions
        self._image: Image | None = None
        self._last_keep = False

    # -- pickling ----------------------------------------------------------------------
    def __getstate__(self) -> dict:
        return {"path": self.path, "env": self.env, "max_instructions": self.max_instructions}

    def __setstate__(self, st: dict) -> None:
        self.__init__(st["path"], env=st["env"], max_instructions=st["max_instructions"])

    def __repr__(self) -> str:
        return f"<revad_emu.Library {self.path!r}>"

    @property
    def image(self) -> Image:
        """The started process (loaded on first use; shared by equal libraries in a process)."""
        if self._image is None:
            if not os.path.isfile(self.path):
                raise MissingFile(f"{self.path}: no such file")
            # One image per file, environment and thread (a machine runs one call at a time).
            key = (os.path.realpath(self.path), tuple(sorted((self.env or {}).items())),
                   os.stat(self.path).st_mtime_ns, threading.get_ident())
            with _IMAGES_LOCK:
                im = _IMAGES.get(key)
                if im is None:
                    im = start(self.path, env=self.env)
                    _IMAGES[key] = im
            self._image = im
        return self._image

    def close(self) -> None:
        """Forget this library's process image in this process (it is loaded again on the
        next call); frees the emulator's memory when no other Library shares it."""
        with _IMAGES_LOCK:
            for k, im in list(_IMAGES.items()):
                if im is self._image:
                    del _IMAGES[k]
        self._image = None

    def function(self, name: str, prototype: str | None = None, *, keep_state: bool = False,
                 max_instructions: int | None = None) -> Function:
        """The function `name` of this library with the given C prototype (the name inside
        the prototype string is optional). Raises at once if the symbol is missing."""
        if prototype is None:
            raise TypeError("lib.function(name, prototype): the C prototype is required, e.g. "
                            "'double f(const double *x, int n)'")
        proto = parse(prototype)
        fn = Function(self, name, prototype, proto, keep_state=keep_state,
                      max_instructions=max_instructions or self.max_instructions)
        fn.address  # noqa: B018 - resolve now: a missing symbol is an error here, not later
        return fn

    # -- the call ----------------------------------------------------------------------
    def _recorder(self):
        from revad_emu.ad.recorder import Recorder

        im = self.image
        rec = im.rec
        n = len(rec.tb) if rec is not None else 0
        if rec is not None and n > RENEW_NODES and n > RENEW_FACTOR * im.last_nodes:
            rec.detach()
            rec = None
        if rec is None:
            rec = Recorder(im.machine)
            im.rec = rec
        return rec

    def _drop_recorder(self) -> None:
        im = self.image
        if im.rec is not None:
            im.rec.detach()
            im.rec = None

    def call(self, fn: Function, args: tuple, record: bool = False) -> CallResult:
        """Run `fn` on `args` (already checked by `fn.prepare`)."""
        prepared = fn.prepare(args)
        im = self.image
        with im.lock:
            return self._call(fn, prepared, record)

    def _call(self, fn: Function, prep: list, record: bool) -> CallResult:
        im = self.image
        m = im.machine
        proto = fn.proto
        if fn.keep_state and im.kept is not None:
            im.kept.restore(m)
        else:
            im.snapshot.restore(m)
        rec = self._recorder() if record else im.rec
        if rec is not None:
            rec.disabled = not record
            if record:
                rec.sh.clear_range(0, (1 << 64) - 1)
                rec.pending = None
                rec.suppress = None
        fast = m.fast
        # Array arguments into the argument area.
        total = 0
        places: dict[int, int] = {}
        for i, (p, v) in enumerate(zip(proto.params, prep, strict=True)):
            if p.type.pointer:
                total = (total + 63) & ~63
                places[i] = total
                total += max(v.nbytes, 1)
        self._ensure_arg_area(im, total)
        addrs = {i: ARG_AREA + off for i, off in places.items()}
        for i, a in addrs.items():
            if prep[i].nbytes:
                m.uc.mem_write(a, prep[i].tobytes())
        # Registers and stack arguments (SysV AMD64).
        n_int = n_sse = 0
        stack: list[tuple[int, bytes, int]] = []  # (param index, bytes, alignment)
        xmm_vals: list[tuple[int, int, bytes]] = []  # (param index, xmm, raw)
        for i, (p, v) in enumerate(zip(proto.params, prep, strict=True)):
            t = p.type
            if t.pointer:
                word = addrs[i]
            elif t.klass == "f":
                raw = v.tobytes()
                if n_sse < 8:
                    xmm_vals.append((i, n_sse, raw))
                    m.uc.reg_write(fastuc.UC_XMM[n_sse], int.from_bytes(raw, "little"))
                    n_sse += 1
                else:
                    stack.append((i, raw.ljust(8, b"\0"), 8))
                continue
            elif t.klass == "x":
                stack.append((i, v.tobytes(), 16))
                continue
            else:
                word = int(v.astype(np.int64) if v.dtype != np.uint64 else v) & (2**64 - 1)
            if n_int < 6:
                fast.set_gpr(INT_REGS[n_int], word)
                n_int += 1
            else:
                stack.append((i, word.to_bytes(8, "little"), 8))
        off = 0
        stack_at: dict[int, int] = {}
        for i, raw, al in stack:
            off = (off + al - 1) & ~(al - 1)
            stack_at[i] = off
            off += len(raw)
        size = (off + 15) & ~15
        sp_args = (STACK_TOP - size) & ~15
        for i, raw, _al in stack:
            m.uc.mem_write(sp_args + stack_at[i], raw)
        m.uc.mem_write(sp_args - 8, im.trap.to_bytes(8, "little"))
        fast.set_gpr(4, sp_args - 8)
        fast.set_gpr(0, n_sse)  # %al: vector registers used (read by variadic callees)

        # Inputs.
        lo = 0
        input_slots: list[tuple[int, tuple[int, ...]]] = []
        in_nodes: list[int] = []
        warn_before: set = set()
        if record:
            lo = len(rec.tb)
            warn_before = set(rec.warn_text)
            xmm_of = {i: (k, raw) for i, k, raw in xmm_vals}
            from revad_emu.cpu.locations import xmm_loc

            for i, (p, v) in enumerate(zip(proto.params, prep, strict=True)):
                if not p.is_input:
                    continue
                t = p.type
                width = 10 if t.klass == "x" else t.dtype.itemsize
                if t.pointer:
                    stride = t.dtype.itemsize
                    base = addrs[i]
                    flat = v.reshape(-1)
                    for k in range(flat.size):
                        raw = flat[k:k + 1].tobytes()
                        in_nodes.append(self._mark(rec, base + k * stride, raw, width))
                    input_slots.append((i, v.shape))
                elif t.klass == "f" and i in xmm_of:
                    k, raw = xmm_of[i]
                    in_nodes.append(self._mark(rec, xmm_loc(k), raw, width))
                    input_slots.append((i, ()))
                else:
                    raw = v.tobytes()
                    in_nodes.append(self._mark(rec, sp_args + stack_at[i], raw, width))
                    input_slots.append((i, ()))

        # Run.
        budget = fn.max_instructions
        before = m._executed()
        if m._blocks is not None:
            m._blocks.max_instructions = before + budget
        m.max_instructions = before + budget
        try:
            m.run_until(fn.address, im.trap)
        except (GuestFault, BudgetExceeded, UnsupportedInstruction, EmulationError,
                DerivativeError, Interrupted) as e:
            self._after_failure(fn)
            raise _call_error(fn, e, m) from None
        except Exception:
            self._after_failure(fn)
            raise
        finally:
            if m._blocks is not None:
                m._blocks.max_instructions = -1
            m.max_instructions = None
        instructions = m._executed() - before

        # Results.
        res_t = proto.result
        result = _read_result(m, res_t)
        arrays: dict[int, np.ndarray] = {}
        for i, p in enumerate(proto.params):
            if p.type.pointer and not p.type.const:
                data = m.uc.mem_read(addrs[i], prep[i].nbytes)
                arrays[i] = np.frombuffer(bytes(data), dtype=p.type.dtype).reshape(
                    prep[i].shape).copy()
        out = CallResult(result, arrays, instructions=instructions)
        if record:
            rec.flush()
            out_nodes, out_slots = self._outputs(rec, m, fn, addrs,
                                                 {i: v.shape for i, v in enumerate(prep)})
            hi = len(rec.tb)
            out.tape = _cut(rec, lo, hi, in_nodes, out_nodes, fn)
            im.last_nodes = hi - lo
            out.input_slots = input_slots
            out.output_slots = out_slots
            out.warnings = [t for k, t in rec.warn_text.items() if k not in warn_before]
            rec.disabled = True
            for w in out.warnings:
                warnings.warn(f"{fn.name}: {w}", DerivativeWarning, stacklevel=4)
        if fn.keep_state:
            im.kept = Snapshot.take(m, contents=False)
        return out

    def _after_failure(self, fn: Function) -> None:
        """After a failed call: the recorder's state is unknown, so it is replaced; kept state
        of a keep_state function is left as it was before the call."""
        self._drop_recorder()

    @staticmethod
    def _mark(rec, loc: int, raw: bytes, width: int) -> int:
        from revad_emu.ad.values import value_of

        value = value_of(raw, 0, width)
        node = rec.new_input(value, int.from_bytes(raw[:width], "little"), width, 0)
        rec.sh.set_node(loc, width, node)
        return node

    def _outputs(self, rec, m, fn: Function, addrs: dict[int, int],
                 shapes: dict[int, tuple[int, ...]]):
        from revad_emu.cpu.locations import x87_loc, xmm_loc

        nodes: list[int] = []
        slots: list[tuple[int | None, tuple[int, ...]]] = []
        pc = m.fast.reg(fastuc.UC_RIP)
        t = fn.proto.result
        if t.base != "void" and t.is_float:
            if t.klass == "x":
                top = (m.fast.reg(fastuc.UC_FPSW) >> 11) & 7
                raw = m.fast.fp_raw(top)
                loc, width = x87_loc(top), 10
            else:
                width = t.dtype.itemsize
                raw = m.fast.xmm_bytes(0)
                loc = xmm_loc(0)
            nodes.append(rec.operand_node(rec.sh.node_at(loc, width), raw, 0, width, pc, loc))
            slots.append((None, ()))
        for i, p in enumerate(fn.proto.params):
            if not p.is_output:
                continue
            st = p.type.dtype.itemsize
            width = 10 if p.type.klass == "x" else st
            n = int(np.prod(shapes[i], dtype=np.int64))
            for k in range(n):
                loc = addrs[i] + k * st
                raw = m.fast.mem(loc, width) or b""
                nodes.append(rec.operand_node(rec.sh.node_at(loc, width), raw, 0, width, pc,
                                              loc))
            slots.append((i, shapes[i]))
        return nodes, slots

    @staticmethod
    def _ensure_arg_area(im: Image, nbytes: int) -> None:
        have = im.arg_mapped
        need = (nbytes + 0xFFFF) & ~0xFFFF
        if need > have:
            im.machine.mem.map(ARG_AREA + have, need - have, 3, AREA_NAME)
            im.arg_mapped = need


def _read_result(m, t: CType):
    if t.base == "void":
        return None
    fast = m.fast
    if t.klass == "f":
        raw = fast.xmm_bytes(0)[:t.dtype.itemsize]
        return float(np.frombuffer(raw, t.dtype)[0])
    if t.klass == "x":
        top = (fast.reg(fastuc.UC_FPSW) >> 11) & 7
        raw = fast.fp_raw(top) + b"\0" * 6
        return np.frombuffer(raw, np.longdouble)[0]
    rax = fast.gpr(0)
    if t.base in ("_Bool", "bool"):
        return bool(rax & 0xFF)
    size = t.dtype.itemsize
    v = rax & ((1 << (8 * size)) - 1)
    if t.dtype.kind == "i" and v >> (8 * size - 1):
        v -= 1 << (8 * size)
    return v


def _cut(rec, lo: int, hi: int, in_nodes: list[int], out_nodes: list[int], fn) -> Tape:
    """The nodes [lo, hi) of the recorder's tape as a Tape of their own (node 0 passive)."""
    tb = rec.tb

    def col(name: str) -> np.ndarray:
        return np.asarray(tb.column(name, hi))[lo:hi]

    n = hi - lo
    shift = lo - 1
    parents = np.zeros((n + 1, 2), np.int64)
    partials = np.zeros((n + 1, 2))
    for j, (pc, dc) in enumerate((("p1", "d1"), ("p2", "d2"))):
        p = col(pc)
        parents[1:, j] = np.where(p >= lo, p - shift, 0)
        partials[1:, j] = np.where(p >= lo, col(dc), 0.0)
    values = np.concatenate([[0.0], col("value")])
    addr = np.concatenate([np.zeros(1, np.uint64), col("addr")])
    op = np.concatenate([np.zeros(1, np.uint16), col("op")])
    depth = np.concatenate([[0], col("depth").astype(np.int32)])
    if n:
        depth[1:] -= depth[1:].min()  # inputs of this call are at the bottom
        depth[1:] = np.maximum(depth[1:], 0)

    def local(k: int) -> int:
        return k - shift if k >= lo else 0

    ins = [(f"x{j}", local(k)) for j, k in enumerate(in_nodes)]
    outs = [(f"y{j}", local(k)) for j, k in enumerate(out_nodes)]
    return Tape(parents, partials, values, addr, op, depth, ins, outs,
                {"function": fn.name, "library": fn.library.path, "prototype": fn.prototype})


def _call_error(fn: Function, e: BaseException, m) -> CallError:
    kind = {GuestFault: "crashed", BudgetExceeded: "exceeded its instruction budget",
            UnsupportedInstruction: "hit an unsupported instruction",
            Interrupted: "was interrupted"}.get(type(e), "failed")
    err = CallError(f"{fn.name}() {kind}: {e}")
    err.cause = e
    return err


class Function:
    """One function of a loaded library, callable like the native one; picklable."""

    def __init__(self, library: Library, name: str, prototype: str, proto: Prototype | None = None,
                 *, keep_state: bool = False, max_instructions: int = 100_000_000):
        self.library = library
        self.name = name
        self.prototype = prototype
        self.proto = proto or parse(prototype)
        self.keep_state = keep_state
        self.max_instructions = max_instructions
        self._address: int | None = None

    def __getstate__(self) -> dict:
        return {"library": self.library, "name": self.name, "prototype": self.prototype,
                "keep_state": self.keep_state, "max_instructions": self.max_instructions}

    def __setstate__(self, st: dict) -> None:
        self.__init__(st["library"], st["name"], st["prototype"], keep_state=st["keep_state"],
                      max_instructions=st["max_instructions"])

    def __repr__(self) -> str:
        return f"<revad_emu.Function {self.proto} from {os.path.basename(self.library.path)}>"

    @property
    def address(self) -> int:
        if self._address is None:
            a = self.library.image.symbol(self.name)
            if a is None:
                raise AttributeError(f"{self.library.path}: no symbol {self.name!r} (Fortran "
                                     "names usually end in `_`; C++ ones need extern \"C\")")
            self._address = a
        return self._address

    def prepare(self, args: tuple) -> list[np.ndarray]:
        """Check and convert the arguments (TypeError before anything runs)."""
        params = self.proto.params
        if len(args) != len(params):
            raise TypeError(f"{self.name}() takes {len(params)} argument"
                            f"{'s' if len(params) != 1 else ''} ({self.proto}), "
                            f"{len(args)} given")
        return [_convert(self.name, p, a) for p, a in zip(params, args, strict=True)]

    def __call__(self, *args):
        """Call the function: the return value, with non-const arrays updated in place."""
        res = self.library.call(self, args)
        for i, p in enumerate(self.proto.params):
            if p.type.pointer and not p.type.const:
                a = args[i]
                if isinstance(a, np.ndarray) and a.size:
                    a[...] = res.arrays[i].reshape(a.shape)
        return res.result

    def record(self, *args) -> CallResult:
        """One recorded call: values and the tape of this call (used by rv.grad & co.)."""
        return self.library.call(self, args, record=True)

    @property
    def input_params(self) -> list[int]:
        return [i for i, p in enumerate(self.proto.params) if p.is_input]


def _convert(fname: str, p: Param, a) -> np.ndarray:
    t = p.type
    what = f"{fname}(): argument {p.name!r} ({t})"
    if t.pointer:
        if isinstance(a, str | bytes) and t.base == "char":
            b = a.encode() if isinstance(a, str) else a
            return np.frombuffer(b + b"\0", np.int8).copy()
        if not t.const:
            if isinstance(a, np.ndarray):
                if a.dtype != t.dtype:
                    raise TypeError(f"{what} is written by the function: expected a numpy array "
                                    f"of dtype {t.dtype}, got {a.dtype} (convert with "
                                    f"np.asarray(x, dtype=np.{t.dtype}))")
                if not a.flags.c_contiguous or not a.flags.writeable:
                    raise TypeError(f"{what} is written by the function: expected a writable "
                                    "C-contiguous array (use np.ascontiguousarray(x))")
                return a
            if isinstance(a, float | int | np.number) and not isinstance(a, bool):
                return _scalar_array(what, t.dtype, a)  # an output-only scalar by reference
            raise TypeError(f"{what}: expected a numpy array of dtype {t.dtype}, got "
                            f"{type(a).__name__}")
        if isinstance(a, np.ndarray):
            if a.dtype == t.dtype and a.flags.c_contiguous:
                return a
            if not np.can_cast(a.dtype, t.dtype, "same_kind") or a.dtype.kind == "c":
                raise TypeError(f"{what}: cannot convert an array of dtype {a.dtype} to "
                                f"{t.dtype}")
            return np.ascontiguousarray(a, dtype=t.dtype)
        if isinstance(a, list | tuple | float | int | np.number) and not isinstance(a, bool):
            try:
                arr = np.asarray(a)
            except ValueError as e:
                raise TypeError(f"{what}: {e}") from None
            if arr.dtype.kind not in "biuf" or (t.dtype.kind in "iu" and arr.dtype.kind == "f"):
                raise TypeError(f"{what}: cannot convert {type(a).__name__} of {arr.dtype} to "
                                f"{t.dtype}")
            return np.ascontiguousarray(arr, dtype=t.dtype)
        if hasattr(a, "__array__"):
            return _convert(fname, p, np.asarray(a))
        raise TypeError(f"{what}: expected a numpy array, got {type(a).__name__}")
    return _scalar_array(what, t.dtype, a)


def _scalar_array(what: str, dtype: np.dtype, a) -> np.ndarray:
    if isinstance(a, np.ndarray) or hasattr(a, "__array__"):
        a = np.asarray(a)
        if a.ndim != 0 and a.size != 1:
            raise TypeError(f"{what}: expected a scalar, got an array of shape {a.shape}")
        a = a.reshape(()).item() if a.dtype != np.longdouble else a.reshape(())[()]
    if dtype.kind == "f":
        if isinstance(a, bool) or not isinstance(a, float | int | np.floating | np.integer):
            raise TypeError(f"{what}: expected a number, got {type(a).__name__}")
        return np.array(a, dtype=dtype)
    if dtype.kind == "b":
        if not isinstance(a, bool | int | np.bool_ | np.integer):
            raise TypeError(f"{what}: expected a bool, got {type(a).__name__}")
        return np.array(bool(a), dtype=dtype)
    if isinstance(a, bool) or not isinstance(a, int | np.integer):
        raise TypeError(f"{what}: expected an integer, got {type(a).__name__}")
    info = np.iinfo(dtype)
    if not info.min <= int(a) <= info.max:
        raise TypeError(f"{what}: {a} does not fit in {dtype}")
    return np.array(int(a), dtype=dtype)


def load(path: str | os.PathLike, *, env: dict[str, str] | None = None,
         max_instructions: int = 100_000_000) -> Library:
    """Load a shared library, or an executable with symbols, for calling its functions.

    The library is loaded once with its dependencies by the system's dynamic loader (inside
    the emulator) and its constructors run; an executable is started and stopped at `main`.
    Each call then starts from that state."""
    lib = Library(path, env=env, max_instructions=max_instructions)
    lib.image  # noqa: B018 - load now, so errors show here
    return lib
