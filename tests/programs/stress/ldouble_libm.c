/* Long double math-library calls: expl, logl, powl, atan2l, sinl, cosl, sqrtl, hypotl.
 * Inputs: x, y (long double).  Outputs (long double): e, l, p, t, s, h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = 0.7L, y = 1.9L;
    if (argc > 1) x = strtold(argv[1], 0);
    if (argc > 2) y = strtold(argv[2], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double e = expl(x * y) - 1.0L;
    long double l = logl(x + y * y);
    long double p = powl(y, x) * sqrtl(y);
    long double t = atan2l(x, y) + tanhl(x);
    long double s = sinl(x) * cosl(y);
    long double h = hypotl(x, y);
    REVAD_OUTPUT(e);
    REVAD_OUTPUT(l);
    REVAD_OUTPUT(p);
    REVAD_OUTPUT(t);
    REVAD_OUTPUT(s);
    REVAD_OUTPUT(h);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", (double)e, (double)l, (double)p,
           (double)t, (double)s, (double)h);
    return 0;
}
