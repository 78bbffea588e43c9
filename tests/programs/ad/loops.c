/* Loops: Horner's rule, the derivative polynomial, a truncated power series and a product.
 * Inputs c[0..3] (coefficients) and x; four outputs. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define NC 4

int main(int argc, char **argv)
{
    double c[NC] = {0.5, -1.2, 0.8, 0.3};
    double x = 0.9;
    for (int i = 0; i < NC; i++)
        if (i + 1 < argc)
            c[i] = strtod(argv[i + 1], 0);
    if (NC + 1 < argc)
        x = strtod(argv[NC + 1], 0);
    REVAD_INPUT_ARRAY(c, NC);
    REVAD_INPUT(x);

    double p = c[NC - 1];
    for (int k = NC - 2; k >= 0; k--)
        p = p * x + c[k];

    double dp = 0.0, xpow = 1.0;
    for (int k = 1; k < NC; k++) {
        dp += k * c[k] * xpow;
        xpow *= x;
    }

    double series = 0.0, term = 1.0;
    for (int k = 1; k <= 20; k++) {
        term *= x;
        series += term / k;
    }

    double prod = 1.0;
    for (int i = 0; i < NC; i++)
        prod *= 1.0 + c[i] * x;

    double out[4] = {p, dp, series, prod};
    REVAD_OUTPUT_ARRAY(out, 4);
    for (int i = 0; i < 4; i++)
        printf("%.17g\n", out[i]);
    return 0;
}
