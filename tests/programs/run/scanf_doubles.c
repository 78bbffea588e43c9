/* Read doubles from stdin with scanf; print them back with statistics. */
#include <math.h>
#include <stdio.h>

int main(void)
{
    double x, sum = 0, sumsq = 0, mn = INFINITY, mx = -INFINITY;
    int n = 0;
    while (scanf("%lf", &x) == 1) {
        printf("read[%d] = %.17g\n", n, x);
        sum += x;
        sumsq += x * x;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
        n++;
    }
    if (n == 0) {
        puts("no input");
        return 1;
    }
    double mean = sum / n;
    printf("n=%d sum=%.17g mean=%.17g var=%.17g min=%g max=%g\n", n, sum, mean,
           sumsq / n - mean * mean, mn, mx);
    return 0;
}
