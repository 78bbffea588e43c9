/* Reductions meant for -O2 -ffast-math (packed adds, horizontal sums): mean, variance,
 * 2-norm, weighted sum with a passive weight table, product, min and max.
 * Inputs: v[12].  Outputs: mean, var, norm, wsum, prod, vmin, vmax. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N 12

static const double W[N] = {1, 0.5, 0.25, 2, 1.5, 3, 0.125, 1, 2.5, 0.75, 1.25, 4};

int main(int argc, char **argv)
{
    double v[N];
    for (int i = 0; i < N; i++) v[i] = 1.0 + 0.3 * i - 0.05 * i * i;
    for (int i = 1; i < argc && i <= N; i++) v[i - 1] = strtod(argv[i], 0);
    REVAD_INPUT_ARRAY(v, N);
    double s = 0.0, sq = 0.0, ws = 0.0, prod = 1.0, vmin = v[0], vmax = v[0];
    for (int i = 0; i < N; i++) {
        s += v[i];
        sq += v[i] * v[i];
        ws += W[i] * v[i];
        prod *= v[i];
    }
    for (int i = 1; i < N; i++) {
        vmin = v[i] < vmin ? v[i] : vmin;
        vmax = v[i] > vmax ? v[i] : vmax;
    }
    double mean = s / N;
    double var = 0.0;
    for (int i = 0; i < N; i++) var += (v[i] - mean) * (v[i] - mean);
    var /= (N - 1);
    double norm = sqrt(sq);
    REVAD_OUTPUT(mean);
    REVAD_OUTPUT(var);
    REVAD_OUTPUT(norm);
    REVAD_OUTPUT(ws);
    REVAD_OUTPUT(prod);
    REVAD_OUTPUT(vmin);
    REVAD_OUTPUT(vmax);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", mean, var, norm, ws, prod, vmin,
           vmax);
    return 0;
}
