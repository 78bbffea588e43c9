/* Inputs read with scanf from stdin ("n" then n values, then a scale), least-squares line
 * fit y = m x + b through (i, v[i]) and a scaled residual norm.
 * Inputs: v[n], scale.  Outputs: m, b, res, the first fitted value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(void)
{
    int n;
    if (scanf("%d", &n) != 1 || n < 2 || n > 64) return 2;
    double *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++)
        if (scanf("%lf", &v[i]) != 1) return 3;
    double scale;
    if (scanf("%lf", &scale) != 1) return 4;
    REVAD_INPUT_NAMED("v", v, n);
    REVAD_INPUT(scale);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sx += i;
        sy += v[i];
        sxx += (double)i * i;
        sxy += i * v[i];
    }
    double m = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    double b = (sy - m * sx) / n;
    double res = 0;
    for (int i = 0; i < n; i++) {
        double e = v[i] - (m * i + b);
        res += e * e;
    }
    res = scale * sqrt(res / n);
    double f0 = b;
    REVAD_OUTPUT(m);
    REVAD_OUTPUT(b);
    REVAD_OUTPUT(res);
    REVAD_OUTPUT(f0);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n", m, b, res, f0);
    free(v);
    return 0;
}
