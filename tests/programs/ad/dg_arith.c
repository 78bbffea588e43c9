/* arith.c marked with the Derivgrind-style macros (DG_INPUTF / DG_OUTPUTF) instead of
 * revad.h: same computation, same inputs and outputs, so the same Jacobian. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

static double arg(int argc, char **argv, int i, double dflt)
{
    return i < argc ? strtod(argv[i], 0) : dflt;
}

int main(int argc, char **argv)
{
    double x = arg(argc, argv, 1, 1.3);
    double y = arg(argc, argv, 2, 0.7);
    double z = arg(argc, argv, 3, 2.1);
    DG_INPUTF(x);
    DG_INPUTF(y);
    DG_INPUTF(z);

    double mix = x * y + z / x - y / z;
    double root = sqrt(x * x + y * y + z);
    double minmax = fmin(x, y) * fmax(y, z);
    double absval = fabs(x - z) - y;
    double signs = -(x * z) + copysign(y, x - z);
    double ratio = (x - y) * (x + y) / (1.0 + z * z);

    DG_OUTPUTF(mix);
    DG_OUTPUTF(root);
    DG_OUTPUTF(minmax);
    DG_OUTPUTF(absval);
    DG_OUTPUTF(signs);
    DG_OUTPUTF(ratio);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", mix, root, minmax, absval, signs, ratio);
    return 0;
}
