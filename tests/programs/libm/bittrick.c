/* A deliberate integer bit trick on an active double: adding 1 to the exponent field
 * doubles the value, so y = 2 x * 3 = 6 x, but the derivative cannot follow integer
 * arithmetic on the bits.  revad_emu must warn and name the line marked BITTRICK.
 * Input x; outputs y (through the trick) and z = 3 x (a plain multiplication). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double twice_by_bits(double x)
{
    union {
        double d;
        uint64_t u;
    } v;
    v.d = x;
    v.u += 1ULL << 52; /* BITTRICK */
    return v.d;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.25;
    REVAD_INPUT(x);
    double y = twice_by_bits(x) * 3.0;
    double z = x * 3.0;
    REVAD_OUTPUT(y);
    REVAD_OUTPUT(z);
    printf("%.17g\n%.17g\n", y, z);
    return 0;
}
