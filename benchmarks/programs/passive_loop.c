/* Benchmark (d): passive code after a mark. The input x is marked first; then the hot loop
 * relaxes an array that never depends on x (loads, stores, adds, multiplies, integer index
 * arithmetic: all passive), and only at the end is x combined with one of its values.
 * A recorder must run that loop close to the speed of a plain (--no-ad) run.
 * Usage: passive_loop X N STEPS; prints y with %.17g. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.3;
    long n = argc > 2 ? strtol(argv[2], 0, 10) : 1000;
    long steps = argc > 3 ? strtol(argv[3], 0, 10) : 1000;
    REVAD_INPUT(x);
    double *a = malloc(sizeof(double) * (size_t)n);
    double *b = malloc(sizeof(double) * (size_t)n);
    if (!a || !b || n < 3)
        return 1;
    for (long i = 0; i < n; i++)
        a[i] = b[i] = (double)(i % 17) / 17.0;
    for (long s = 0; s < steps; s++) {
        for (long i = 1; i < n - 1; i++)
            b[i] = 0.25 * (a[i - 1] + a[i + 1]) + 0.5 * a[i] * (1.0 - 0.01 * a[i]);
        double *t = a;
        a = b;
        b = t;
    }
    double y = x * a[n / 2];
    REVAD_OUTPUT(y);
    printf("%.17g\n", y);
    free(a);
    free(b);
    return 0;
}
