/* Recursion (power by squaring, a continued fraction) and calls through a table of
 * function pointers.  Inputs x a b; three outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double ipow(double x, int n)
{
    if (n == 0)
        return 1.0;
    double h = ipow(x, n / 2);
    return (n % 2) ? h * h * x : h * h;
}

static double cfrac(double x, int depth)
{
    return depth == 0 ? 1.0 : 1.0 + x / cfrac(x, depth - 1);
}

typedef double (*binop)(double, double);
static double op_add(double a, double b) { return a + b; }
static double op_mul(double a, double b) { return a * b; }
static double op_hyp(double a, double b) { return sqrt(a * a + b * b); }
static double op_sub(double a, double b) { return a - b; }
static double op_div(double a, double b) { return a / b; }

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.8;
    double a = argc > 2 ? strtod(argv[2], 0) : 1.5;
    double b = argc > 3 ? strtod(argv[3], 0) : 0.6;
    REVAD_INPUT(x);
    REVAD_INPUT(a);
    REVAD_INPUT(b);

    double p7 = ipow(x, 7);
    double cf = cfrac(x, 25);

    static const binop ops[] = {op_add, op_mul, op_hyp, op_sub, op_div, op_mul};
    const binop *volatile table = ops; /* keep the indirect calls indirect */
    double acc = a;
    for (int k = 0; k < 6; k++)
        acc = table[k](acc, b);

    REVAD_OUTPUT(p7);
    REVAD_OUTPUT(cf);
    REVAD_OUTPUT(acc);
    printf("%.17g\n%.17g\n%.17g\n", p7, cf, acc);
    return 0;
}
