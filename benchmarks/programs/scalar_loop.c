/* Benchmark (a): a scalar recurrence of 5 floating-point operations per iteration.
 *
 *     y <- (0.5 y + x) / (1 + y y)        (mul, add, mul, add, div)
 *
 * a contraction, so y converges to a fixed point y*(x) and dy/dx is well conditioned.
 * Usage: scalar_loop X N; prints y with %.17g. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.3;
    long n = argc > 2 ? strtol(argv[2], 0, 10) : 1000000;
    REVAD_INPUT(x);
    double y = x;
    for (long i = 0; i < n; i++)
        y = (0.5 * y + x) / (1.0 + y * y);
    REVAD_OUTPUT(y);
    printf("%.17g\n", y);
    return 0;
}
