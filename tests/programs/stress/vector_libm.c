/* Loops of math-library calls over arrays (with -O3 -ffast-math gcc calls glibc's libmvec
 * SIMD variants such as _ZGVbN2v_sin / _ZGVbN4v_expf), in double and float.
 * Inputs: x[8] (double), f[8] (float), k (double).  Outputs: the sums
 * S1 = sum sin(k x_i) * exp(-x_i^2), S2 = sum log(1 + x_i^2) + cos(x_i),
 * S3 = sum expf(f_i) * sinf(f_i) (float), S4 = sum pow(x_i^2 + 1, k). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N 8

int main(int argc, char **argv)
{
    double x[N], k = 1.3, t1[N], t2[N], t4[N];
    float f[N], t3[N];
    for (int i = 0; i < N; i++) {
        x[i] = -0.9 + 0.27 * i;
        f[i] = 0.1f * (float)i - 0.35f;
    }
    for (int i = 1; i < argc && i <= 2 * N + 1; i++) {
        if (i <= N) x[i - 1] = strtod(argv[i], 0);
        else if (i <= 2 * N) f[i - 1 - N] = strtof(argv[i], 0);
        else k = strtod(argv[i], 0);
    }
    REVAD_INPUT_ARRAY(x, N);
    REVAD_INPUT_ARRAY(f, N);
    REVAD_INPUT(k);
    for (int i = 0; i < N; i++) t1[i] = sin(k * x[i]) * exp(-x[i] * x[i]);
    for (int i = 0; i < N; i++) t2[i] = log(1.0 + x[i] * x[i]) + cos(x[i]);
    for (int i = 0; i < N; i++) t3[i] = expf(f[i]) * sinf(f[i]);
    for (int i = 0; i < N; i++) t4[i] = pow(x[i] * x[i] + 1.0, k);
    double S1 = 0, S2 = 0, S4 = 0;
    float S3 = 0;
    for (int i = 0; i < N; i++) {
        S1 += t1[i];
        S2 += t2[i];
        S3 += t3[i];
        S4 += t4[i];
    }
    double S3d = S3;
    REVAD_OUTPUT(S1);
    REVAD_OUTPUT(S2);
    REVAD_OUTPUT(S3d);
    REVAD_OUTPUT(S4);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n", S1, S2, S3d, S4);
    return 0;
}
