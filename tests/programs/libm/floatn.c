/* The ISO/IEC TS 18661-3 names of math functions: sinf64 is glibc's sin, expf32 its expf,
 * logf64x its logl...  A dynamic program calls them through PLT stubs named that way.
 * Inputs x (double), xf (float), xl (long double); outputs y[6] (as double). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.5;
    float xf = argc > 2 ? strtof(argv[2], 0) : 0.25f;
    long double xl = argc > 3 ? strtold(argv[3], 0) : 0.75L;
    REVAD_INPUT(x);
    REVAD_INPUT(xf);
    REVAD_INPUT(xl);
    double y[6];
    y[0] = sinf64(x);                 /* sin */
    y[1] = cosf32x(x);                /* cos */
    y[2] = atanf64(x);                /* atan */
    y[3] = (double)sinf32(xf);        /* sinf */
    y[4] = (double)expf32(xf);        /* expf */
    y[5] = (double)logf64x(xl);       /* logl */
    REVAD_OUTPUT_ARRAY(y, 6);
    for (int i = 0; i < 6; i++)
        printf("%.17g\n", y[i]);
    return 0;
}
