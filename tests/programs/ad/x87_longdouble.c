/* x87 extended precision: long double inputs and outputs (kind 2, 80 bits in a 16-byte
 * slot), arithmetic on the x87 stack and sqrtl.  Inputs x y (strtold); two outputs, printed
 * rounded to double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 1.7L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 0.6L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double p = x * x * y - y / x + sqrtl(x * y);
    long double q = (x + y) * (x - y) / (x * y + 1.0L);
    REVAD_OUTPUT(p);
    REVAD_OUTPUT(q);
    printf("%.17g\n%.17g\n", (double)p, (double)q);
    return 0;
}
