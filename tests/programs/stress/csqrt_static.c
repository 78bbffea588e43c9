/* Minimal: csqrt and clog (no derivative rule) in a statically linked program, where they
 * land inside the run of libm code that is left untraced.  Inputs: in[2].  Outputs: re, im
 * of csqrt(z) + clog(i z*) + exp(re z). */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double in[2] = {0.6, -0.4};
    for (int i = 1; i < argc && i <= 2; i++) in[i - 1] = strtod(argv[i], 0);
    REVAD_INPUT_ARRAY(in, 2);
    double complex r = csqrt(CMPLX(in[0], in[1])) + clog(CMPLX(in[1], in[0])) + exp(in[0]);
    double out[2] = {creal(r), cimag(r)};
    REVAD_OUTPUT_ARRAY(out, 2);
    printf("%.17g\n%.17g\n", out[0], out[1]);
    return 0;
}
