/* Calls glibc's CPU-specific variants of math functions directly (static binaries only).
 *
 * A static program's calls to sin, exp, pow... go through IFUNCs into variants such as
 * __sin_sse2 or __ieee754_exp_fma.  Here the SSE2 variants (the ones an x86-64 baseline CPU
 * runs) are called by name through weak references: a variant the C library does not have
 * is a null pointer and is skipped.  The plain calls pull the variants into the link.
 * Inputs x (0 < x < 1), y (> 0), z; each result is an output named after the function it
 * came from, printed as "name value". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define WEAK __attribute__((weak))
extern double __sin_sse2(double) WEAK;
extern double __cos_sse2(double) WEAK;
extern double __tan_sse2(double) WEAK;
extern double __atan_sse2(double) WEAK;
extern double __expm1_sse2(double) WEAK;
extern double __log1p_sse2(double) WEAK;
extern double __log2_sse2(double) WEAK;
extern double __ieee754_exp_sse2(double) WEAK;
extern double __ieee754_log_sse2(double) WEAK;
extern double __ieee754_asin_sse2(double) WEAK;
extern double __ieee754_acos_sse2(double) WEAK;
extern double __ieee754_pow_sse2(double, double) WEAK;
extern double __ieee754_atan2_sse2(double, double) WEAK;
extern double __fma_sse2(double, double, double) WEAK;
extern float __sinf_sse2(float) WEAK;
extern float __cosf_sse2(float) WEAK;
extern float __expf_sse2(float) WEAK;
extern float __exp2f_sse2(float) WEAK;
extern float __logf_sse2(float) WEAK;
extern float __log2f_sse2(float) WEAK;
extern float __powf_sse2(float, float) WEAK;

static double out[64];
static const char *names[64];
static int n;

static void put(const char *name, double v)
{
    names[n] = name;
    out[n++] = v;
}

#define D1(f) if (f) put(#f, f(x))
#define D2(f) if (f) put(#f, f(x, y))
#define F1(f) if (f) put(#f, (double)f(xf))
#define F2(f) if (f) put(#f, (double)f(xf, yf))

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.4;
    double y = argc > 2 ? strtod(argv[2], 0) : 1.7;
    double z = argc > 3 ? strtod(argv[3], 0) : -0.3;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);
    float xf = (float)x, yf = (float)y;
    /* the plain functions (they pull the variants into the link) */
    put("sin", sin(x));
    put("cos", cos(x));
    put("tan", tan(x));
    put("atan", atan(x));
    put("expm1", expm1(x));
    put("log1p", log1p(x));
    put("log2", log2(x));
    put("exp", exp(x));
    put("log", log(x));
    put("asin", asin(x));
    put("acos", acos(x));
    put("pow", pow(x, y));
    put("atan2", atan2(x, y));
    put("fma", fma(x, y, z));
    put("sinf", sinf(xf));
    put("cosf", cosf(xf));
    put("expf", expf(xf));
    put("exp2f", exp2f(xf));
    put("logf", logf(xf));
    put("log2f", log2f(xf));
    put("powf", powf(xf, yf));
    /* the variants, called by name */
    D1(__sin_sse2);
    D1(__cos_sse2);
    D1(__tan_sse2);
    D1(__atan_sse2);
    D1(__expm1_sse2);
    D1(__log1p_sse2);
    D1(__log2_sse2);
    D1(__ieee754_exp_sse2);
    D1(__ieee754_log_sse2);
    D1(__ieee754_asin_sse2);
    D1(__ieee754_acos_sse2);
    D2(__ieee754_pow_sse2);
    D2(__ieee754_atan2_sse2);
    if (__fma_sse2)
        put("__fma_sse2", __fma_sse2(x, y, z));
    F1(__sinf_sse2);
    F1(__cosf_sse2);
    F1(__expf_sse2);
    F1(__exp2f_sse2);
    F1(__logf_sse2);
    F1(__log2f_sse2);
    F2(__powf_sse2);
    for (int i = 0; i < n; i++)
        REVAD_OUTPUT_NAMED(names[i], &out[i], 1);
    for (int i = 0; i < n; i++)
        printf("%s %.17g\n", names[i], out[i]);
    return 0;
}
