/* Signal handlers and derivatives: g (active) is scaled by handlers run through raise(),
 * kill() to itself, pthread_kill (tgkill), a blocked-then-unblocked signal, alarm() with
 * pause(), a periodic setitimer while computing, and a handler on an alternate stack.
 * Then an integer division by zero raises SIGFPE, whose handler siglongjmps out. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>
#include "revad.h"

static volatile double g;
static volatile int ticks, usr1, usr2, alarms, on_alt;
static sigjmp_buf env;
static char altstack[65536];

static void scale(int sig)
{
    if (sig == SIGUSR1) {
        g = g * 1.5; /* active value changed inside a handler */
        usr1++;
    } else if (sig == SIGUSR2) {
        g = sin(g);
        usr2++;
    } else if (sig == SIGALRM) {
        alarms++;
    }
}

static void on_prof(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    int here;
    on_alt = (char *)&here >= altstack && (char *)&here < altstack + sizeof altstack;
    if (si->si_signo == SIGHUP)
        g = g + 0.25 * g;
}

static void tick(int sig)
{
    (void)sig;
    ticks++;
}

static void fpe(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    siglongjmp(env, sig == SIGFPE && si->si_code == FPE_INTDIV ? 1 : 2);
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.8;
    int zero = argc > 2 ? atoi(argv[2]) : 0;
    REVAD_INPUT(x);
    g = x;
    struct sigaction sa = {0};
    sa.sa_handler = scale;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);
    sigaction(SIGALRM, &sa, 0);
    raise(SIGUSR1);               /* g = 1.5 x */
    kill(getpid(), SIGUSR2);      /* g = sin(1.5 x) */
    pthread_kill(pthread_self(), SIGUSR1); /* g = 1.5 sin(1.5 x) */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);               /* pending */
    int before = usr1;
    sigprocmask(SIG_SETMASK, &old, 0); /* delivered here: g = 2.25 sin(1.5 x) */
    int pending_ok = before == 2 && usr1 == 3;
    alarm(1);
    pause();                      /* woken by SIGALRM (emulated time jumps) */
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, 0);
    struct sigaction sp = {0};
    sp.sa_sigaction = on_prof;
    sp.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGHUP, &sp, 0);
    raise(SIGHUP);                /* g *= 1.25, on the alternate stack */
    struct sigaction st = {0};
    st.sa_handler = tick;
    st.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &st, 0);
    struct itimerval it = {{0, 100}, {0, 100}}; /* every 0.1 ms */
    setitimer(ITIMER_REAL, &it, 0);
    double acc = 0;
    for (int i = 0; ticks < 3; i++)
        acc += 1e-9 * i;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, 0);
    struct sigaction sf = {0};
    sf.sa_sigaction = fpe;
    sf.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sf, 0);
    int caught = sigsetjmp(env, 1);
    if (!caught)
        printf("quotient %d\n", 7 / zero);
    double out = g;
    REVAD_OUTPUT(out);
    printf("usr1 %d usr2 %d pending_ok %d alarms %d on_alt %d ticks>=3 %d fpe %d g %.17g\n", usr1,
           usr2, pending_ok, alarms, on_alt, ticks >= 3 && acc >= 0, caught, out);
    return 0;
}
