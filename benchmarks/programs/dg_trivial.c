/* Start-up benchmark: the least a marked program can do.  One input, one multiplication,
 * one output, marked with Derivgrind's client requests (valgrind/derivgrind.h), so the same
 * binary runs under revad_emu and under Derivgrind.  Usage: dg_trivial [X]; prints X*X. */
#include <stdio.h>
#include <stdlib.h>

#include <valgrind/derivgrind.h>

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 1.5;
    DG_INPUTF(x);
    double y = x * x;
    DG_OUTPUTF(y);
    printf("%.17g\n", y);
    return 0;
}
