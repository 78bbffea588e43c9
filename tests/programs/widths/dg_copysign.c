/* copysign on size-less marks (Derivgrind's copysign test): gcc inlines it as sign-mask
 * operations (andnpd/andpd/orpd) whose *source* operand is the marked value; the mask must
 * decide the width (8 for a double), not a float lane.  Inputs a, b; prints c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

#ifndef T
#define T double
#endif

int main(int argc, char **argv)
{
    T a = (T)(argc > 1 ? strtod(argv[1], 0) : 3.14);
    T b = (T)(argc > 2 ? strtod(argv[2], 0) : -1.0);
    DG_INPUTF(a);
    DG_INPUTF(b);
#if defined(T_IS_FLOAT)
    T c = copysignf(a, b);
#else
    T c = copysign(a, b);
#endif
    DG_OUTPUTF(c);
    printf("%.17g\n", (double)c);
    return 0;
}
