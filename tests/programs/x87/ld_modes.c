/* Where the compiled x87 path must hand over to the Python handlers: a control word other
 * than round-to-nearest / 64-bit precision (set with fldcw), operands and results outside the
 * normal range (extended denormals, an infinity), integer operand forms (fimul m16, fiadd
 * m32, fidivr m32) and float memory operands (fmul m32, fld/fstp m32).  Each part runs in a
 * loop, so the compiled path sees every instruction many times.
 * Inputs x y; outputs out[0..5]; out[0] and out[1] are smooth (checked against finite
 * differences); out[2], out[3], out[5] pass through denormals or infinities, out[4] through
 * float roundings. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static void set_cw(unsigned short cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 1.3L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 0.7L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double out[6];
    short i16 = 3;
    int i20 = 20, i7 = 7;
    float f = 0.25f;

    long double s = x;
    for (int i = 0; i < 40; i++) {
        long double t = s;
        __asm__("fimuls %1" : "+t"(t) : "m"(i16));
        __asm__("fiaddl %1" : "+t"(t) : "m"(i20));
        __asm__("fidivrl %1" : "+t"(t) : "m"(i7));
        __asm__("fmuls %1" : "+t"(t) : "m"(f));
        s = s * 0.5L + t * y + 1.0L;
    }
    out[0] = s;

    unsigned short cw0;
    __asm__ volatile("fnstcw %0" : "=m"(cw0));
    set_cw((unsigned short)((cw0 & ~0x0F00) | 0x0800 | 0x0200)); /* round up, 53-bit */
    long double u = x;
    float g = 0;
    for (int i = 0; i < 40; i++) {
        u = u * y + x / (u + 1.0L);
        g = (float)u;
        u = u - g * 1e-9L;
    }
    set_cw(cw0);
    out[1] = u;

    long double tiny = x;
    for (int i = 0; i < 40; i++)
        tiny = tiny * 1e-4940L * 1e4940L + y * 1e-4940L;
    out[2] = tiny;

    long double big = x * 1e4931L;
    long double inf = big * 10.0L * y;
    out[3] = y / inf + x / big;

    long double hl = x;
    for (int i = 0; i < 40; i++) {
        volatile float hv = (float)(hl * 0.5L);
        hl = hv * y + 0.25L;
    }
    out[4] = hl;
    out[5] = x * 1e-4945L;

    REVAD_OUTPUT_ARRAY(out, 6);
    for (int i = 0; i < 6; i++)
        printf("%.20Lg\n", out[i]);
    return 0;
}
