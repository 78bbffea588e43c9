/* atan2 under Derivgrind's requests (T: float, double or long double): inputs a, b (argv),
 * c = atan2(a, b) marked with DG_INPUTF/DG_OUTPUTF; prints c.  Derivgrind's own math
 * wrapper swaps the two partials; revad_emu must give d/da = b/(a²+b²), d/db = -a/(a²+b²). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

#ifndef T
#define T double
#endif

int main(int argc, char **argv)
{
    T a = (T)(argc > 1 ? strtod(argv[1], 0) : 3.0);
    T b = (T)(argc > 2 ? strtod(argv[2], 0) : 4.0);
    DG_INPUTF(a);
    DG_INPUTF(b);
#if defined(T_IS_FLOAT)
    T c = atan2f(a, b);
#elif defined(T_IS_LONG)
    T c = atan2l(a, b);
#else
    T c = atan2(a, b);
#endif
    DG_OUTPUTF(c);
    printf("%.17g\n", (double)c);
    return 0;
}
