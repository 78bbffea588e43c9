/* A double loop: with AVX2/FMA it must run as natively; with AVX-512 stop clearly. */
#include <stdio.h>

__attribute__((noinline)) void fma_loop(double *y, const double *x, double a, int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

int main(void)
{
    static double x[256], y[256];
    for (int i = 0; i < 256; i++) {
        x[i] = i;
        y[i] = 1;
    }
    fma_loop(y, x, 0.5, 256);
    printf("%g\n", y[255]);
    return 0;
}
