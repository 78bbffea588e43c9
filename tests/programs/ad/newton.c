/* Newton iterations: sqrt(a), the cube root of b, and the real root s of s^3 + a s = b.
 * Inputs a b; three outputs.  Fixed iteration counts (no data-dependent exit). */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double newton_sqrt(double a)
{
    double r = a > 1.0 ? a : 1.0;
    for (int k = 0; k < 40; k++)
        r = 0.5 * (r + a / r);
    return r;
}

static double newton_cbrt(double b)
{
    double r = b > 1.0 ? b : 1.0;
    for (int k = 0; k < 60; k++)
        r = r - (r * r * r - b) / (3.0 * r * r);
    return r;
}

static double newton_cubic(double a, double b)
{
    double s = 1.0;
    for (int k = 0; k < 50; k++) {
        double f = s * s * s + a * s - b;
        double df = 3.0 * s * s + a;
        s -= f / df;
    }
    return s;
}

int main(int argc, char **argv)
{
    double a = argc > 1 ? strtod(argv[1], 0) : 2.0;
    double b = argc > 2 ? strtod(argv[2], 0) : 5.0;
    REVAD_INPUT(a);
    REVAD_INPUT(b);
    double r = newton_sqrt(a);
    double c = newton_cbrt(b);
    double s = newton_cubic(a, b);
    REVAD_OUTPUT(r);
    REVAD_OUTPUT(c);
    REVAD_OUTPUT(s);
    printf("%.17g\n%.17g\n%.17g\n", r, c, s);
    return 0;
}
