/* A 10-microsecond interval timer (10,000 emulated instructions) ticks while the program
 * calls sin() and exp() in a loop: handlers that fall inside an intercepted math call wait
 * until it returns. The handler scales the active accumulator now and then.
 * y = sum_k sin(x k / N) * exp(-x k / N), scaled by 1.0 on every tick (a no-op on values). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include "revad.h"

#define N 4000
static volatile double acc;
static volatile int ticks;

static void tick(int sig)
{
    (void)sig;
    ticks++;
    acc = acc * 1.0;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 1.3;
    REVAD_INPUT(x);
    signal(SIGALRM, tick);
    struct itimerval it = {{0, 10}, {0, 10}};
    setitimer(ITIMER_REAL, &it, 0);
    for (int k = 0; k < N; k++)
        acc = acc + sin(x * k / N) * exp(-x * k / N);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, 0);
    double y = acc;
    REVAD_OUTPUT(y);
    printf("y %.17g ticked %d\n", y, ticks > 0);
    return 0;
}
