/* Ways a value reaches a math function and comes back: through function pointers (a call
 * via a register or a table in memory), tail-calling wrappers, recursion, calls with passive
 * arguments in between, a large memcpy of active data, a
 * rounding-mode change in the middle of the computation, and a qsort of structs.
 * Inputs: x, y, z.  Outputs: o[0..6]. */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

typedef double (*fn1)(double);

__attribute__((noinline)) double wrap_sin(double t) { return sin(t); } /* tail call */
__attribute__((noinline)) double wrap_exp(double t) { return exp(t); }

static double nest(double t, int n) { return n ? cos(nest(t, n - 1)) * 0.9 + 0.05 : t; }

struct item {
    double key;
    double val;
};

static int by_key(const void *a, const void *b)
{
    double d = ((const struct item *)a)->key - ((const struct item *)b)->key;
    return (d > 0) - (d < 0);
}

int main(int argc, char **argv)
{
    double x = 0.6, y = 1.3, z = -0.4;
    if (argc > 1) x = strtod(argv[1], 0);
    if (argc > 2) y = strtod(argv[2], 0);
    if (argc > 3) z = strtod(argv[3], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);
    volatile fn1 table[4] = {sin, exp, tanh, atan};
    double o[7];
    double acc = 0.0;
    for (int i = 0; i < 40; i++) {
        fn1 f = table[i % 4];
        acc += f(x * 0.1 * (i + 1)) + sqrt(1.0 + i) * 1e-3; /* sqrt of a passive value */
    }
    o[0] = acc;
    o[1] = wrap_sin(y) * wrap_exp(z) + pow(fabs(y), 1.5);
    o[2] = nest(x + y, 12);
    o[3] = log1p(x * x) * cbrt(y) + hypot(x, z) - fmax(x, z) + floor(y * 3.0);
    /* 512 doubles (4 KiB) copied in one memcpy, then reduced */
    static double big[512], copy[512];
    for (int i = 0; i < 512; i++)
        big[i] = x * i + y * (i % 7) + z;
    memcpy(copy, big, sizeof big);
    double s = 0.0;
    for (int i = 0; i < 512; i++)
        s += copy[i] * copy[511 - i];
    o[4] = s * 1e-6;
    /* directed rounding for a while (values change in the last bits, derivatives do not) */
    fesetround(FE_UPWARD);
    double u = x / 3.0 + y * z;
    for (int i = 0; i < 10; i++)
        u = u * 0.7 + 0.1 / (1.0 + u * u);
    fesetround(FE_TONEAREST);
    o[5] = u;
    struct item it[16];
    for (int i = 0; i < 16; i++) {
        it[i].key = sin(7.0 * i + 1.0); /* passive keys fix the order */
        it[i].val = x * (i + 1) + atan2(y, 1.0 + i) + z * z;
    }
    qsort(it, 16, sizeof it[0], by_key);
    o[6] = 0.0;
    for (int i = 0; i < 16; i++)
        o[6] += it[i].val * (i + 1);
    REVAD_OUTPUT_ARRAY(o, 7);
    for (int i = 0; i < 7; i++)
        printf("%.17g\n", o[i]);
    return 0;
}
