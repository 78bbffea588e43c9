"""Guest virtual memory: page-granular mappings on top of one Unicorn engine.

Unicorn refuses overlapping `mem_map` calls and knows no names, so this class keeps the
Linux view (sorted regions with protection and a name) and does the splitting that `mmap`
with MAP_FIXED, `munmap` and `mprotect` need. Every mapping of the guest should go through
it; ranges Unicorn has mapped behind its back are still treated as occupied when a free range
is searched or a fixed mapping replaces them. Linux PROT_* bits equal UC_PROT_* bits.
"""

from __future__ import annotations

import bisect
import ctypes
import functools
import mmap
import os
import struct
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from unicorn import Uc, UcError

PAGE = 0x1000
PROT_MASK = 7  # PROT_READ | PROT_WRITE | PROT_EXEC


def page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


class GuestMemoryError(Exception):
    """An access to guest memory that is not mapped (the syscall layer turns it into EFAULT)."""

    def __init__(self, addr: int, size: int, write: bool) -> None:
        kind = "write" if write else "read"
        super().__init__(f"guest memory {kind} of {size} bytes at {addr:#x} is not mapped")
        self.addr = addr
        self.size = size
        self.write = write


@functools.cache
def commit_limit() -> int:
    """RAM + swap of the host in bytes: what Linux's heuristic overcommit lets one mapping
    have."""
    swap = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("SwapTotal:"):
                swap = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") + swap


class MapError(Exception):
    """No free range of the requested size, or a request outside the address space."""


@dataclass
class Region:
    start: int
    end: int  # exclusive
    prot: int
    name: str = ""

    @property
    def size(self) -> int:
        return self.end - self.start


_ACCESS_ERRORS = (UcError, OverflowError, ValueError, ctypes.ArgumentError)
CHUNK = 1 << 20  # bytes moved per step when the host copies guest memory
MAP_PIECE = 256 << 20  # largest Unicorn region of a mapping of up to 64 pieces
_ZERO_CHUNK = bytes(CHUNK)

# Guest pages live in host memory that this module maps itself (anonymous, MAP_NORESERVE)
# and hands to Unicorn with uc_mem_map_ptr. Unicorn then splits a region (mprotect or
# munmap of part of it) by pointing the pieces into the same memory instead of copying the
# whole region, untouched pages cost no host RAM, munmap returns them to the host, and
# MADV_DONTNEED drops them (DESIGN: host RSS follows the pages the guest touched).
_libc = ctypes.CDLL(None, use_errno=True)
_mmap = _libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                  ctypes.c_long]  # fmt: skip
_munmap = _libc.munmap
_munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_madvise = _libc.madvise
_madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_MAP_FAILED = ctypes.c_void_p(-1).value
_MAP_NORESERVE = 0x4000


def _host_alloc(size: int) -> int | None:
    """Zeroed host pages for `size` bytes of guest memory (None: the host has no room)."""
    p = _mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE,
              mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE, -1, 0)  # fmt: skip
    return None if p in (None, _MAP_FAILED) else p


def _free_backing(backing: list[list[int]]) -> None:
    for start, end, host in backing:
        _munmap(host, end - start)
    backing.clear()


class AddressSpace:
    """The guest's mappings; regions with equal protection and name are kept coalesced."""

    def __init__(
        self, uc: Uc, mmap_top: int = 0x7FFF_F7FF_F000, mmap_bottom: int = 0x1000_0000
    ) -> None:
        self.uc = uc
        self.mmap_top = page_down(mmap_top)
        self.mmap_bottom = page_up(mmap_bottom)
        self._regions: list[Region] = []
        self._starts: list[int] = []
        # Called with (addr, size) after the host side (the kernel layer) wrote, mapped or
        # unmapped guest memory: layers above keep per-byte state (the recorder's shadow).
        self.on_overwrite: list[Callable[[int, int], None]] = []
        # [guest start, guest end, host address of guest start], sorted, disjoint: the host
        # memory behind our mappings, freed when unmapped or when the engine goes away.
        self._backing: list[list[int]] = []
        self._backing_starts: list[int] = []
        weakref.finalize(uc, _free_backing, self._backing)

    # -- mappings ---------------------------------------------------------------------------

    @property
    def regions(self) -> list[Region]:
        return list(self._regions)

    def map(
        self, addr: int | None, size: int, prot: int, name: str = "", fixed: bool = True
    ) -> int:
        """Map zeroed pages; a fixed map replaces what was there, otherwise addr is a hint."""
        size = page_up(size)
        if size <= 0:
            raise MapError(f"cannot map {size} bytes")
        if addr is not None:
            addr = page_down(addr) if not fixed else addr
            if addr % PAGE:
                raise MapError(f"fixed mapping at unaligned address {addr:#x}")
            if addr < 0 or addr + size > 1 << 64:
                raise MapError(f"mapping {addr:#x}+{size:#x} outside the address space")
        if prot & 2 and size > commit_limit():
            # Linux's default overcommit heuristic refuses one writable private mapping
            # larger than RAM + swap (mmap: ENOMEM; execve of such a bss: the exec fails);
            # ours would succeed, backed lazily, and the run would differ from a native one.
            raise MapError(f"{size:#x} bytes exceed the host's RAM + swap")
        if addr is None or (not fixed and not self.is_free(addr, size)):
            addr = self._find_free(size)
        host = _host_alloc(size)
        if host is None:
            raise MapError(f"no host memory for {size:#x} bytes")
        if fixed:
            self._unmap(addr, size)
        # Large mappings go to Unicorn in pieces: an mprotect or munmap of one page then
        # re-maps one piece, not the whole mapping (Unicorn flushes its TLB page by page).
        piece = max(MAP_PIECE, page_up(size // 64))
        done = 0
        try:
            for off in range(0, size, piece):
                n = min(piece, size - off)
                self.uc.mem_map_ptr(addr + off, n, prot & PROT_MASK, host + off)
                done += n
        except UcError as e:
            if done:
                self.uc.mem_unmap(addr, done)
            _munmap(host, size)
            raise MapError(f"unicorn refused to map {addr:#x}+{size:#x}: {e}") from None
        i = bisect.bisect_left(self._backing_starts, addr)
        self._backing.insert(i, [addr, addr + size, host])
        self._backing_starts.insert(i, addr)
        self._set(addr, addr + size, prot & PROT_MASK, name)
        for cb in self.on_overwrite:  # fresh zero pages (a fixed map may replace old ones)
            cb(addr, size)
        return addr

    def unmap(self, addr: int, size: int) -> None:
        """Remove whatever is mapped in the range (holes are fine, as for munmap)."""
        self._unmap(page_down(addr), page_up(addr + size) - page_down(addr))
        for cb in self.on_overwrite:
            cb(addr, size)

    def protect(self, addr: int, size: int, prot: int) -> None:
        """Change protection; the whole range must be mapped (else GuestMemoryError)."""
        start, end = page_down(addr), page_up(addr + size)
        if end <= start:
            return
        if not self.is_mapped(start, end - start):
            raise GuestMemoryError(addr, size, False)
        prot &= PROT_MASK
        self.uc.mem_protect(start, end - start, prot)
        for r in self.overlapping(start, end):
            self._set(max(r.start, start), min(r.end, end), prot, r.name)

    def is_mapped(self, addr: int, size: int = 1) -> bool:
        """True if every byte of [addr, addr+size) lies in some region."""
        end = addr + max(size, 1)
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return False
        pos = addr
        for r in self._regions[i:]:
            if r.start > pos or r.end <= pos:
                return False
            pos = r.end
            if pos >= end:
                return True
        return False

    def is_free(self, addr: int, size: int) -> bool:
        """True if nothing (ours or Unicorn's) overlaps [addr, addr+size)."""
        end = addr + size
        if self.overlapping(addr, end):
            return False
        return not any(s < end and e >= addr for s, e, _ in self.uc.mem_regions())

    def region_at(self, addr: int) -> Region | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self._regions[i].end:
            return self._regions[i]
        return None

    def overlapping(self, start: int, end: int) -> list[Region]:
        """Regions that intersect [start, end), in address order."""
        i, j = self._span(start, end)
        return self._regions[i:j]

    def _find_free(self, size: int) -> int:
        """Highest free range below mmap_top (Linux's top-down mmap layout)."""
        spans = sorted([(r.start, r.end) for r in self._regions]
                       + [(s, e + 1) for s, e, _ in self.uc.mem_regions()])  # fmt: skip
        busy: list[tuple[int, int]] = []
        for s, e in spans:  # merge: our regions and Unicorn's describe the same pages
            if busy and s <= busy[-1][1]:
                busy[-1] = (busy[-1][0], max(busy[-1][1], e))
            else:
                busy.append((s, e))
        hi = self.mmap_top
        for s, e in reversed(busy):
            if e <= hi and hi - size >= max(e, self.mmap_bottom):
                return hi - size
            hi = min(hi, s)
            if hi - size < self.mmap_bottom:
                break
        if hi - size >= self.mmap_bottom:
            return hi - size
        raise MapError(f"no free range of {size:#x} bytes in the guest address space")

    def _unmap(self, start: int, size: int) -> None:
        end = start + size
        for s, e, _ in list(self.uc.mem_regions()):
            lo, hi = max(s, start), min(e + 1, end)
            if lo < hi:
                self.uc.mem_unmap(lo, hi - lo)
        self._cut(start, end)
        self._release(start, end)

    def _backed(self, start: int, end: int) -> list[list[int]]:
        """Backing entries that intersect [start, end)."""
        i = max(bisect.bisect_right(self._backing_starts, start) - 1, 0)
        j = bisect.bisect_left(self._backing_starts, end)
        return [b for b in self._backing[i:j] if b[1] > start]

    def _release(self, start: int, end: int) -> None:
        """Give the host memory behind [start, end) back (Unicorn no longer maps it)."""
        for b in self._backed(start, end):
            s, e, host = b
            lo, hi = max(s, start), min(e, end)
            _munmap(host + (lo - s), hi - lo)
            i = self._backing.index(b)
            pieces = [p for p in ([s, lo, host], [hi, e, host + (hi - s)]) if p[0] < p[1]]
            self._backing[i : i + 1] = pieces
        self._backing_starts = [b[0] for b in self._backing]

    def discard(self, addr: int, size: int) -> None:
        """Drop the contents of [addr, addr+size) (MADV_DONTNEED on private anonymous
        memory): the pages read back as zeros and cost no host RAM until touched again."""
        start, end = page_down(addr), page_up(addr + size)
        done = start
        for s, e, host in self._backed(start, end):
            lo, hi = max(s, start), min(e, end)
            self._zero(done, lo)  # pieces not backed by us (mapped behind our back)
            _madvise(host + (lo - s), hi - lo, mmap.MADV_DONTNEED)
            done = hi
        self._zero(done, end)
        for cb in self.on_overwrite:
            cb(start, end - start)

    def _zero(self, lo: int, hi: int) -> None:
        for p in range(lo, hi, CHUNK):
            if self.is_mapped(p, min(CHUNK, hi - p)):
                self.uc.mem_write(p, _ZERO_CHUNK[: min(CHUNK, hi - p)])

    def copy(self, src: int, dst: int, n: int) -> None:
        """Copy guest bytes in bounded steps, skipping all-zero steps (the destination is
        freshly mapped): host RSS grows only by the pages that hold data."""
        for off in range(0, n, CHUNK):
            k = min(CHUNK, n - off)
            data = self.read(src + off, k)
            if data != _ZERO_CHUNK[:k] if k < CHUNK else data != _ZERO_CHUNK:
                self.uc.mem_write(dst + off, data)

    def _span(self, start: int, end: int) -> tuple[int, int]:
        """Index range of the regions overlapping [start, end)."""
        i = bisect.bisect_right(self._starts, start) - 1
        if i < 0 or self._regions[i].end <= start:
            i += 1
        return i, max(i, bisect.bisect_left(self._starts, end))

    def _cut(self, start: int, end: int) -> None:
        """Drop [start, end) from the region list, splitting regions at the edges."""
        i, j = self._span(start, end)
        keep: list[Region] = []
        for r in self._regions[i:j]:
            if r.start < start:
                keep.append(Region(r.start, start, r.prot, r.name))
            if r.end > end:
                keep.append(Region(end, r.end, r.prot, r.name))
        self._regions[i:j] = keep
        self._starts = [r.start for r in self._regions]

    def _set(self, start: int, end: int, prot: int, name: str) -> None:
        """Record [start, end) as one region, merging with equal neighbours."""
        self._cut(start, end)
        i = bisect.bisect_left(self._starts, start)
        new = Region(start, end, prot, name)
        if i > 0:
            left = self._regions[i - 1]
            if left.end == start and left.prot == prot and left.name == name:
                new.start = left.start
                i -= 1
                del self._regions[i]
        if i < len(self._regions):
            right = self._regions[i]
            if right.start == end and right.prot == prot and right.name == name:
                new.end = right.end
                del self._regions[i]
        self._regions.insert(i, new)
        self._starts = [r.start for r in self._regions]

    # -- data -------------------------------------------------------------------------------

    def read(self, addr: int, n: int) -> bytes:
        if n <= 0:
            return b""
        try:
            return bytes(self.uc.mem_read(addr, n))
        except _ACCESS_ERRORS:
            raise GuestMemoryError(addr, n, False) from None

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        try:
            self.uc.mem_write(addr, bytes(data))
        except _ACCESS_ERRORS:
            raise GuestMemoryError(addr, len(data), True) from None
        for cb in self.on_overwrite:
            cb(addr, len(data))

    def read_cstr(self, addr: int, limit: int = 1 << 16) -> bytes:
        """Bytes up to (not including) the NUL; at most `limit` bytes if none is found."""
        out = bytearray()
        while len(out) < limit:
            n = min(PAGE - (addr + len(out)) % PAGE, limit - len(out))
            chunk = self.read(addr + len(out), n)
            k = chunk.find(0)
            if k >= 0:
                out += chunk[:k]
                return bytes(out)
            out += chunk
        return bytes(out)

    def read_u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, struct.pack("<Q", value & 0xFFFF_FFFF_FFFF_FFFF))

    # -- reports ----------------------------------------------------------------------------

    def maps_text(self) -> str:
        """The mappings in /proc/self/maps format (pthread_getattr_np and others parse it)."""
        lines = []
        for r in self._regions:
            perms = "".join(c if r.prot & b else "-" for c, b in (("r", 1), ("w", 2), ("x", 4)))
            line = f"{r.start:08x}-{r.end:08x} {perms}p 00000000 00:00 0"
            lines.append(f"{line:<72} {r.name}" if r.name else line)
        return "".join(line + "\n" for line in lines)
