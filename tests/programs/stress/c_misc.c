/* C corners: setjmp/longjmp out of a computation, a variable-length array and alloca,
 * frexp/ldexp/modf and sincos, an overlapping memmove, a packed (unaligned) struct, union
 * type punning, and values parked in int64 variables.
 * Inputs: x, y, z.  Outputs: o[0..6]. */
#define _GNU_SOURCE
#include <alloca.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

static jmp_buf env;
static double partial;

static void deep(double t, int n)
{
    partial = partial * 0.5 + t / (n + 1);
    if (n == 5) longjmp(env, 1);
    deep(t * 1.1, n + 1);
}

struct __attribute__((packed)) rec {
    char tag;
    double val;
    short pad;
    double other;
};

int main(int argc, char **argv)
{
    double x = 0.8, y = -1.7, z = 2.6;
    if (argc > 1) x = strtod(argv[1], 0);
    if (argc > 2) y = strtod(argv[2], 0);
    if (argc > 3) z = strtod(argv[3], 0);
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);
    double o[7];
    partial = y;
    if (!setjmp(env))
        deep(x, 0);
    o[0] = partial;
    int n = 5 + (int)(z > 0);
    double vla[n];
    double *heap = alloca(n * sizeof(double));
    for (int i = 0; i < n; i++) {
        vla[i] = x * i - y;
        heap[i] = vla[i] * z;
    }
    memmove(heap + 1, heap, (n - 1) * sizeof(double)); /* overlapping */
    o[1] = 0.0;
    for (int i = 0; i < n; i++) o[1] += heap[i] * (i + 1);
    int e;
    double mant = frexp(z * 3.0, &e);
    double ip, fp = modf(x * 7.0, &ip);
    double s, c;
    sincos(y, &s, &c);
    o[2] = ldexp(mant, e + 1) + fp + s * c;
    struct rec r[3];
    for (int i = 0; i < 3; i++) {
        r[i].tag = (char)i;
        r[i].val = x + i * y;
        r[i].other = z * r[i].val;
    }
    struct rec t = r[2];
    r[2] = r[0];
    r[0] = t;
    o[3] = r[0].val * r[1].other + r[2].other;
    union {
        double d;
        uint64_t u;
        unsigned char b[8];
    } pun;
    pun.d = x * y;
    unsigned char bytes[8];
    memcpy(bytes, pun.b, 8);
    uint64_t k;
    memcpy(&k, bytes, 8);
    int64_t parked = (int64_t)k;
    double back;
    memcpy(&back, &parked, 8);
    o[4] = back * z;
    volatile int64_t bits;
    memcpy((void *)&bits, &z, 8);
    double z2;
    int64_t b2 = bits;
    memcpy(&z2, &b2, 8);
    o[5] = z2 * z2 + (double)(int)(x * 10.0 + 0.5); /* (int) is passive */
    o[6] = fabs(y) * copysign(2.0, x) + fmin(x, z) - fmax(y, -z);
    REVAD_OUTPUT_ARRAY(o, 7);
    for (int i = 0; i < 7; i++) printf("%.17g\n", o[i]);
    return 0;
}
