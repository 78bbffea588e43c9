/* OpenMP atomic (a lock cmpxchg loop on the double's bits), critical, and an xchg of a
 * double's bits: s = sum cos(a i), c = sum cos(a i)^2, ex = s moved by xchg. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "revad.h"
int main(int argc, char **argv)
{
    double a = argc > 1 ? atof(argv[1]) : 0.5, s = 0, c = 0, e = 0;
    REVAD_INPUT(a);
#pragma omp parallel for
    for (int i = 0; i < 16; i++) {
        double t = cos(a * i);
#pragma omp atomic
        s += t;
#pragma omp critical
        c += t * t;
    }
    double prev = __atomic_exchange_n((long *)&e, *(long *)&s, __ATOMIC_SEQ_CST) ? 1 : 0;
    double ex = e;
    REVAD_OUTPUT(s);
    REVAD_OUTPUT(c);
    REVAD_OUTPUT(ex);
    printf("%.10g %.10g %.10g %g\n", s, c, ex, prev);
    return 0;
}
