/* radix-2 FFT with C99 complex; outputs |X_k|^2 and carg */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"
#define N 8
static void fft(double complex *a, int n) {
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) { double complex t = a[i]; a[i] = a[j]; a[j] = t; }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double complex wl = cexp(-2.0 * I * M_PI / len);
        for (int i = 0; i < n; i += len) {
            double complex w = 1;
            for (int j = 0; j < len / 2; j++) {
                double complex u = a[i + j], v = a[i + j + len / 2] * w;
                a[i + j] = u + v; a[i + j + len / 2] = u - v; w *= wl;
            }
        }
    }
}
int main(int argc, char **argv) {
    double x[3] = {0.4, 1.2, -0.7};
    for (int i = 0; i < 3 && i + 1 < argc; i++) x[i] = strtod(argv[i + 1], 0);
    REVAD_INPUT_ARRAY(x, 3);
    double complex a[N];
    for (int k = 0; k < N; k++) a[k] = x[0] * cos(k * x[1]) + I * x[2] * k;
    fft(a, N);
    double out[6];
    out[0] = creal(a[1] * conj(a[1])); out[1] = cabs(a[2]); out[2] = carg(a[3]);
    out[3] = creal(csqrt(a[5])); out[4] = cimag(clog(a[6])); out[5] = creal(a[0]);
    REVAD_OUTPUT_ARRAY(out, 6);
    for (int i = 0; i < 6; i++) printf("%.17g\n", out[i]);
    return 0;
}
