/* Instructions a user process may not run (native: SIGSEGV), a misaligned SSE access
 * (SIGSEGV) and the 32-bit system call gate int $0x80 (runs). argv[1] picks one. */
#include <stdio.h>
#include <string.h>

static char buf[64] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    const char *c = argv[1];
    fprintf(stderr, "start\n");
    if (!strcmp(c, "movapd")) {
        double *p = (double *)(buf + 8);
        __asm__ volatile("movapd (%0), %%xmm0" : : "r"(p) : "xmm0");
    } else if (!strcmp(c, "movaps_ok")) {
        __asm__ volatile("movaps (%0), %%xmm0" : : "r"(buf) : "xmm0");
        __asm__ volatile("addpd (%0), %%xmm0" : : "r"(buf + 16) : "xmm0");
    } else if (!strcmp(c, "addpd")) {
        __asm__ volatile("addpd (%0), %%xmm0" : : "r"(buf + 4) : "xmm0");
    } else if (!strcmp(c, "movdqa_store")) {
        __asm__ volatile("movdqa %%xmm1, (%0)" : : "r"(buf + 1) : "memory");
    } else if (!strcmp(c, "blockadd")) { /* aligned at block start, misaligned when used */
        __asm__ volatile("mov %0, %%rax\n\tadd $8, %%rax\n\tmovapd (%%rax), %%xmm0"
                         : : "r"(buf) : "rax", "xmm0");
    } else if (!strcmp(c, "blockcopy")) {
        __asm__ volatile("mov %0, %%rcx\n\tlea 8(%%rcx), %%rdx\n\tmov %%rdx, %%rax\n\t"
                         "sub $8, %%rax\n\tmovapd 16(%%rax), %%xmm0"
                         : : "r"(buf + 8) : "rax", "rcx", "rdx", "xmm0");
    } else if (!strcmp(c, "blockmask")) { /* masked to 16, then 8 off */
        __asm__ volatile("mov %0, %%rax\n\tand $-16, %%rax\n\tmovdqa 8(%%rax), %%xmm0"
                         : : "r"(buf + 5) : "rax", "xmm0");
    } else if (!strcmp(c, "blockmask_ok")) {
        __asm__ volatile("mov %0, %%rax\n\tand $-16, %%rax\n\tpxor 16(%%rax), %%xmm0"
                         : : "r"(buf + 5) : "rax", "xmm0");
    } else if (!strcmp(c, "blockindex")) { /* index register set to a constant */
        __asm__ volatile("mov $4, %%rcx\n\tmovaps (%0,%%rcx,1), %%xmm0"
                         : : "r"(buf) : "rcx", "xmm0");
    } else if (!strcmp(c, "cli")) {
        __asm__ volatile("cli");
    } else if (!strcmp(c, "sti")) {
        __asm__ volatile("sti");
    } else if (!strcmp(c, "in")) {
        __asm__ volatile("inb $0x60, %%al" : : : "rax");
    } else if (!strcmp(c, "out")) {
        __asm__ volatile("outb %%al, $0x80" : : "a"(0));
    } else if (!strcmp(c, "wrmsr")) {
        __asm__ volatile("wrmsr" : : "c"(0x10), "a"(0), "d"(0));
    } else if (!strcmp(c, "rdmsr")) {
        __asm__ volatile("rdmsr" : : "c"(0x10) : "rax", "rdx");
    } else if (!strcmp(c, "lgdt")) {
        __asm__ volatile("lgdt (%0)" : : "r"(buf));
    } else if (!strcmp(c, "sysenter")) {
        __asm__ volatile("sysenter");
    } else if (!strcmp(c, "hlt")) {
        __asm__ volatile("hlt");
    } else if (!strcmp(c, "int80")) {
        static const char msg[] = "int80 write\n";
        long r;
        /* static binary below 4 GiB: the pointer fits the 32-bit ABI */
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(msg), "d"(sizeof msg - 1)
                         : "memory");
        printf("write=%ld\n", r);
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
        printf("getpid>0=%d\n", r > 0);
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(9999) : "memory");
        printf("bad=%ld\n", r);
        fflush(stdout);
        __asm__ volatile("int $0x80" : : "a"(1), "b"(7) : "memory");
    } else {
        return 2;
    }
    printf("survived %s\n", c);
    return 0;
}
