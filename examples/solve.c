/* Reads a from argv, b and c from stdin; prints two results. No marks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    double a = strtod(argv[1], NULL), b, c;
    if (scanf("%lf %lf", &b, &c) != 2) return 1;
    printf("%f\n%g\n", a * b + exp(c), sqrt(a * a + b * b) / c);
    return 0;
}
