/* An event loop: main waits in epoll_wait on a pipe and an eventfd that a worker thread fills
 * (doubles through the pipe, a count through the eventfd); it stops once the eventfd says 4
 * values were sent and sums what arrived. out = sum_k (k x)^2 ... here sum_k k x. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "revad.h"

static int p[2], ev;
static double x;

static void *producer(void *arg)
{
    (void)arg;
    for (int k = 1; k <= 4; k++) {
        double v = k * x;
        write(p[1], &v, sizeof v);
    }
    uint64_t n = 4;
    write(ev, &n, sizeof n);
    return 0;
}

int main(int argc, char **argv)
{
    x = argc > 1 ? atof(argv[1]) : 0.25;
    REVAD_INPUT(x);
    pipe(p);
    ev = eventfd(0, EFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e1 = {.events = EPOLLIN, .data.u32 = 1}, e2 = {.events = EPOLLIN, .data.u32 = 2};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e1);
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e2);
    pthread_t th;
    pthread_create(&th, 0, producer, 0);
    double sum = 0;
    int got = 0, done = 0;
    while (!done || got < 4) {
        struct epoll_event out[2];
        int n = epoll_wait(ep, out, 2, -1);
        for (int i = 0; i < n; i++) {
            if (out[i].data.u32 == 1) {
                double v;
                if (read(p[0], &v, sizeof v) == sizeof v) {
                    sum += v;
                    got++;
                }
            } else {
                uint64_t c;
                if (read(ev, &c, sizeof c) == sizeof c)
                    done = c == 4;
            }
        }
    }
    pthread_join(th, 0);
    REVAD_OUTPUT(sum);
    printf("got %d sum %.17g\n", got, sum);
    return 0;
}
