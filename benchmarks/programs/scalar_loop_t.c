/* Benchmark (x87): benchmark (a)'s recurrence in a chosen floating-point type T
 * (-DT=double, built for SSE or with -mfpmath=387, or -DT="long double"):
 *
 *     y <- (0.5 y + x) / (1 + y y)        (mul, add, mul, add, div)
 *
 * With -DWITH_SIN the body also adds 0.1 sin(y) (sinl for long double): one intercepted
 * math-library call per iteration.
 * Usage: scalar_loop_t X N; prints y with %.17Lg. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#ifndef T
#define T double
#endif

int main(int argc, char **argv)
{
    T x = argc > 1 ? (T)strtold(argv[1], 0) : (T)0.3;
    long n = argc > 2 ? strtol(argv[2], 0, 10) : 1000000;
    REVAD_INPUT(x);
    T y = x;
    for (long i = 0; i < n; i++) {
        y = ((T)0.5 * y + x) / ((T)1.0 + y * y);
#ifdef WITH_SIN
        y += (T)0.1 * _Generic(y, long double: sinl, default: sin)(y);
#endif
    }
    REVAD_OUTPUT(y);
    printf("%.17Lg\n", (long double)y);
    return 0;
}
