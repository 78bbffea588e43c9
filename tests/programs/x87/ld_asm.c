/* x87 instructions the compiler does not emit on its own, through inline asm: fsin, fcos,
 * fsincos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1, fscale, fprem, fprem1, frndint, fxtract,
 * memory and integer operand forms, register forms with pops, fxch, fcmov, fst st(i),
 * ffree/fincstp/fdecstp, comparisons that pop, fist, and fxsave/fnsave/xsave round trips.
 * Inputs x y (strtold); outputs printed rounded to double, one per line. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N_OUT 40

static long double a_fsin(long double x) { __asm__("fsin" : "+t"(x)); return x; }
static long double a_fcos(long double x) { __asm__("fcos" : "+t"(x)); return x; }
static long double a_f2xm1(long double x) { __asm__("f2xm1" : "+t"(x)); return x; }
static long double a_frndint(long double x) { __asm__("frndint" : "+t"(x)); return x; }
static long double a_fsqrt(long double x) { __asm__("fsqrt" : "+t"(x)); return x; }
static long double a_fabs_fchs(long double x) { __asm__("fabs\n\tfchs" : "+t"(x)); return x; }

static long double a_fptan(long double x)
{
    __asm__("fptan\n\tfstp %%st(0)" : "+t"(x));
    return x;
}

static void a_fsincos(long double x, long double *s, long double *c)
{
    long double cc, ss;
    __asm__("fsincos" : "=t"(cc), "=u"(ss) : "0"(x));
    *s = ss;
    *c = cc;
}

/* ST1 op ST0 with a pop: result = f(y = ST1, x = ST0) */
static long double a_fpatan(long double y, long double x)
{
    long double r;
    __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

static long double a_fyl2x(long double y, long double x)
{
    long double r;
    __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

static long double a_fyl2xp1(long double y, long double x)
{
    long double r;
    __asm__("fyl2xp1" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

static long double a_fscale(long double x, long double n)
{
    __asm__("fscale" : "+t"(x) : "u"(n));
    return x;
}

static long double a_fprem(long double x, long double m)
{
    __asm__("1: fprem\n\tfnstsw %%ax\n\ttestb $4, %%ah\n\tjnz 1b" : "+t"(x) : "u"(m) : "ax", "cc");
    return x;
}

static long double a_fprem1(long double x, long double m)
{
    __asm__("1: fprem1\n\tfnstsw %%ax\n\ttestb $4, %%ah\n\tjnz 1b" : "+t"(x) : "u"(m) : "ax", "cc");
    return x;
}

static long double a_fxtract(long double x, long double *e)
{
    long double sig, ex;
    __asm__("fxtract" : "=t"(sig), "=u"(ex) : "0"(x));
    *e = ex;
    return sig;
}

/* memory operand forms: float, double and integer operands */
static long double a_memforms(long double v, float f, double d, int k, short s)
{
    __asm__("fadds %1\n\t"
            "fmull %2\n\t"
            "fsubrl %2\n\t"
            "fdivrs %1\n\t"
            "fsubs %1\n\t"
            "fdivl %2\n\t"
            "fiaddl %3\n\t"
            "fimuls %4\n\t"
            "fisubl %3\n\t"
            "fisubrs %4\n\t"
            "fidivl %3\n\t"
            "fidivrs %4"
            : "+t"(v) : "m"(f), "m"(d), "m"(k), "m"(s));
    return v;
}

/* register forms, pops, fld st(i), fxch, fst st(i) */
static long double a_regforms(long double a, long double b)
{
    long double r;
    __asm__("fld %%st(0)\n\t"          /* a a b */
            "fmul %%st(2), %%st\n\t"   /* ab a b */
            "fxch %%st(1)\n\t"         /* a ab b */
            "fsub %%st(2), %%st\n\t"   /* (a-b) ab b */
            "fdivr %%st(1), %%st\n\t"  /* AT&T: st = st(1)/st or st/st(1); either way */
            "faddp %%st, %%st(1)\n\t"
            "fmulp %%st, %%st(1)\n\t"
            "fld1\n\t"
            "fadd %%st(1), %%st\n\t"
            "fsubrp %%st, %%st(1)\n\t"
            : "=t"(r) : "0"(a), "u"(b) : "st(1)");
    return r;
}

static long double a_regforms2(long double a, long double b)
{
    long double r;
    __asm__("fld %%st(1)\n\t"          /* b a b */
            "fdivp %%st, %%st(1)\n\t"  /* q b */
            "fld %%st(0)\n\t"          /* q q b */
            "fsubp %%st, %%st(2)\n\t"  /* q d */
            "fdivrp %%st, %%st(1)\n\t" /* r */
            : "=t"(r) : "0"(a), "u"(b) : "st(1)");
    return r;
}

/* fcomi + fcmov: max(a, b) */
static long double a_fcmov_max(long double a, long double b)
{
    long double r;
    __asm__("fcomi %%st(1), %%st\n\t"
            "fcmovb %%st(1), %%st\n\t"
            "fstp %%st(1)"
            : "=t"(r) : "0"(a), "u"(b) : "st(1)", "cc");
    return r;
}

static long double a_fcmov_min(long double a, long double b)
{
    long double r;
    __asm__("fucomi %%st(1), %%st\n\t"
            "fcmovnb %%st(1), %%st\n\t"
            "fcmovu %%st(1), %%st\n\t"
            "fstp %%st(1)"
            : "=t"(r) : "0"(a), "u"(b) : "st(1)", "cc");
    return r;
}

/* fst st(i): b = a; comparisons that pop; ffree/fincstp/fdecstp; fxam/ftst */
static long double a_stackops(long double a, long double b)
{
    unsigned short sw;
    __asm__("fst %%st(1)\n\t"          /* b = a */
            "fld %%st(0)\n\t"
            "fld %%st(0)\n\t"
            "fcompp\n\t"
            "fld %%st(0)\n\t"
            "fucomp %%st(1)\n\t"
            "fld %%st(0)\n\t"
            "fld %%st(0)\n\t"
            "fucompp\n\t"
            "fld %%st(0)\n\t"
            "fldz\n\t"
            "fcomip %%st(1), %%st\n\t"
            "fucomip %%st(1), %%st\n\t"
            "fld1\n\t"
            "ffree %%st(0)\n\t"
            "fincstp\n\t"
            "fdecstp\n\t"
            "fincstp\n\t"
            "ftst\n\t"
            "fxam\n\t"
            "fnstsw %%ax\n\t"
            : "+t"(a), "+u"(b), "=a"(sw) : : "cc");
    return a * b + (sw & 0);
}

static long double a_fist(long double a)
{
    int i;
    long long l;
    short s;
    __asm__("fistl %0" : "=m"(i) : "t"(a));
    __asm__("fld %%st(0)\n\tfistpll %0" : "=m"(l) : "t"(a));
    __asm__("fld %%st(0)\n\tfisttps %0" : "=m"(s) : "t"(a));
    return a * (i + l + s);
}

static long double a_fxsave(long double v)
{
    static struct { unsigned char b[512]; } __attribute__((aligned(64))) area;
    __asm__ volatile("fxsave %1\n\tfninit\n\tfxrstor %1" : "+t"(v), "+m"(area));
    return v;
}

static long double a_fnsave(long double v, long double w)
{
    struct { unsigned char b[108]; } area;
    __asm__ volatile("fnsave %2\n\tfrstor %2" : "+t"(v), "+u"(w), "=m"(area));
    return v * w;
}

static long double a_xsave(long double v)
{
    static struct { unsigned char b[1024]; } __attribute__((aligned(64))) area;
    __asm__ volatile("xsave %1\n\tfninit\n\txrstor %1" : "+t"(v), "+m"(area) : "a"(3), "d"(0));
    return v;
}

static long double a_fld_m80(long double v)
{
    long double tmp, r;
    __asm__ volatile("fld %%st(0)\n\tfstpt %1\n\tfldt %1\n\tfmulp %%st, %%st(1)"
                     : "=t"(r), "=m"(tmp) : "0"(v));
    return r;
}

int main(int argc, char **argv)
{
    long double x = argc > 1 ? strtold(argv[1], 0) : 0.9L;
    long double y = argc > 2 ? strtold(argv[2], 0) : 2.3L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    long double out[N_OUT];
    int n = 0;
    out[n++] = a_fsin(x * y);                   /* 0 */
    out[n++] = a_fcos(x + y);                   /* 1 */
    a_fsincos(x - y, &out[n], &out[n + 1]);     /* 2 sin, 3 cos */
    n += 2;
    out[n++] = a_fptan(x / y);                  /* 4 */
    out[n++] = a_fpatan(y, x);                  /* 5 atan2(y, x) */
    out[n++] = a_f2xm1(x * y / 4);              /* 6 */
    out[n++] = a_fyl2x(y, x);                   /* 7 y log2 x */
    out[n++] = a_fyl2xp1(y, x / 8);             /* 8 y log2(1 + x/8) */
    out[n++] = a_fscale(x * y, y + 1);          /* 9 xy 2^trunc(y+1) */
    out[n++] = a_fprem(x * 1000, y);            /* 10 */
    out[n++] = a_fprem1(x * 7, y);              /* 11 */
    out[n++] = a_frndint(x * y * 10) + x;       /* 12 */
    long double e;
    out[n++] = a_fxtract(x * y * 100, &e);      /* 13 significand */
    out[n++] = e * x;                           /* 14 */
    out[n++] = a_fsqrt(x * y) + a_fabs_fchs(x - y);  /* 15 */
    float f = (float)(x / 3);
    double d = (double)(y * y);
    out[n++] = a_memforms(x, f, d, argc + 4, (short)(argc - 5));   /* 16 */
    out[n++] = a_regforms(x, y);                /* 17 */
    out[n++] = a_regforms2(x, y);               /* 18 */
    out[n++] = a_fcmov_max(x, y);               /* 19 */
    out[n++] = a_fcmov_min(x, y);               /* 20 */
    out[n++] = a_fcmov_max(y * y, x);           /* 21 */
    out[n++] = a_stackops(x, y);                /* 22 */
    out[n++] = a_fist(x * 10 + 0.37L);                /* 23 */
    out[n++] = a_fxsave(x * y);                 /* 24 */
    out[n++] = a_fnsave(x, y);                  /* 25 */
    out[n++] = a_xsave(x - y);                  /* 26 */
    out[n++] = a_fld_m80(x + y);                /* 27 */
    REVAD_OUTPUT_ARRAY(out, n);
    for (int i = 0; i < n; i++)
        printf("%.17g\n", (double)out[i]);
    return 0;
}
