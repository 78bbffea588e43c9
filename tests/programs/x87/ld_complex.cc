// std::complex<long double>: complex products and quotients (libgcc's __divxc3), real and
// imaginary parts, |z| (a long double libm call) on the x87 stack.
// Inputs x y; outputs re, im, abs of the final accumulator.
#include <complex>
#include <cstdio>
#include <cstdlib>

#include "revad.h"

int main(int argc, char **argv)
{
    long double x = argc > 1 ? std::strtold(argv[1], 0) : 0.6L;
    long double y = argc > 2 ? std::strtold(argv[2], 0) : -0.4L;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    std::complex<long double> z(x, y), w(y, -x), acc(1.0L, 0.0L);
    for (int i = 0; i < 30; i++)
        acc = acc * z / (w + acc * 0.5L) + z;
    long double out[3] = {acc.real(), acc.imag(), std::abs(acc)};
    REVAD_OUTPUT_ARRAY(out, 3);
    for (int i = 0; i < 3; i++)
        std::printf("%.20Lg\n", out[i]);
    return 0;
}
