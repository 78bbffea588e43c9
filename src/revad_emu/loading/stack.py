"""The initial process stack as the Linux kernel builds it for a new x86-64 program.

Layout, from the top down: strings (execfn, environment, arguments, platform, AT_RANDOM
bytes), then, 16-byte aligned, argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
"""

from __future__ import annotations

import hashlib
import struct

from revad_emu.errors import ArgumentListTooLong

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ = 0, 3, 4, 5, 6
AT_BASE, AT_FLAGS, AT_ENTRY = 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ = 23, 25, 26, 31, 51

# CPUID.1:EDX of a plain x86-64 CPU (fpu, tsc, cmov, mmx, fxsr, sse, sse2 ...): what glibc expects.
HWCAP_X86_64 = 0x078BFBFF


def random_bytes(seed: str) -> bytes:
    """Deterministic AT_RANDOM bytes, so stack-protector canaries repeat from run to run."""
    return hashlib.sha256(seed.encode()).digest()[:16]


# Linux's execve limits (fs/exec.c): one string at most 32 pages including its NUL
# (MAX_ARG_STRLEN); all strings plus one pointer per string at most a quarter of the stack
# limit, capped at 3/4 of 8 MiB, at least 32 pages (ARG_MAX). Beyond them execve fails E2BIG.
MAX_ARG_STRLEN = 32 * 4096
ARG_MIN_LIMIT = 32 * 4096


def check_exec_limits(argv: list[bytes], envp: list[bytes], execfn: bytes,
                      stack_size: int) -> None:
    """Raise ArgumentListTooLong where Linux's execve would fail with E2BIG."""
    for what, strings in (("argument", argv), ("environment entry", envp)):
        for i, s in enumerate(strings):
            if len(s) + 1 > MAX_ARG_STRLEN:
                raise ArgumentListTooLong(
                    f"argument list too long (E2BIG): {what} {i} is {len(s) + 1:,} bytes; "
                    f"Linux allows {MAX_ARG_STRLEN:,} per string")
    limit = max(min(stack_size // 4, (8 << 20) // 4 * 3), ARG_MIN_LIMIT)
    total = sum(len(s) + 1 for s in (*argv, *envp, execfn)) + 8 * (max(len(argv), 1) + len(envp))
    if total > limit:
        raise ArgumentListTooLong(
            f"argument list too long (E2BIG): arguments and environment take {total:,} bytes; "
            f"Linux allows {limit:,} with a {stack_size >> 20} MiB stack")


def build_stack(write, top: int, argv: list[bytes], envp: list[bytes],
                aux: list[tuple[int, int]], execfn: bytes) -> int:
    """Write the initial stack ending below `top` with `write(addr, data)`; return the new RSP.

    `aux` holds the auxv pairs that depend on the load (AT_PHDR, AT_ENTRY, ...); AT_RANDOM,
    AT_PLATFORM and AT_EXECFN are added here because they point into the string area.
    """
    sp = top - 8  # 8 zero bytes end the stack, as on Linux

    def push_bytes(data: bytes) -> int:
        nonlocal sp
        sp -= len(data)
        write(sp, data)
        return sp

    execfn_addr = push_bytes(execfn + b"\0")
    env_addrs = [push_bytes(e + b"\0") for e in reversed(envp)][::-1]
    arg_addrs = [push_bytes(a + b"\0") for a in reversed(argv)][::-1]
    sp &= ~0xF
    platform_addr = push_bytes(b"x86_64\0")
    sp &= ~0xF
    rand_addr = push_bytes(random_bytes(execfn.decode(errors="replace")))
    sp &= ~0xF

    auxv = list(aux) + [(AT_RANDOM, rand_addr), (AT_PLATFORM, platform_addr),
                        (AT_EXECFN, execfn_addr), (AT_NULL, 0)]
    words = [len(argv), *arg_addrs, 0, *env_addrs, 0]
    for k, v in auxv:
        words += [k, v]
    sp -= 8 * len(words)
    sp &= ~0xF
    write(sp, struct.pack(f"<{len(words)}Q", *words))
    return sp
