/* A 2x2 Newton solver for a system with exp/log/pow/sqrt/atan2, then derived quantities.
 * F1 = exp(a*u) + log(1 + v*v) - p,  F2 = pow(u, 1.5) + atan2(v, u) - q  (u > 0).
 * Inputs: a, p, q.  Outputs: u, v, r = sqrt(u^2 + v^2), g = hypot(u, v) * cbrt(p),
 * h = tanh(u - v) + log10(p). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double a = 0.4, p = 3.0, q = 2.0;
    if (argc > 1) a = strtod(argv[1], 0);
    if (argc > 2) p = strtod(argv[2], 0);
    if (argc > 3) q = strtod(argv[3], 0);
    REVAD_INPUT(a);
    REVAD_INPUT(p);
    REVAD_INPUT(q);
    double u = 1.8, v = -1.3;
    for (int it = 0; it < 40; it++) {
        double e = exp(a * u), l = log(1.0 + v * v);
        double f1 = e + l - p;
        double f2 = pow(u, 1.5) + atan2(v, u) - q;
        double j11 = a * e, j12 = 2.0 * v / (1.0 + v * v);
        double j21 = 1.5 * sqrt(u) - v / (u * u + v * v), j22 = u / (u * u + v * v);
        double det = j11 * j22 - j12 * j21;
        double du = (f1 * j22 - f2 * j12) / det, dv = (j11 * f2 - j21 * f1) / det;
        u -= du;
        v -= dv;
        if (fabs(du) + fabs(dv) < 1e-300) break;
    }
    double r = sqrt(u * u + v * v);
    double g = hypot(u, v) * cbrt(p);
    double h = tanh(u - v) + log10(p);
    REVAD_OUTPUT(u);
    REVAD_OUTPUT(v);
    REVAD_OUTPUT(r);
    REVAD_OUTPUT(g);
    REVAD_OUTPUT(h);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", u, v, r, g, h);
    return 0;
}
