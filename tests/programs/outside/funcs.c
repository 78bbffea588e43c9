/* No marks: globals, a function called many times, a pointer argument, long double. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>

double gain = 1.5;
double coef[3] = {0.5, -1.0, 2.0};
float scale_f = 0.25f;
double result[2];

__attribute__((noinline)) double step(double x, int k, double h)
{
    return x + h * (coef[k % 3] * x * x + gain);
}

__attribute__((noinline)) void smooth(double *v, int n, long double w)
{
    for (int i = 0; i < n; i++)
        v[i] = (double)((long double)v[i] * w) + sin(v[i]);
}

__attribute__((noinline)) long double lstep(long double a, double b)
{
    return a * a * b;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? atof(argv[1]) : 0.1;
    for (int k = 0; k < 5; k++)
        x = step(x, k, 0.01);
    double v[2] = {x, x * scale_f};
    smooth(v, 2, 0.5L);
    result[0] = v[0] + v[1];
    result[1] = (double)lstep(v[0], gain);
    printf("%.17g\n%.17g\n%.17g\n", x, result[0], result[1]);
    return 0;
}
