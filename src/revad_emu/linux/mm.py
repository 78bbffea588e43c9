"""System calls on the guest's memory map: brk, mmap, munmap, mprotect, mremap, madvise."""

from __future__ import annotations

import errno as E
import os
import stat as S

from ..cpu.memory import CHUNK, PAGE, page_up
from .abi import (
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_PRIVATE,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    O_ACCMODE,
    O_WRONLY,
    PROT_EXEC,
    USER_TOP,
    _s64,
)
from .sandbox import _Refused


class MemoryCalls:
    """Kernel part: memory system calls (a mixin of `Kernel`)."""

    def brk_start(self, addr: int) -> None:
        """Set the initial program break (end of the loaded image, page-aligned as Linux does)."""
        self._brk_start = self._brk = page_up(addr)

    def _mapped_exec(self, addr: int, size: int, prot: int) -> None:
        if self.on_map is not None and prot & PROT_EXEC:
            self.on_map(addr, size, prot, None, 0)

    def sys_brk(self, addr: int, *_: int) -> int:
        if not self._brk_start or addr < self._brk_start:
            return self._brk
        old_top, new_top = page_up(self._brk), page_up(addr)
        if new_top > old_top:
            if new_top > USER_TOP or not self.mem.is_free(old_top, new_top - old_top):
                return self._brk
            self.mem.map(old_top, new_top - old_top, 3, "[heap]")
        elif new_top < old_top:
            self.mem.unmap(new_top, old_top - new_top)
        self._brk = addr
        return addr

    def sys_mmap(self, addr: int, length: int, prot: int, flags: int, fd: int, offset: int
                 ) -> int:  # fmt: skip
        prot &= 7
        if not length or offset % PAGE or not flags & 3:
            return -E.EINVAL
        size = page_up(length)
        fixed = bool(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
        if fixed and addr % PAGE:
            return -E.EINVAL
        if size > USER_TOP or (fixed and addr + size > USER_TOP):
            return -E.ENOMEM
        if flags & MAP_FIXED_NOREPLACE and not self.mem.is_free(addr, size):
            return -E.EEXIST
        f = None
        if not flags & MAP_ANONYMOUS:
            f = self._file(fd)
            if f.kind != "host" or f.is_dir:
                return -E.ENODEV
            if f.flags & O_ACCMODE == O_WRONLY:
                return -E.EACCES
            if flags & 3 != MAP_PRIVATE and prot & 2:
                raise _Refused(
                    E.EACCES,
                    f"mmap({f.path!r}, MAP_SHARED, PROT_WRITE) refused: shared writable "
                    "file mappings are not supported",
                )
        file_size = 0
        if f is not None:
            st = os.fstat(f.host_fd)
            if S.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 5):
                f = None  # /dev/zero: private zero pages, as an anonymous mapping
            elif not S.S_ISREG(st.st_mode):
                return -E.ENODEV  # /dev/urandom, /dev/null, pipes...: no mmap in Linux
            else:
                file_size = st.st_size
        hint = addr if fixed or 0x10000 <= addr <= USER_TOP - size else None
        start = self.mem.map(hint, size, prot, f.path if f else "", fixed=fixed)
        if f is None:
            self._mapped_exec(start, size, prot)
            return start
        self._fill_from_file(start, f.host_fd, offset, min(size, max(file_size - offset, 0)))
        if self.on_map is not None:
            self.on_map(start, size, prot, f.path, offset)
        return start

    def _fill_from_file(self, addr: int, fd: int, offset: int, n: int) -> None:
        """Copy n bytes of the file into fresh (zero) pages, a bounded step at a time;
        steps of zeros (sparse files) are not written."""
        for off in range(0, n, CHUNK):
            data = os.pread(fd, min(CHUNK, n - off), offset + off)
            if not data:
                break
            if data.count(0) != len(data):
                self.mem.write(addr + off, data)

    def sys_munmap(self, addr: int, length: int, *_: int) -> int:
        if addr % PAGE or not length or addr + length > USER_TOP:
            return -E.EINVAL
        self.mem.unmap(addr, length)
        return 0

    def sys_mprotect(self, addr: int, length: int, prot: int, *_: int) -> int:
        if addr % PAGE:
            return -E.EINVAL
        size = page_up(length)
        if not size:
            return 0
        if not self.mem.is_mapped(addr, size):
            return -E.ENOMEM
        was_exec = all(r.prot & PROT_EXEC for r in self.mem.overlapping(addr, addr + size))
        self.mem.protect(addr, size, prot & 7)
        if not was_exec:
            self._mapped_exec(addr, size, prot)
        return 0

    def sys_mremap(self, old: int, old_size: int, new_size: int, flags: int, new_addr: int,
                   *_: int) -> int:  # fmt: skip
        if old % PAGE or flags & ~7 or (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)
                                        and not flags & MREMAP_MAYMOVE):  # fmt: skip
            return -E.EINVAL
        old_size, new_size = page_up(old_size), page_up(new_size)
        if not old_size or not new_size or new_size > USER_TOP:
            return -E.EINVAL
        r = self.mem.region_at(old)
        if r is None or r.end < old + old_size:
            return -E.EFAULT
        if not flags & MREMAP_FIXED:
            if new_size <= old_size:
                self.mem.unmap(old + new_size, old_size - new_size)
                return old
            grow = new_size - old_size
            if old + new_size <= USER_TOP and self.mem.is_free(old + old_size, grow):
                self.mem.map(old + old_size, grow, r.prot, r.name)
                return old
            if not flags & MREMAP_MAYMOVE:
                return -E.ENOMEM
        elif new_addr % PAGE or (new_addr < old + old_size and old < new_addr + new_size):
            return -E.EINVAL
        target = new_addr if flags & MREMAP_FIXED else None
        new = self.mem.map(target, new_size, r.prot, r.name, fixed=target is not None)
        moved = min(old_size, new_size)
        self.mem.copy(old, new, moved)
        if self.on_copy is not None:
            self.on_copy(old, new, moved)
        if not flags & MREMAP_DONTUNMAP:
            self.mem.unmap(old, old_size)
        self._mapped_exec(new, new_size, r.prot)
        return new

    def sys_madvise(self, addr: int, length: int, advice: int, *_: int) -> int:
        if addr % PAGE or _s64(length) < 0:
            return -E.EINVAL
        end = addr + page_up(length)
        if end > USER_TOP:
            return -E.EINVAL if end > 1 << 64 else -E.ENOMEM
        if advice == MADV_DONTNEED:  # private anonymous pages read back as zeros
            for r in self.mem.overlapping(addr, end):
                if not r.name.startswith("/"):
                    lo, hi = max(r.start, addr), min(r.end, end)
                    self.mem.discard(lo, hi - lo)  # the host drops the pages
        return 0 if self.mem.is_mapped(addr, end - addr) or end == addr else -E.ENOMEM

    def sys_msync(self, *_: int) -> int:
        return 0
