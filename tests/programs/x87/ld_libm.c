/* glibc's long double math routines are largely x87 code (fscale, f2xm1, frndint, fyl2x,
 * fpatan, fprem...): differentiating their machine code (math interception switched off by
 * the test) exercises the x87 rules together.  sinl/cosl arguments stay below pi/4 (no
 * argument reduction, which uses integer bit tricks); powl goes through frexpl's bit tricks
 * and must warn.  Inputs x y (strtold); outputs printed rounded to double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 0.8L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 1.9L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double out[7];
    out[0] = expl(x * y);
    out[1] = logl(x + y);
    out[2] = atan2l(y, x);
    out[3] = fmodl(y * 10, x);
    out[4] = sinl(x / 2) * cosl(y / 4);
    out[5] = powl(x, y);
    out[6] = sqrtl(x * y);
    REVAD_OUTPUT_ARRAY(out, 7);
    for (int i = 0; i < 7; i++)
        printf("%.17g\n", (double)out[i]);
    return 0;
}
