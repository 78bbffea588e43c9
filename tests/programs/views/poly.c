/* A small smooth function of three inputs with a libm call (sin) and a loop, for the
 * teaching views: every derivative is analytic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double p[3];
    for (int i = 0; i < 3; i++)
        p[i] = argc > i + 1 ? strtod(argv[i + 1], 0) : 0.5 + i;
    REVAD_INPUT_ARRAY(p, 3);
    double s = 0.0;
    for (int i = 0; i < 3; i++)
        s += p[i] * p[i];
    double f = sin(p[0]) * s;
    double g = exp(p[1] - p[2]);
    REVAD_OUTPUT(f);
    REVAD_OUTPUT(g);
    printf("%.17g %.17g\n", f, g);
    return 0;
}
