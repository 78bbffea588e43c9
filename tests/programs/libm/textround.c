/* A value printed to text and parsed back: its derivative cannot survive (the digits are
 * integers made from the double's bits), and revad_emu must say so rather than give the
 * derivative of the rest alone. Outputs: y = strtod(sprintf(2x)) + x (warned), z = 3x. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.7;
    REVAD_INPUT(x);
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", 2.0 * x);
    double y = strtod(buf, 0) + x; /* TEXTROUND */
    double z = 3.0 * x;
    REVAD_OUTPUT(y);
    REVAD_OUTPUT(z);
    printf("%.17g\n%.17g\n", y, z);
    return 0;
}
