/* A long recording for the spill tests: three inputs, two outputs, N iterations of coupled
 * recurrences (about 9 tape nodes per iteration). `c` is computed once at the start and read
 * in every iteration, so its node and value are re-read from the oldest part of a spilled
 * tape throughout the run; `s` accumulates over the whole run, so the reverse sweep carries
 * adjoints across every stretch of the tape.
 * Usage: long_loop X0 X1 X2 N; prints the two outputs with %.17g. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x0 = argc > 1 ? strtod(argv[1], 0) : 0.3;
    double x1 = argc > 2 ? strtod(argv[2], 0) : 0.7;
    double x2 = argc > 3 ? strtod(argv[3], 0) : 1.1;
    long n = argc > 4 ? strtol(argv[4], 0, 10) : 40000;
    REVAD_INPUT(x0);
    REVAD_INPUT(x1);
    REVAD_INPUT(x2);
    double c = sin(x2) * 0.25;
    double y = x0, z = x1, s = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (0.5 * y + c) / (1.0 + z * z);
        z = 0.9 * z + 0.1 * y * c;
        y = t;
        s += y * 1e-3;
    }
    REVAD_OUTPUT(y);
    REVAD_OUTPUT(s);
    printf("%.17g\n%.17g\n", y, s);
    return 0;
}
