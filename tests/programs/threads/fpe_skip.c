/* A SIGFPE handler that edits its ucontext: skips the faulting "div ecx" (RIP += 2) and sets
 * RAX, as rt_sigreturn must honour. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
static volatile int hits;
static void h(int sig, siginfo_t *si, void *c)
{
    ucontext_t *uc = c;
    hits++;
    uc->uc_mcontext.gregs[REG_RIP] += 2;  /* skip "div ecx" (f7 f1) */
    uc->uc_mcontext.gregs[REG_RAX] = 42;
    (void)sig; (void)si;
}
int main(int argc, char **argv)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);
    unsigned q, d = argc > 5 ? 1 : 0;
    __asm__ volatile("xor %%edx,%%edx\n mov $7,%%eax\n div %%ecx" : "=a"(q) : "c"(d) : "rdx");
    printf("q %u hits %d\n", q, hits);
    return 0;
}
