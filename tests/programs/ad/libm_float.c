/* libm transcendental functions in single precision (sinf expf logf powf).
 * Inputs x y (floats); three outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    float x = argc > 1 ? strtof(argv[1], 0) : 0.75f;
    float y = argc > 2 ? strtof(argv[2], 0) : 1.5f;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    float out[3];
    out[0] = sinf(x) * expf(y);
    out[1] = logf(y) - x * y;
    out[2] = powf(x, y);
    REVAD_OUTPUT_ARRAY(out, 3);
    for (int i = 0; i < 3; i++)
        printf("%.17g\n", (double)out[i]);
    return 0;
}
