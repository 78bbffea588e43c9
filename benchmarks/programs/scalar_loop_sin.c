/* Benchmark (c): benchmark (a) with a libm sin() call in the loop body.
 *
 *     y <- sin(0.5 y + x) / (1 + y y)     (mul, add, sin, mul, add, div)
 *
 * Usage: scalar_loop_sin X N; prints y with %.17g. */
#include <math.h>
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
        y = sin(0.5 * y + x) / (1.0 + y * y);
    REVAD_OUTPUT(y);
    printf("%.17g\n", y);
    return 0;
}
