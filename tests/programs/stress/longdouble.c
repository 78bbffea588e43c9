/* Long double arithmetic: a compensated (Kahan) sum, a continued fraction, Horner in long
 * double, sqrtl and fabsl, mixed with double conversions.
 * Inputs: x, y (long double from strtold), d (double).  Outputs (long double): s, cf,
 * poly, root; (double): mixed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static long double kahan(long double x, long double y, int n)
{
    long double s = 0, c = 0;
    for (int i = 1; i <= n; i++) {
        long double term = x / (i * (long double)i) + y / i;
        long double yk = term - c;
        long double t = s + yk;
        c = (t - s) - yk;
        s = t;
    }
    return s;
}

static long double cfrac(long double x, int depth)
{
    long double r = x;
    for (int k = depth; k >= 1; k--) r = x + k / r;
    return r;
}

int main(int argc, char **argv)
{
    long double x = 1.25L, y = 0.75L;
    double d = 2.5;
    if (argc > 1) x = strtold(argv[1], 0);
    if (argc > 2) y = strtold(argv[2], 0);
    if (argc > 3) d = strtod(argv[3], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(d);
    long double s = kahan(x, y, 30);
    long double cf = cfrac(x + y, 12);
    static const long double c[5] = {1.0L, -0.5L, 0.25L, 0.125L, -0.0625L};
    long double poly = 0;
    for (int i = 4; i >= 0; i--) poly = poly * (x - y * d) + c[i];
    long double root = sqrtl(fabsl(x * x - 3 * y) + d);
    double mixed = (double)(x * y) * d + (double)root / d;
    REVAD_OUTPUT(s);
    REVAD_OUTPUT(cf);
    REVAD_OUTPUT(poly);
    REVAD_OUTPUT(root);
    REVAD_OUTPUT(mixed);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", (double)s, (double)cf, (double)poly,
           (double)root, mixed);
    return 0;
}
