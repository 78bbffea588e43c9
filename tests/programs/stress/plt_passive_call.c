/* Minimal: a passive call to cos through the PLT of libm.so while an xmm register holds an
 * active value.  Inputs: x (t is a passive argument).  Output: z = x^2 (cos t + 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.5;
    double t = argc > 2 ? strtod(argv[2], 0) : 0.3;
    REVAD_INPUT(x);
    double y = x * x;
    double c = cos(t);
    double z = y * c + y;
    REVAD_OUTPUT(z);
    printf("%.17g\n", z);
    return 0;
}
