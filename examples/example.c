/* Example: mark inputs and outputs in C for revad_emu.
 *
 *   gcc -O2 -I<revad_emu>/include example.c -o example -lm
 *   ./example 1.5 2.0           # runs natively: the marks do nothing
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.5;
    double v[2] = {argc > 2 ? strtod(argv[2], 0) : 2.0, 0.25};
    REVAD_INPUT(x);           /* one double named "x" */
    REVAD_INPUT_ARRAY(v, 2);  /* two doubles named "v" */

    double y = x * v[0] + sqrt(v[1]) / x;
    double z[2] = {y * y, x - v[1]};
    REVAD_OUTPUT(y);
    REVAD_OUTPUT_NAMED("z", z, 2);

    printf("%.17g\n%.17g\n%.17g\n", y, z[0], z[1]);
    if (REVAD_RUNNING())
        fprintf(stderr, "(recorded by revad_emu)\n");
    return 0;
}
