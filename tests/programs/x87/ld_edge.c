/* x87 edge cases.  out[0]: fsin out of range (|x| >= 2^63): the status word's C2 is set and
 * ST0 is left unchanged, so the result is x * 1e20 / 1e20.  out[1]: fild reads the bits of an
 * active double as an integer (a bit trick: the recorder must warn).  Inputs x y. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 0.9L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 2.3L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double out[2], big = x * 1e20L, r;
    __asm__("fsin" : "+t"(big));
    out[0] = big / 1e20L + y;
    double d = (double)(x * y);
    __asm__("fildll %1" : "=t"(r) : "m"(d));
    out[1] = r * 1e-18L;
    REVAD_OUTPUT_ARRAY(out, 2);
    for (int i = 0; i < 2; i++)
        printf("%.17g\n", (double)out[i]);
    return 0;
}
