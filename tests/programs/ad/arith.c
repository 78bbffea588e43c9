/* Plain arithmetic: + - * /, sqrt, fmin/fmax, fabs, negation and copysign (gcc inlines
 * fabs/copysign/negation as sign-bit masks).  Inputs x y z; six outputs.
 * Default point: x = 1.3, y = 0.7, z = 2.1 (y < x < z, so every kink is far away). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double arg(int argc, char **argv, int i, double dflt)
{
    return i < argc ? strtod(argv[i], 0) : dflt;
}

int main(int argc, char **argv)
{
    double x = arg(argc, argv, 1, 1.3);
    double y = arg(argc, argv, 2, 0.7);
    double z = arg(argc, argv, 3, 2.1);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);

    double mix = x * y + z / x - y / z;
    double root = sqrt(x * x + y * y + z);
    double minmax = fmin(x, y) * fmax(y, z);
    double absval = fabs(x - z) - y;
    double signs = -(x * z) + copysign(y, x - z);
    double ratio = (x - y) * (x + y) / (1.0 + z * z);

    REVAD_OUTPUT(mix);
    REVAD_OUTPUT(root);
    REVAD_OUTPUT(minmax);
    REVAD_OUTPUT(absval);
    REVAD_OUTPUT(signs);
    REVAD_OUTPUT(ratio);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", mix, root, minmax, absval, signs, ratio);
    return 0;
}
