/* A signal sent to a thread blocked in read() on an empty pipe: its handler runs on that
 * thread (gettid), triples the active g, and the read restarts (SA_RESTART) and later gets
 * main's byte. A second handler without SA_RESTART makes a blocked read fail with EINTR.
 * main cannot know when the worker is blocked in its second read, so it repeats SIGUSR2
 * until the worker is done; only the first delivery triples g (natively a single signal
 * could land before the read and leave it blocked for ever). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "revad.h"

static volatile double g;
static volatile long handler_tid;
static int p[2], q[2];
static volatile int ready, eintr, done, tripled2;

static void triple(int sig)
{
    if (sig == SIGUSR2 && tripled2++)
        return;                         /* repeats of SIGUSR2 only interrupt the read */
    g = 3.0 * g;
    handler_tid = syscall(SYS_gettid);
}

static void *worker(void *arg)
{
    (void)arg;
    char c = 0;
    *(volatile long *)arg = syscall(SYS_gettid);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ssize_t n = read(p[0], &c, 1);      /* interrupted by SIGUSR1, restarted */
    ssize_t m = read(q[0], &c, 1);      /* interrupted by SIGUSR2: EINTR */
    eintr = m < 0 && errno == EINTR;
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return (void *)n;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.6;
    REVAD_INPUT(x);
    g = x * x;
    struct sigaction sa = {0};
    sa.sa_handler = triple;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, 0);
    pipe(p);
    pipe(q);
    pthread_t th;
    volatile long wtid = 0;
    pthread_create(&th, 0, worker, (void *)&wtid);
    while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
        sched_yield();
    for (int i = 0; i < 1000; i++)
        sched_yield();                  /* let it block in read() */
    pthread_kill(th, SIGUSR1);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    write(p[1], "x", 1);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        pthread_kill(th, SIGUSR2);      /* the first: g = 9 x^2 */
        for (int i = 0; i < 1000 && !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++)
            sched_yield();
    }
    void *r;
    pthread_join(th, &r);
    double out = g;
    REVAD_OUTPUT(out);
    printf("read %ld on_worker %d eintr %d g %.17g\n", (long)r, handler_tid == wtid, eintr, out);
    return 0;
}
