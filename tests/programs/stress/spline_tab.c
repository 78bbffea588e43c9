/* Piecewise-cubic Hermite spline through active knot values at passive integer-indexed
 * abscissae, evaluated at active points (the interval index comes from floor()), with a
 * monotonicity limiter built from fabs/fmin/fmax/copysign, and linear table lookup.
 * Inputs: y[8] (knot values), t[3] (evaluation points).  Outputs: s[3], lin, lim. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define K 8

static double slope(const double *y, int i)
{
    double dl = y[i] - y[i - 1], dr = y[i + 1] - y[i];
    if (dl * dr <= 0.0) return 0.0;
    double m = 0.5 * (dl + dr);
    double lim = 3.0 * fmin(fabs(dl), fabs(dr));
    return copysign(fmin(fabs(m), lim), m);
}

static double eval(const double *y, double t)
{
    double ft = floor(t);
    int i = (int)ft;
    if (i < 1) i = 1;
    if (i > K - 3) i = K - 3;
    double u = t - i;
    double m0 = slope(y, i), m1 = slope(y, i + 1);
    double h00 = (1 + 2 * u) * (1 - u) * (1 - u), h10 = u * (1 - u) * (1 - u);
    double h01 = u * u * (3 - 2 * u), h11 = u * u * (u - 1);
    return h00 * y[i] + h10 * m0 + h01 * y[i + 1] + h11 * m1;
}

static double table_lookup(const double *tab, double t)
{
    double c = fmax(0.0, fmin(t, K - 1.000001));
    int i = (int)c;
    double w = c - i;
    return (1.0 - w) * tab[i] + w * tab[i + 1];
}

int main(int argc, char **argv)
{
    double y[K] = {0.0, 0.4, 1.1, 1.5, 1.6, 2.4, 3.9, 4.0};
    double t[3] = {2.3, 3.7, 5.45};
    for (int i = 1; i < argc && i <= K + 3; i++) {
        if (i <= K) y[i - 1] = strtod(argv[i], 0);
        else t[i - 1 - K] = strtod(argv[i], 0);
    }
    REVAD_INPUT_ARRAY(y, K);
    REVAD_INPUT_ARRAY(t, 3);
    double s[3];
    for (int j = 0; j < 3; j++) s[j] = eval(y, t[j]);
    double lin = table_lookup(y, t[0] * 1.5);
    double lim = fmax(fmin(s[0], s[1]), fabs(s[2] - 3.0)) + copysign(t[1], s[0] - 10.0);
    REVAD_OUTPUT_ARRAY(s, 3);
    REVAD_OUTPUT(lin);
    REVAD_OUTPUT(lim);
    for (int j = 0; j < 3; j++) printf("%.17g\n", s[j]);
    printf("%.17g\n%.17g\n", lin, lim);
    return 0;
}
