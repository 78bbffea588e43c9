/* Loops that gcc auto-vectorises with SSE2 at -O3 (forced for these functions). */
#include <stdio.h>

#define N 1003

__attribute__((optimize("O3"), noinline)) static void saxpy(double *restrict y,
                                                            const double *restrict x, double a,
                                                            int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((optimize("O3"), noinline)) static void scale_f(float *restrict out,
                                                              const float *restrict in, int n)
{
    for (int i = 0; i < n; i++) out[i] = in[i] * 1.5f - 0.25f;
}

__attribute__((optimize("O3"), noinline)) static int isum(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i] * 3 ^ (a[i] >> 2);
    return s;
}

__attribute__((optimize("O3"), noinline)) static double maxabs(const double *a, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) {
        double v = a[i] < 0 ? -a[i] : a[i];
        m = v > m ? v : m;
    }
    return m;
}

int main(void)
{
    static double x[N], y[N];
    static float f[N], g[N];
    static int k[N];
    for (int i = 0; i < N; i++) {
        x[i] = i * 0.001 - 0.3;
        y[i] = 1.0 / (i + 1);
        f[i] = (float)i / 7.0f;
        k[i] = i * 2654435761u >> 7;
    }
    for (int r = 0; r < 5; r++) saxpy(y, x, 0.5 + r, N);
    scale_f(g, f, N);
    double sy = 0;
    float sg = 0;
    for (int i = 0; i < N; i++) {
        sy += y[i];
        sg += g[i];
    }
    printf("y[0]=%.17g y[500]=%.17g y[N-1]=%.17g sum=%.17g\n", y[0], y[500], y[N - 1], sy);
    printf("g[3]=%.9g g[N-1]=%.9g sum=%.9g\n", g[3], g[N - 1], sg);
    printf("isum=%d maxabs=%.17g\n", isum(k, N), maxabs(y, N));
    return 0;
}
