/* Two threads and a pipe carrying doubles: main writes x*k (k = 1..8) into the pipe (through a
 * dup2'ed descriptor), a consumer thread waits with poll(), reads them back and sums their
 * squares, then reports the count through an eventfd that main blocks on. A self-pipe woken
 * through select() ends the exchange. */
#define _GNU_SOURCE /* pipe2 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>
#include "revad.h"

static int fds[2], efd, selfpipe[2];
static double sumsq;

static void *consumer(void *arg)
{
    (void)arg;
    double v;
    uint64_t n = 0;
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, -1) != 1)
            abort();
        ssize_t got = read(fds[0], &v, sizeof v); /* may block: 0 at end of file */
        if (got == 0)
            break;
        if (got != sizeof v)
            abort();
        sumsq += v * v;
        n++;
    }
    write(efd, &n, sizeof n);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(selfpipe[0], &rd);
    if (select(selfpipe[0] + 1, &rd, 0, 0, 0) != 1 || !FD_ISSET(selfpipe[0], &rd))
        abort();
    char c;
    read(selfpipe[0], &c, 1);
    return 0;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.5;
    REVAD_INPUT(x);
    if (pipe(fds) || pipe2(selfpipe, 0) || (efd = eventfd(0, 0)) < 0)
        return 1;
    pthread_t th;
    pthread_create(&th, 0, consumer, 0);
    dup2(fds[1], 10);
    close(fds[1]);
    for (int k = 1; k <= 8; k++) {
        double v = x * k;
        write(10, &v, sizeof v);
    }
    close(10);
    uint64_t n;
    read(efd, &n, sizeof n); /* blocks until the consumer has counted */
    write(selfpipe[1], "x", 1);
    pthread_join(th, 0);
    double direct = 204.0 * x * x; /* the same value computed without the pipe */
    REVAD_OUTPUT(sumsq);
    REVAD_OUTPUT(direct);
    printf("n %lu sumsq %.17g direct %.17g\n", (unsigned long)n, sumsq, direct);
    return 0;
}
