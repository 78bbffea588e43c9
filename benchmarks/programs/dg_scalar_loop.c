/* Recording-cost benchmark: scalar_loop.c's recurrence of 5 floating-point operations per
 * iteration,
 *
 *     y <- (0.5 y + x) / (1 + y y)        (mul, add, mul, add, div)
 *
 * marked with Derivgrind's client requests (valgrind/derivgrind.h) instead of revad.h, so the
 * same binary runs under revad_emu and under Derivgrind and both tape 5 nodes per iteration.
 * Usage: dg_scalar_loop X N; prints y with %.17g. */
#include <stdio.h>
#include <stdlib.h>

#include <valgrind/derivgrind.h>

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.3;
    long n = argc > 2 ? strtol(argv[2], 0, 10) : 1000000;
    DG_INPUTF(x);
    double y = x;
    for (long i = 0; i < n; i++)
        y = (0.5 * y + x) / (1.0 + y * y);
    DG_OUTPUTF(y);
    printf("%.17g\n", y);
    return 0;
}
