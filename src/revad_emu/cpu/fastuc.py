"""Raw ctypes access to Unicorn's C API for the hot paths.

Unicorn's Python wrapper costs 2-7 µs per register read and ~0.4 µs per hook call; the same
C calls through preallocated ctypes buffers cost 0.3-0.6 µs (DESIGN §2). Everything that runs
per instruction goes through this module; set-up code may use the ordinary `Uc` object.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib

CODE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32,
                           ctypes.c_void_p)
SYSCALL_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
MEM_INVALID_CB = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64,
                                  ctypes.c_int, ctypes.c_int64, ctypes.c_void_p)

# GPR numbering used throughout revad_emu (capstone/unicorn ids differ; this is ours).
GPR_NAMES = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
UC_GPR = tuple(getattr(X, f"UC_X86_REG_{n.upper()}") for n in GPR_NAMES)
UC_XMM = tuple(getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16))
UC_FP = tuple(getattr(X, f"UC_X86_REG_FP{i}") for i in range(8))
UC_RIP = X.UC_X86_REG_RIP
UC_FPSW = X.UC_X86_REG_FPSW
UC_FPCW = X.UC_X86_REG_FPCW
UC_FPTAG = X.UC_X86_REG_FPTAG
UC_MXCSR = X.UC_X86_REG_MXCSR
UC_FS_BASE = X.UC_X86_REG_FS_BASE
UC_EFLAGS = X.UC_X86_REG_EFLAGS


class FastUc:
    """Preallocated-buffer register and memory access for one Unicorn engine."""

    def __init__(self, uc):
        self.uc = uc
        self.h = uc._uch
        self._u64 = ctypes.c_uint64()
        self._pu64 = ctypes.byref(self._u64)
        self._b16 = (ctypes.c_ubyte * 16)()
        self._b64 = ctypes.create_string_buffer(64)
        self._fp = (ctypes.c_ubyte * 16)()
        self._keep: list = []  # callbacks must outlive the engine
        self._owned: dict[int, list] = {}  # hook handle -> what `_keep` holds for it
        # The same C functions through a handle without argtypes: ctypes' argument
        # conversion halves the cost of a call (0.35 instead of 0.75 µs per register read).
        raw = self._lib = ctypes.CDLL(uclib._name)
        self._read = raw.uc_reg_read
        self._write = raw.uc_reg_write
        self._batch = raw.uc_reg_read_batch
        self._memr = raw.uc_mem_read
        self._u64t = ctypes.c_uint64
        self._pair_ids = (ctypes.c_int * 2)()
        self._pair_buf = (ctypes.c_ubyte * 32)()
        base = ctypes.addressof(self._pair_buf)
        self._pair_ptrs = (ctypes.c_void_p * 2)(base, base + 16)

    # -- registers ---------------------------------------------------------------------
    def reg(self, rid: int) -> int:
        """Any register up to 64 bits (the buffer is cleared: MXCSR/FPSW write fewer bytes)."""
        self._u64.value = 0
        self._read(self.h, rid, self._pu64)
        return self._u64.value

    def set_reg(self, rid: int, value: int) -> None:
        self._u64.value = value & 0xFFFF_FFFF_FFFF_FFFF
        self._write(self.h, rid, self._pu64)

    def gpr(self, i: int) -> int:
        self._read(self.h, UC_GPR[i], self._pu64)
        return self._u64.value

    def set_gpr(self, i: int, value: int) -> None:
        self.set_reg(UC_GPR[i], value)

    def xmm_bytes(self, i: int) -> bytes:
        self._read(self.h, UC_XMM[i], self._b16)
        return bytes(self._b16)

    def xmm_pair(self, i: int, j: int) -> bytes:
        """xmm i and xmm j (32 bytes) in one C call."""
        ids = self._pair_ids
        ids[0] = UC_XMM[i]
        ids[1] = UC_XMM[j]
        self._batch(self.h, ids, self._pair_ptrs, 2)
        return bytes(self._pair_buf)

    def fp_raw(self, phys: int) -> bytes:
        """80-bit contents (10 bytes, little endian) of physical x87 register FP`phys`."""
        self._read(self.h, UC_FP[phys], self._fp)
        return bytes(self._fp)[:10]

    # -- memory ------------------------------------------------------------------------
    def mem(self, addr: int, n: int) -> bytes | None:
        """Guest bytes, or None if unmapped (never raises: used inside hooks)."""
        buf = self._b64 if n <= 64 else ctypes.create_string_buffer(n)
        if self._memr(self.h, self._u64t(addr), buf, self._u64t(n)):
            return None
        return buf.raw[:n]

    def c_address(self, name: str) -> int:
        """Address of a Unicorn C API function, for hooks written in C that call it."""
        return ctypes.cast(getattr(self._lib, name), ctypes.c_void_p).value

    def stop(self) -> None:
        uclib.uc_emu_stop(self.h)

    # -- hooks -------------------------------------------------------------------------
    def hook(self, htype: int, cfunc, begin: int = 1, end: int = 0, *extra,
             user_data: int | None = None) -> int:
        handle = ctypes.c_size_t()
        err = uclib.uc_hook_add(self.h, ctypes.byref(handle), htype, cfunc,
                                ctypes.c_void_p(user_data), ctypes.c_uint64(begin),
                                ctypes.c_uint64(end), *extra)
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._keep.append(cfunc)
        self._owned[handle.value] = [cfunc]
        return handle.value

    def hook_del(self, handle: int) -> None:
        """Remove a hook added by `hook` (the Python wrapper only knows its own hooks)."""
        uclib.uc_hook_del(self.h, ctypes.c_size_t(handle))
        gone = self._owned.pop(handle, [])
        self._keep[:] = [k for k in self._keep if not any(k is g for g in gone)]

    def hook_c(self, htype: int, fn_address: int, owner, begin: int = 1, end: int = 0) -> int:
        """A hook implemented in C (`fn_address`), called with `owner.user_data`; owner is
        kept alive as long as the engine."""
        self._keep.append(owner)
        h = self.hook(htype, ctypes.c_void_p(fn_address), begin, end,
                      user_data=owner.user_data)
        self._owned[h].append(owner)
        return h

    def hook_code_raw(self, fn, begin: int = 1, end: int = 0) -> int:
        """fn(uc, address, size, user_data) called straight from C (no wrapper frame)."""
        return self.hook(4, CODE_CB(fn), begin, end)

    def hook_code(self, fn: Callable[[int, int], None], begin: int = 1, end: int = 0) -> int:
        """Call fn(address, size) before each instruction in [begin, end] (all if begin > end)."""
        cb = CODE_CB(lambda _uc, addr, size, _ud: fn(addr, size))
        return self.hook(4, cb, begin, end)

    def hook_block(self, fn: Callable[[int, int], None], begin: int = 1, end: int = 0) -> int:
        cb = CODE_CB(lambda _uc, addr, size, _ud: fn(addr, size))
        return self.hook(8, cb, begin, end)

    def hook_syscall(self, fn: Callable[[], None]) -> int:
        cb = SYSCALL_CB(lambda _uc, _ud: fn())
        return self.hook(2, cb, 1, 0, ctypes.c_int(X.UC_X86_INS_SYSCALL))

    def hook_mem_invalid(self, fn: Callable[[int, int, int, int], bool]) -> int:
        """fn(access, address, size, value) -> False to stop with an error."""
        cb = MEM_INVALID_CB(lambda _uc, acc, addr, size, val, _ud: fn(acc, addr, size, val))
        # UNMAPPED (read/write/fetch) | PROT (read/write/fetch)
        return self.hook(0x70 | 0x380, cb, 1, 0)
