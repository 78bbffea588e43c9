/* Variadic functions taking active doubles (va_arg reads the register save area), small
 * structs of floats returned in xmm0 as a packed pair, and frexp/ldexp/modf/fmod/remainder.
 * Inputs: a, b, c (double), f (float).  Outputs: vs, pair.x, pair.y, fr, md, fm, rm. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

struct fpair { float x, y; };

__attribute__((noinline)) static double vsum(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    double s = 0.0, w = 1.0;
    for (int i = 0; i < n; i++) {
        s += w * va_arg(ap, double);
        w *= 0.5;
    }
    va_end(ap);
    return s;
}

__attribute__((noinline)) static struct fpair rot(float x, float y, float c, float s)
{
    struct fpair r = {c * x - s * y, s * x + c * y};
    return r;
}

int main(int argc, char **argv)
{
    double a = 1.75, b = -0.6, c = 3.3;
    float f = 0.8f;
    if (argc > 1) a = strtod(argv[1], 0);
    if (argc > 2) b = strtod(argv[2], 0);
    if (argc > 3) c = strtod(argv[3], 0);
    if (argc > 4) f = strtof(argv[4], 0);
    REVAD_INPUT(a);
    REVAD_INPUT(b);
    REVAD_INPUT(c);
    REVAD_INPUT(f);
    /* more than 8 doubles: the tail goes on the stack */
    double vs = vsum(10, a, b, c, a * b, b * c, a * c, a + b, b + c, a - c, a * b * c);
    struct fpair p = rot(f, (float)a, 0.6f, (float)b);
    float px = p.x, py = p.y;
    int e;
    double m = frexp(a * c, &e);
    double fr = ldexp(m, e + 1) + m;
    double ip;
    double md = modf(c * 1.5, &ip) + ip * b;
    double fm = fmod(c * 2.0, a);
    double rm = remainder(c * 2.0, a);
    double pxd = px, pyd = py;
    REVAD_OUTPUT(vs);
    REVAD_OUTPUT(pxd);
    REVAD_OUTPUT(pyd);
    REVAD_OUTPUT(fr);
    REVAD_OUTPUT(md);
    REVAD_OUTPUT(fm);
    REVAD_OUTPUT(rm);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", vs, pxd, pyd, fr, md, fm, rm);
    return 0;
}
