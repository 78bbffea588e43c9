/* A signal-handling thread: SIGUSR1 is blocked everywhere and taken by sigwait() in a
 * dedicated thread, which doubles the active g each time; sigtimedwait() with nothing pending
 * times out with EAGAIN. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "revad.h"

static volatile double g;
static volatile int taken; /* signals the waiter has taken (standard signals do not queue) */
static sigset_t set;

static void *waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        int sig;
        if (sigwait(&set, &sig) || sig != SIGUSR1)
            abort();
        g = 2.0 * g;
        __atomic_add_fetch(&taken, 1, __ATOMIC_SEQ_CST);
    }
    struct timespec ts = {0, 1000000};
    siginfo_t si;
    int r = sigtimedwait(&set, &si, &ts);
    return (void *)(long)(r < 0 && errno == EAGAIN);
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.7;
    REVAD_INPUT(x);
    g = x * x * x;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, 0);
    pthread_t th;
    pthread_create(&th, 0, waiter, 0);
    for (int i = 0; i < 3; i++) {
        pthread_kill(th, SIGUSR1);
        while (__atomic_load_n(&taken, __ATOMIC_SEQ_CST) <= i)
            sched_yield(); /* let it take this one before the next is sent */
    }
    void *r;
    pthread_join(th, &r);
    double out = g;
    REVAD_OUTPUT(out);
    printf("timed_out %ld g %.17g\n", (long)r, out);
    return 0;
}
