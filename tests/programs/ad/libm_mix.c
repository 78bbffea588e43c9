/* libm transcendental functions in double precision (sin cos exp log pow atan2 tanh).
 * Kept apart from the rest of the corpus: differentiating libm needs interception.
 * Inputs x y; five outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.7;
    double y = argc > 2 ? strtod(argv[2], 0) : 1.9;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    double out[5];
    out[0] = sin(x) * exp(y);
    out[1] = log(y) + cos(x);
    out[2] = pow(x, y);
    out[3] = atan2(y, x);
    out[4] = tanh(x * y);
    REVAD_OUTPUT_ARRAY(out, 5);
    for (int i = 0; i < 5; i++)
        printf("%.17g\n", out[i]);
    return 0;
}
