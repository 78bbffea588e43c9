/* Threads handing values over through memory without any system call: the worker busy-waits
 * on a flag (only preemption lets main run), squares the value main left, and hands it back
 * the same way. out = sum over rounds of (x * k)^2 = x^2 * sum k^2. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"

static volatile int turn = 0; /* 0: main's turn, 1: worker's */
static volatile double slot;
static const int ROUNDS = 5;

static void *worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 1)
            ;
        double v = slot;
        slot = v * v;
        __atomic_store_n(&turn, 0, __ATOMIC_RELEASE);
    }
    return 0;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.75, out = 0.0;
    REVAD_INPUT(x);
    pthread_t th;
    pthread_create(&th, 0, worker, 0);
    for (int r = 0; r < ROUNDS; r++) {
        slot = x * (r + 1);
        __atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 0)
            ;
        out += slot;
    }
    pthread_join(th, 0);
    REVAD_OUTPUT(out);
    printf("out %.17g\n", out);
    return 0;
}
