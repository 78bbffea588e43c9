/* Calls math-library functions on marked arguments: one generator for test_libm.py.
 *
 * Precision by macro: default double; -DGEN_FLOAT for the `f` functions, -DGEN_LONG for the
 * `l` functions (x87 long double).
 *
 * argv: x1 x2 ... xn SPEC.  The numbers are the floating-point arguments, all marked as one
 * input array "in" (in order); SPEC is a comma-separated list of function names, each taking
 * its floating-point arguments from the numbers in turn.  `ldexp:N` and `scalbn:N` carry
 * their integer exponent N in SPEC (it is not an input).  Each call's results are stored in
 * the output array "out" (sincos: sin then cos; modf: fractional then integer part; frexp:
 * the mantissa) and printed one per line.  Every call is a direct call written in the
 * source (a switch over the function), so the compiler emits ordinary calls -- or inlines
 * the function where it knows how (fabs, copysign, sqrt...).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)

#if defined(GEN_FLOAT)
typedef float real;
#define SUF f
#define PARSE(s) strtof((s), 0)
#define PRINT(v) printf("%.9g\n", (double)(v))
#elif defined(GEN_LONG)
typedef long double real;
#define SUF l
#define PARSE(s) strtold((s), 0)
#define PRINT(v) printf("%.21Lg\n", (v))
#else
typedef double real;
#define SUF
#define PARSE(s) strtod((s), 0)
#define PRINT(v) printf("%.17g\n", (v))
#endif

#define F(name) XCAT(name, SUF)

/* name, number of floating-point arguments (the order is the switch's case numbers) */
static const struct {
    const char *name;
    int nargs;
} FUNCS[] = {
    {"sin", 1},   {"cos", 1},      {"tan", 1},     {"asin", 1},      {"acos", 1},
    {"atan", 1},  {"atan2", 2},    {"sinh", 1},    {"cosh", 1},      {"tanh", 1},
    {"asinh", 1}, {"acosh", 1},    {"atanh", 1},   {"exp", 1},       {"exp2", 1},
    {"exp10", 1}, {"expm1", 1},    {"log", 1},     {"log2", 1},      {"log10", 1},
    {"log1p", 1}, {"pow", 2},      {"sqrt", 1},    {"cbrt", 1},      {"hypot", 2},
    {"erf", 1},   {"erfc", 1},     {"lgamma", 1},  {"tgamma", 1},    {"fabs", 1},
    {"fmin", 2},  {"fmax", 2},     {"fdim", 2},    {"fmod", 2},      {"remainder", 2},
    {"copysign", 2}, {"floor", 1}, {"ceil", 1},    {"trunc", 1},     {"round", 1},
    {"rint", 1},  {"nearbyint", 1}, {"roundeven", 1}, {"ldexp", 1},  {"scalbn", 1},
    {"frexp", 1}, {"modf", 1},     {"sincos", 1},  {"fma", 3},
};
#define NFUNCS ((int)(sizeof(FUNCS) / sizeof(FUNCS[0])))

/* One call: arguments a (b, c), integer argument n; results into o; returns their count. */
static int call(int f, const real *x, int n, real *o)
{
    real a = x[0];
    switch (f) {
    case 0: o[0] = F(sin)(a); return 1;
    case 1: o[0] = F(cos)(a); return 1;
    case 2: o[0] = F(tan)(a); return 1;
    case 3: o[0] = F(asin)(a); return 1;
    case 4: o[0] = F(acos)(a); return 1;
    case 5: o[0] = F(atan)(a); return 1;
    case 6: o[0] = F(atan2)(a, x[1]); return 1;
    case 7: o[0] = F(sinh)(a); return 1;
    case 8: o[0] = F(cosh)(a); return 1;
    case 9: o[0] = F(tanh)(a); return 1;
    case 10: o[0] = F(asinh)(a); return 1;
    case 11: o[0] = F(acosh)(a); return 1;
    case 12: o[0] = F(atanh)(a); return 1;
    case 13: o[0] = F(exp)(a); return 1;
    case 14: o[0] = F(exp2)(a); return 1;
    case 15: o[0] = F(exp10)(a); return 1;
    case 16: o[0] = F(expm1)(a); return 1;
    case 17: o[0] = F(log)(a); return 1;
    case 18: o[0] = F(log2)(a); return 1;
    case 19: o[0] = F(log10)(a); return 1;
    case 20: o[0] = F(log1p)(a); return 1;
    case 21: o[0] = F(pow)(a, x[1]); return 1;
    case 22: o[0] = F(sqrt)(a); return 1;
    case 23: o[0] = F(cbrt)(a); return 1;
    case 24: o[0] = F(hypot)(a, x[1]); return 1;
    case 25: o[0] = F(erf)(a); return 1;
    case 26: o[0] = F(erfc)(a); return 1;
    case 27: o[0] = F(lgamma)(a); return 1;
    case 28: o[0] = F(tgamma)(a); return 1;
    case 29: o[0] = F(fabs)(a); return 1;
    case 30: o[0] = F(fmin)(a, x[1]); return 1;
    case 31: o[0] = F(fmax)(a, x[1]); return 1;
    case 32: o[0] = F(fdim)(a, x[1]); return 1;
    case 33: o[0] = F(fmod)(a, x[1]); return 1;
    case 34: o[0] = F(remainder)(a, x[1]); return 1;
    case 35: o[0] = F(copysign)(a, x[1]); return 1;
    case 36: o[0] = F(floor)(a); return 1;
    case 37: o[0] = F(ceil)(a); return 1;
    case 38: o[0] = F(trunc)(a); return 1;
    case 39: o[0] = F(round)(a); return 1;
    case 40: o[0] = F(rint)(a); return 1;
    case 41: o[0] = F(nearbyint)(a); return 1;
    case 42: o[0] = F(roundeven)(a); return 1;
    case 43: o[0] = F(ldexp)(a, n); return 1;
    case 44: o[0] = F(scalbn)(a, n); return 1;
    case 45: {
        int e;
        o[0] = F(frexp)(a, &e);
        return 1;
    }
    case 46: {
        real ip;
        o[0] = F(modf)(a, &ip);
        o[1] = ip;
        return 2;
    }
    case 47: F(sincos)(a, &o[0], &o[1]); return 2;
    case 48: o[0] = F(fma)(a, x[1], x[2]); return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s x1 ... xn SPEC\n", argv[0]);
        return 2;
    }
    int nin = argc - 2;
    real *in = calloc((size_t)nin + 1, sizeof(real));
    real *out = calloc(2 * (size_t)nin + 2, sizeof(real));
    for (int i = 0; i < nin; i++)
        in[i] = PARSE(argv[1 + i]);
    REVAD_INPUT_ARRAY(in, nin);

    char *spec = strdup(argv[argc - 1]);
    int used = 0, nout = 0;
    for (char *tok = strtok(spec, ","); tok; tok = strtok(0, ",")) {
        int n = 0;
        char *colon = strchr(tok, ':');
        if (colon) {
            *colon = 0;
            n = atoi(colon + 1);
        }
        int f = 0;
        while (f < NFUNCS && strcmp(FUNCS[f].name, tok) != 0)
            f++;
        if (f == NFUNCS || used + FUNCS[f].nargs > nin) {
            fprintf(stderr, "bad function or too few arguments: %s\n", tok);
            return 2;
        }
        nout += call(f, in + used, n, out + nout);
        used += FUNCS[f].nargs;
    }
    if (used != nin) {
        fprintf(stderr, "%d arguments unused\n", nin - used);
        return 2;
    }
    REVAD_OUTPUT_ARRAY(out, nout);
    for (int i = 0; i < nout; i++)
        PRINT(out[i]);
    free(spec);
    free(in);
    free(out);
    return 0;
}
