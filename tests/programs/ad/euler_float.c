/* Explicit Euler in single precision on the Lotka-Volterra system
 *   x' = alpha x - beta x y,   y' = delta x y - gamma y.
 * Inputs alpha beta x0 y0 (floats); outputs x(T), y(T). */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    float in[4] = {1.1f, 0.4f, 2.0f, 1.0f};
    for (int i = 0; i < 4 && i + 1 < argc; i++)
        in[i] = strtof(argv[i + 1], 0);
    REVAD_INPUT_NAMED("alpha,beta,x0,y0", in, 4);

    const float delta = 0.1f, gamma = 0.4f, dt = 0.02f;
    float x = in[2], y = in[3];
    for (int n = 0; n < 50; n++) {
        float dx = in[0] * x - in[1] * x * y;
        float dy = delta * x * y - gamma * y;
        x += dt * dx;
        y += dt * dy;
    }
    REVAD_OUTPUT(x);
    REVAD_OUTPUT(y);
    printf("%.17g\n%.17g\n", (double)x, (double)y);
    return 0;
}
