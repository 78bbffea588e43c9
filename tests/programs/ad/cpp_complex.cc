// std::complex<double>: product, quotient (libgcc's __divdc3 unless -ffast-math), norm and
// a short quadratic iteration t <- t^2 + 0.3 z.  Inputs a b c d (z = a+ib, w = c+id).
#include <complex>
#include <cstdio>
#include <cstdlib>

#include "revad.h"

int main(int argc, char **argv)
{
    double in[4] = {0.6, -0.4, 1.3, 0.9};
    for (int i = 0; i < 4 && i + 1 < argc; i++)
        in[i] = std::strtod(argv[i + 1], nullptr);
    REVAD_INPUT_NAMED("a,b,c,d", in, 4);

    std::complex<double> z(in[0], in[1]), w(in[2], in[3]);
    std::complex<double> m = z * w;
    std::complex<double> q = z / w;
    std::complex<double> s = z * z + w;
    std::complex<double> t = 0.0;
    for (int k = 0; k < 6; k++)
        t = t * t + 0.3 * z;

    double out[7] = {m.real(), m.imag(), q.real(), q.imag(), std::norm(s), t.real(), t.imag()};
    REVAD_OUTPUT_ARRAY(out, 7);
    for (double v : out)
        std::printf("%.17g\n", v);
    return 0;
}
