/* long double arithmetic on the x87 stack: the four operations in all operand orders, int,
 * float and double operands (fild, fld m32/m64, fst m32/m64 conversions), fabsl, negation,
 * sqrtl, comparisons and selects (fcomi/fcmov at -O2), loops, 80-bit copies through memory
 * (struct copy, memcpy, array).  Inputs x y z (strtold); outputs printed rounded to double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

struct pair { long double a, b; };

static long double __attribute__((noinline)) horner(const long double *c, int n, long double t)
{
    long double s = 0.0L;
    for (int i = n - 1; i >= 0; i--)
        s = s * t + c[i];
    return s;
}

static struct pair __attribute__((noinline)) swap_scale(struct pair p, long double k)
{
    struct pair q = {p.b * k, p.a / k};
    return q;
}

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 1.3L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 0.7L;
    long double z = argc > 3 ? strtold(argv[3], 0) : 2.1L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);
    long double out[12];
    int k = argc + 2; /* 6: an integer the compiler cannot fold */

    out[0] = (x - y) / (z - x) + (y / x - z) * (x * y - 1.0L);   /* sub/subr/div/divr */
    out[1] = k * x + y / k - k / z + (x - k) * (k - y);           /* integer operands */
    float fx = (float)(x * y);                                   /* fst m32: rounds */
    double dz = (double)(z / y);                                 /* fst m64: rounds */
    out[2] = fx * z + dz * x - fx / dz;                          /* fld m32 / m64 */
    out[3] = fabsl(x - z) * -y + sqrtl(x * z + y * y);
    out[4] = x > y ? x * z : y * z;                              /* compare + select */
    out[5] = (z < 3.0L ? z : 3.0L) + (x < y ? y - x : x - y);
    long double c[5] = {x, y, z, x * y, 0.5L};
    out[6] = horner(c, 5, z / 4.0L);
    struct pair p = {x + y, y * z}, q;
    q = swap_scale(p, z);
    memcpy(&out[7], &q.a, sizeof(long double));
    out[8] = q.b;
    long double s = 1.0L, t = 0.0L;
    for (int i = 1; i <= 8; i++) {
        s *= (1.0L + x / i);
        t += s / (i + y);
    }
    out[9] = s;
    out[10] = t;
    out[11] = -(x * x * x) / (1.0L - y * z);
    REVAD_OUTPUT_ARRAY(out, 12);
    for (int i = 0; i < 12; i++)
        printf("%.17g\n", (double)out[i]);
    return 0;
}
