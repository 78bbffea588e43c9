/* SIGSEGV from a bad pointer and SIGILL from ud2 (__builtin_trap) go to handlers that
 * siglongjmp back; si_addr names the bad address / the trapping instruction. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static sigjmp_buf env;
static void *where;

static void h(int sig, siginfo_t *si, void *c)
{
    (void)c;
    where = si->si_addr;
    siglongjmp(env, sig);
}

int main(int argc, char **argv)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    long bad = argc > 1 ? atol(argv[1]) : 0x40;
    int got = sigsetjmp(env, 1);
    if (!got)
        printf("%d\n", *(volatile int *)bad);
    printf("segv %d addr %#lx\n", got == SIGSEGV, (long)where);
    got = sigsetjmp(env, 1);
    if (!got)
        __builtin_trap();
    printf("ill %d\n", got == SIGILL);
    return 0;
}
