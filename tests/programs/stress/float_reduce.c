/* float arrays gcc vectorises (mulps/addps/shufps/movhlps reductions); outputs are the
 * float results widened to double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"
#define N 256
int main(int argc, char **argv) {
    double a = 0.75, b = -0.5;
    if (argc > 1) a = strtod(argv[1], 0);
    if (argc > 2) b = strtod(argv[2], 0);
    REVAD_INPUT(a); REVAD_INPUT(b);
    static float u[N], w[N];
    for (int i = 0; i < N; i++) { u[i] = (float)(a * (i % 13) * 0.01 + b); w[i] = (float)(0.5 + 0.001 * i); }
    float dot = 0, mx = -1e30f, sq = 0;
    for (int i = 0; i < N; i++) { dot += u[i] * w[i]; sq += u[i] * u[i]; }
    for (int i = 0; i < N; i++) mx = fmaxf(mx, u[i] * w[i]);
    double out[3] = {dot, sqrtf(sq), mx};
    REVAD_OUTPUT_ARRAY(out, 3);
    for (int i = 0; i < 3; i++) printf("%.17g\n", out[i]);
    return 0;
}
