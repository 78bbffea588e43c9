/* OpenMP parallel for with reduction(+:s): s = sum_i w_i * exp(-x_i^2) for x_i = a + i*h,
 * with inputs a (offset) and the weights w_i. Also reports the team size. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"

#define N 64

int main(int argc, char **argv)
{
    double a = argc > 1 ? atof(argv[1]) : 0.3, w[N], h = 0.05, s = 0.0;
    for (int i = 0; i < N; i++)
        w[i] = 1.0 + 0.01 * i;
    REVAD_INPUT(a);
    REVAD_INPUT_ARRAY(w, N);
    int team = 0;
#pragma omp parallel
    {
#pragma omp single
        team = omp_get_num_threads();
    }
#pragma omp parallel for reduction(+ : s) schedule(static)
    for (int i = 0; i < N; i++) {
        double x = a + i * h;
        s += w[i] * exp(-x * x);
    }
    REVAD_OUTPUT(s);
    printf("threads %d s %.12g\n", team, s);
    return 0;
}
