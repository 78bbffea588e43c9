/* Single-precision vectorisable loops: saxpy, elementwise products, a float dot product,
 * a double accumulation of float values (cvtps2pd), a max-abs and a scaled normalisation.
 * Inputs: a, x[16], y[16] (floats).  Outputs: dot (float), dsum (double), amax (float),
 * z[0..3] (floats), nrm (float). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N 16

__attribute__((noinline)) static void saxpy(float a, const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static float sdot(const float *x, const float *y, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

__attribute__((noinline)) static double dsum_of(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)x[i] * (double)(i + 1);
    return s;
}

__attribute__((noinline)) static float amax_of(const float *x, int n)
{
    float m = 0.0f;
    for (int i = 0; i < n; i++) {
        float v = fabsf(x[i]);
        m = v > m ? v : m;
    }
    return m;
}

int main(int argc, char **argv)
{
    float a = 0.75f, x[N], y[N], z[N];
    for (int i = 0; i < N; i++) {
        x[i] = 0.5f + 0.125f * (float)i;
        y[i] = 1.0f - 0.0625f * (float)(i * i % 7);
    }
    if (argc > 1) a = strtof(argv[1], 0);
    for (int i = 0; i < N; i++) {
        if (argc > 2 + i) x[i] = strtof(argv[2 + i], 0);
        if (argc > 2 + N + i) y[i] = strtof(argv[2 + N + i], 0);
    }
    REVAD_INPUT(a);
    REVAD_INPUT_ARRAY(x, N);
    REVAD_INPUT_ARRAY(y, N);
    for (int i = 0; i < N; i++) z[i] = x[i] * y[i] - 0.5f * x[i];
    saxpy(a, x, y, N);
    float dot = sdot(x, y, N);
    double dsum = dsum_of(y, N);
    float amax = amax_of(z, N);
    float nrm = 0.0f;
    for (int i = 0; i < N; i++) nrm += z[i] * z[i];
    nrm = sqrtf(nrm);
    for (int i = 0; i < N; i++) z[i] /= nrm;
    REVAD_OUTPUT(dot);
    REVAD_OUTPUT(dsum);
    REVAD_OUTPUT(amax);
    REVAD_OUTPUT_ARRAY(z, 4);
    REVAD_OUTPUT(nrm);
    printf("%.17g\n%.17g\n%.17g\n", (double)dot, dsum, (double)amax);
    for (int i = 0; i < 4; i++) printf("%.17g\n", (double)z[i]);
    printf("%.17g\n", (double)nrm);
    return 0;
}
