/* Single-precision version of arith.c: float arithmetic, sqrtf, fminf/fmaxf, fabsf and
 * copysignf.  Inputs x y z (parsed with strtof); six float outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static float arg(int argc, char **argv, int i, float dflt)
{
    return i < argc ? strtof(argv[i], 0) : dflt;
}

int main(int argc, char **argv)
{
    float x = arg(argc, argv, 1, 1.25f);
    float y = arg(argc, argv, 2, 0.75f);
    float z = arg(argc, argv, 3, 2.125f);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);

    float mix = x * y + z / x - y / z;
    float root = sqrtf(x * x + y * y + z);
    float minmax = fminf(x, y) * fmaxf(y, z);
    float absval = fabsf(x - z) - y;
    float signs = -(x * z) + copysignf(y, x - z);
    float ratio = (x - y) * (x + y) / (1.0f + z * z);

    REVAD_OUTPUT(mix);
    REVAD_OUTPUT(root);
    REVAD_OUTPUT(minmax);
    REVAD_OUTPUT(absval);
    REVAD_OUTPUT(signs);
    REVAD_OUTPUT(ratio);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", (double)mix, (double)root,
           (double)minmax, (double)absval, (double)signs, (double)ratio);
    return 0;
}
