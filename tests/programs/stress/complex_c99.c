/* C99 complex arithmetic: products, quotients, cabs, cexp, csqrt, clog, cpow-free Horner,
 * creal/cimag/conj.  Inputs: z = (zr, zi), w = (wr, wi).  Outputs: re/im of
 * z*w/(z+w), of cexp(z)*conj(w), of csqrt(z*z + w), of clog(w) + z, cabs(z - w),
 * and Horner p(z) = z^3 + w z + 1 (re, im). */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double in[4] = {0.6, -0.4, 1.3, 0.9};
    for (int i = 1; i < argc && i <= 4; i++) in[i - 1] = strtod(argv[i], 0);
    REVAD_INPUT_NAMED("zw", in, 4);
    double complex z = CMPLX(in[0], in[1]), w = CMPLX(in[2], in[3]);
    double complex q = z * w / (z + w);
    double complex e = cexp(z) * conj(w);
    double complex r = csqrt(z * z + w);
    double complex l = clog(w) + z;
    double ab = cabs(z - w);
    double complex h = ((z + 0.0) * z + w) * z + 1.0;
    double out[11] = {creal(q), cimag(q), creal(e), cimag(e), creal(r), cimag(r),
                      creal(l), cimag(l), ab, creal(h), cimag(h)};
    REVAD_OUTPUT_ARRAY(out, 11);
    for (int i = 0; i < 11; i++) printf("%.17g\n", out[i]);
    return 0;
}
