/* Derivgrind forward mode: seed dot values with DG_SET_DOTVALUE, compute, read the dot values
 * of the results with DG_GET_DOTVALUE.  Inputs x y xdot ydot; prints f1, f2, then their dot
 * values (0 natively; J (xdot, ydot) under a tool that propagates dot values). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.2;
    double y = argc > 2 ? strtod(argv[2], 0) : 0.8;
    double xdot = argc > 3 ? strtod(argv[3], 0) : 1.0;
    double ydot = argc > 4 ? strtod(argv[4], 0) : 0.5;
    DG_SET_DOTVALUE(&x, &xdot, sizeof x);
    DG_SET_DOTVALUE(&y, &ydot, sizeof y);

    double f1 = x * y * y + x / y;
    double f2 = sqrt(x + y) - 3.0 * x;

    double f1dot = 0.0, f2dot = 0.0;
    DG_GET_DOTVALUE(&f1, &f1dot, sizeof f1);
    DG_GET_DOTVALUE(&f2, &f2dot, sizeof f2);
    DG_DISABLE(1, 0);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n", f1, f2, f1dot, f2dot);
    DG_DISABLE(0, 1);
    return 0;
}
