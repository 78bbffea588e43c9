/* The first guess of the "fast inverse square root": 1/sqrt(v) approximated by integer
 * arithmetic on v's bits. The result depends on v (piecewise linearly), but no
 * floating-point operation connects them, so AD that follows floating-point operations
 * cannot see the dependence: revad_emu warns where the bits were used, and rec.check()
 * (finite differences of re-runs) shows the Jacobian is wrong. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

static double rsqrt_guess(double v)
{
    uint64_t i;
    memcpy(&i, &v, 8);
    i = 0x5fe6eb50c7b537a9ULL - (i >> 1);
    memcpy(&v, &i, 8);
    return v;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 3.0;
    REVAD_INPUT(x);
    double g = rsqrt_guess(x);
    double y = g + x; /* dy/dx is about 1 - x^-1.5 / 2 */
    double z = g * x; /* dz/dx is about x^-0.5 / 2 */
    REVAD_OUTPUT(y);
    REVAD_OUTPUT(z);
    printf("%.17g %.17g\n", y, z);
    return 0;
}
