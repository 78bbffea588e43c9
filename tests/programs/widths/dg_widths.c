/* Size-less Derivgrind marks on float, double and long double (T, set with -DT=...).
 * DG_INPUTF/DG_OUTPUTF carry no width: the emulator must take it from the first
 * floating-point read.  z is a zero placed before zero bytes, so its 8 bytes look like a
 * double 0.0 whatever T is.  Mode 'd' seeds dot values (a: 1, z: 2) and prints them.
 * Prints c, s, then (mode d) their dot values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

#ifndef T
#define T long double
#endif

struct padded {
    T x;
    unsigned int zero[4];
};

int main(int argc, char **argv)
{
    int fwd = DG_GET_MODE == 'd';
    T a = (T)(argc > 1 ? strtod(argv[1], 0) : 1.0);
    struct padded z = {(T)(argc > 2 ? strtod(argv[2], 0) : 0.0), {0, 0, 0, 0}};
    if (fwd) {
        T one = 1, two = 2;
        DG_SET_DOTVALUE(&a, &one, sizeof a);
        DG_SET_DOTVALUE(&z.x, &two, sizeof z.x);
    } else {
        DG_INPUTF(a);
        DG_INPUTF(z.x);
    }
    T c = a + a * a;
    T s = (T)sin((double)z.x) + z.x * a;
    if (fwd) {
        T cd = 0, sd = 0;
        DG_GET_DOTVALUE(&c, &cd, sizeof c);
        DG_GET_DOTVALUE(&s, &sd, sizeof s);
        printf("%.17g\n%.17g\n%.17g\n%.17g\n", (double)c, (double)s, (double)cd, (double)sd);
    } else {
        DG_OUTPUTF(c);
        DG_OUTPUTF(s);
        printf("%.17g\n%.17g\n", (double)c, (double)s);
    }
    return (int)z.zero[3];
}
