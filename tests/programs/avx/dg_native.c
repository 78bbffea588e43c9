/* The operations of Derivgrind's -march=native regression tests (fma_add, fma_sub, max, min)
 * built with -O3 -march=native -mno-avx512f as there: y = a*b+c, a*b-c, max, min at
 * a=3, b=4, c=2, in the precision T (double or float).  Prints the four results. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#ifndef T
#define T double
#endif

__attribute__((noinline)) static T fma_add(T a, T b, T c) { return a * b + c; }
__attribute__((noinline)) static T fma_sub(T a, T b, T c) { return a * b - c; }
__attribute__((noinline)) static T max_(T a, T b) { return (a > b) ? a : b; }
__attribute__((noinline)) static T min_(T a, T b) { return (a < b) ? a : b; }

int main(int argc, char **argv)
{
    T a = argc > 1 ? atof(argv[1]) : 3, b = argc > 2 ? atof(argv[2]) : 4;
    T c = argc > 3 ? atof(argv[3]) : 2;
    REVAD_INPUT(a);
    REVAD_INPUT(b);
    REVAD_INPUT(c);
    T y[4] = {fma_add(a, b, c), fma_sub(a, b, c), max_(a, b), min_(a, b)};
    for (int i = 0; i < 4; i++) {
        REVAD_OUTPUT(y[i]);
        printf("%.9g\n", (double)y[i]);
    }
    return 0;
}
