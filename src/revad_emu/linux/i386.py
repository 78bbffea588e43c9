"""The 32-bit system call gate of an x86-64 process: `int $0x80` runs an i386 system call.

Linux takes the i386 number from eax and the arguments from ebx, ecx, edx, esi, edi, ebp
(32 bits each) and returns in rax. Calls whose arguments mean the same on both ABIs —
numbers, file descriptors, and pointers to bytes, strings or structures of the same layout
— are mapped here to the x86-64 handler; the others (struct stat, the old mmap, socketcall,
...) answer ENOSYS and are reported. Pointers must lie below 4 GiB, as for a 32-bit caller.
"""

from __future__ import annotations

# i386 number -> x86-64 name (abi.SYSCALL_NAMES), for calls with the same argument meaning.
I386_SYSCALLS: dict[int, str] = {
    1: "exit", 2: "fork", 3: "read", 4: "write", 5: "open", 6: "close", 8: "creat",
    10: "unlink", 11: "execve", 12: "chdir", 19: "lseek", 20: "getpid", 24: "getuid",
    26: "ptrace", 33: "access", 37: "kill", 38: "rename", 39: "mkdir", 40: "rmdir",
    41: "dup", 45: "brk", 47: "getgid", 49: "geteuid", 50: "getegid", 54: "ioctl",
    60: "umask", 63: "dup2", 64: "getppid", 85: "readlink", 91: "munmap", 118: "fsync",
    120: "clone", 125: "mprotect", 133: "fchdir", 148: "fdatasync", 158: "sched_yield",
    183: "getcwd", 190: "vfork", 199: "getuid", 200: "getgid", 201: "geteuid",
    202: "getegid", 224: "gettid", 238: "tkill", 252: "exit_group", 270: "tgkill",
    295: "openat", 296: "mkdirat", 301: "unlinkat", 302: "renameat", 305: "readlinkat",
    307: "faccessat", 330: "dup3", 355: "getrandom",
}  # fmt: skip

# Arguments that are signed on i386 (sign-extended to 64 bits before the x86-64 handler).
SIGNED_ARGS: dict[str, tuple[int, ...]] = {"lseek": (1,)}


def to_x86_64(name: str, args: tuple[int, ...]) -> tuple[int, ...]:
    """The i386 arguments (32-bit values) as the x86-64 handler takes them."""
    out = [a & 0xFFFF_FFFF for a in args]
    for i in SIGNED_ARGS.get(name, ()):
        if out[i] & 0x8000_0000:
            out[i] |= 0xFFFF_FFFF_0000_0000
    return tuple(out)
