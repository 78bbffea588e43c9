/* __float128 arithmetic (soft float in libgcc: __addtf3, __multf3, __divtf3 ...): the
 * emulator cannot differentiate integer soft-float code, so it must warn, never return a
 * silently wrong derivative.  Inputs: x, y.  Outputs: q = (x*y + x/y) in binary128. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = 1.5, y = 0.8;
    if (argc > 1) x = strtod(argv[1], 0);
    if (argc > 2) y = strtod(argv[2], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    __float128 qx = x, qy = y;
    __float128 r = qx * qy + qx / qy;
    double q = (double)r;
    REVAD_OUTPUT(q);
    printf("%.17g\n", q);
    return 0;
}
