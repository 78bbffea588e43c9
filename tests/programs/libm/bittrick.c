/* A deliberate integer bit trick on an active double that no rule covers: adding 1 to the
 * bits gives the next double up (adding 1 << 52, x * 2, would be recorded exactly; see
 * tests/test_gpr_tricks.py).  revad_emu must warn and name the line marked BITTRICK.
 * Input x; outputs y (through the trick, times 3) and z = 3 x (a plain multiplication). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double next_by_bits(double x)
{
    union {
        double d;
        uint64_t u;
    } v;
    v.d = x;
    v.u += 1; /* BITTRICK */
    return v.d;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.25;
    REVAD_INPUT(x);
    double y = next_by_bits(x) * 3.0;
    double z = x * 3.0;
    REVAD_OUTPUT(y);
    REVAD_OUTPUT(z);
    printf("%.17g\n%.17g\n", y, z);
    return 0;
}
