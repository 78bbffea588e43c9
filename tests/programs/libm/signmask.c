/* Sign-mask idioms on active values: |x|, -x, copysign and -|x| written as C (the compiler
 * emits andpd/xorpd/orpd with sign masks) and with SSE2 intrinsics (andpd/xorpd/orpd and
 * the integer forms pand/pxor/por), in double and float.  All must be differentiated
 * exactly and silently.
 * Inputs x y (double), xf yf (float); outputs d[10] (double) and f[4] (float). */
#include <emmintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static const double SIGN = -0.0;

static double and_not_sign(double x) /* |x| with pand */
{
    __m128i m = _mm_set1_epi64x(0x7fffffffffffffffLL);
    return _mm_cvtsd_f64(_mm_castsi128_pd(_mm_and_si128(_mm_castpd_si128(_mm_set_sd(x)), m)));
}

static double xor_sign(double x) /* -x with pxor */
{
    __m128i m = _mm_set1_epi64x((long long)0x8000000000000000ULL);
    return _mm_cvtsd_f64(_mm_castsi128_pd(_mm_xor_si128(_mm_castpd_si128(_mm_set_sd(x)), m)));
}

static double or_sign(double x) /* -|x| with orpd */
{
    return _mm_cvtsd_f64(_mm_or_pd(_mm_set_sd(x), _mm_set_sd(SIGN)));
}

static double andnot_sign(double x) /* |x| with andnpd */
{
    return _mm_cvtsd_f64(_mm_andnot_pd(_mm_set_sd(SIGN), _mm_set_sd(x)));
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.5;
    double y = argc > 2 ? strtod(argv[2], 0) : -0.5;
    float xf = argc > 3 ? strtof(argv[3], 0) : 0.75f;
    float yf = argc > 4 ? strtof(argv[4], 0) : -2.0f;
    double s = argc > 5 ? strtod(argv[5], 0) : -1.0; /* passive sign source */
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(xf);
    REVAD_INPUT(yf);
    double d[10];
    d[0] = fabs(x);
    d[1] = -x;
    d[2] = copysign(x, y);
    d[3] = copysign(y, s);
    d[4] = -fabs(y);
    d[5] = fabs(x) * y;
    d[6] = and_not_sign(x);
    d[7] = xor_sign(y);
    d[8] = or_sign(x);
    d[9] = andnot_sign(y);
    float f[4];
    f[0] = fabsf(xf);
    f[1] = -yf;
    f[2] = copysignf(xf, yf);
    f[3] = -fabsf(yf) * xf;
    REVAD_OUTPUT_ARRAY(d, 10);
    REVAD_OUTPUT_ARRAY(f, 4);
    for (int i = 0; i < 10; i++)
        printf("%.17g\n", d[i]);
    for (int i = 0; i < 4; i++)
        printf("%.9g\n", (double)f[i]);
    return 0;
}
