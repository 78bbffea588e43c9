/* A complex long double math call without a derivative rule (cexpl: its argument is passed
 * in memory, not in registers): the recorder must warn that the derivative is dropped.
 * cabsl has a rule (it is hypotl of the two parts).  Inputs x y; outputs re(cexpl(z)) and
 * cabsl(z) for z = x + iy. */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 0.4L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 1.1L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double complex z = x + y * I;
    long double out[2] = {creall(cexpl(z)), cabsl(z)};
    REVAD_OUTPUT_ARRAY(out, 2);
    printf("%.20Lg\n%.20Lg\n", out[0], out[1]);
    return 0;
}
