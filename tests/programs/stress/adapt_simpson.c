/* Recursive adaptive Simpson quadrature of integrands chosen through function pointers,
 * with a parameter block passed as void*.  Inputs: a, b (interval), k (parameter).
 * Outputs: I1 = int_a^b exp(-k x^2) dx, I2 = int_a^b x sin(k x) dx, I3 = int of a
 * composed integrand g(f(x)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

typedef double (*fn)(double, const void *);

struct par { double k; fn inner; const void *inner_par; };

static double gauss(double x, const void *p) { return exp(-((const struct par *)p)->k * x * x); }
static double xsin(double x, const void *p) { return x * sin(((const struct par *)p)->k * x); }
static double compose(double x, const void *p)
{
    const struct par *q = p;
    double f = q->inner(x, q->inner_par);
    return f * f + q->k * x;
}

static double simpson(fn f, const void *p, double a, double b, double fa, double fm, double fb,
                      double whole, int depth)
{
    double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
    double flm = f(lm, p), frm = f(rm, p);
    double left = (m - a) / 6 * (fa + 4 * flm + fm);
    double right = (b - m) / 6 * (fm + 4 * frm + fb);
    if (depth <= 0) return left + right;
    return simpson(f, p, a, m, fa, flm, fm, left, depth - 1) +
           simpson(f, p, m, b, fm, frm, fb, right, depth - 1);
    (void)whole;
}

static double integrate(fn f, const void *p, double a, double b, int depth)
{
    double fa = f(a, p), fb = f(b, p), fm = f(0.5 * (a + b), p);
    return simpson(f, p, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), depth);
}

int main(int argc, char **argv)
{
    double a = 0.2, b = 1.7, k = 0.9;
    if (argc > 1) a = strtod(argv[1], 0);
    if (argc > 2) b = strtod(argv[2], 0);
    if (argc > 3) k = strtod(argv[3], 0);
    REVAD_INPUT(a);
    REVAD_INPUT(b);
    REVAD_INPUT(k);
    struct par pg = {k, 0, 0}, ps = {k, 0, 0};
    struct par pc = {0.5 * k, xsin, &ps};
    fn table[3] = {gauss, xsin, compose};
    const void *pars[3] = {&pg, &ps, &pc};
    double I[3];
    for (int i = 0; i < 3; i++) I[i] = integrate(table[i], pars[i], a, b, 6);
    REVAD_OUTPUT_ARRAY(I, 3);
    for (int i = 0; i < 3; i++) printf("%.17g\n", I[i]);
    return 0;
}
