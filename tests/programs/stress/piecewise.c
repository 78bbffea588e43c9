/* A switch-heavy piecewise function: a state machine applies one of several formulas per
 * step, chosen by a passive integer code derived from the active state (the branch is taken
 * at a regular point).  Inputs: x, y, p[4].  Outputs: f, g, the last state, h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static int classify(double x)
{
    if (x < -1.0) return 0;
    if (x < 0.0) return 1;
    if (x < 1.0) return 2;
    if (x < 2.5) return 3;
    return 4;
}

static double piece(int code, double x, const double *p)
{
    switch (code) {
    case 0: return p[0] * x + 1.0;
    case 1: return x * x * p[1] - x;
    case 2: return p[2] / (1.0 + x * x);
    case 3: return sqrt(x) * p[3] + x;
    case 4: return 2.5 - 0.5 * x + p[0] * p[1];
    default: return 0.0;
    }
}

int main(int argc, char **argv)
{
    double x = 0.35, y = -0.6, p[4] = {0.8, 1.3, 2.1, -0.4};
    if (argc > 1) x = strtod(argv[1], 0);
    if (argc > 2) y = strtod(argv[2], 0);
    for (int i = 0; i < 4 && argc > 3 + i; i++) p[i] = strtod(argv[3 + i], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT_ARRAY(p, 4);
    double f = 0.0, s = x;
    for (int step = 0; step < 9; step++) {
        int code = classify(s);
        double val = piece(code, s, p);
        switch ((code + step) % 3) {
        case 0: s = val + 0.1 * y; break;
        case 1: s = 0.5 * (val + s) - 0.2; break;
        default: s = val * 0.9 + y * y * 0.05; break;
        }
        f += val;
    }
    double g;
    switch (classify(y)) {
    case 0: g = y * y; break;
    case 1: g = -y * p[2]; break;
    case 2: g = y * p[3] + 1.0; break;
    default: g = exp(y); break;
    }
    double h = s > f ? s - f : f - s;
    REVAD_OUTPUT(f);
    REVAD_OUTPUT(g);
    REVAD_OUTPUT(s);
    REVAD_OUTPUT(h);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n", f, g, s, h);
    return 0;
}
