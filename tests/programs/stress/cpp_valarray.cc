// std::valarray arithmetic: elementwise expressions, apply, sum, shift, slices, and
// std::sqrt / std::exp over a valarray (libm through libstdc++ templates).
// Inputs: a[6], b[6].  Outputs: c (6), s, sl (3), e.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <valarray>

#include "revad.h"

int main(int argc, char **argv)
{
    double ain[6] = {0.5, 1.25, -0.75, 2.0, 0.3, 1.1};
    double bin[6] = {1.5, 0.4, 0.9, -1.3, 2.2, 0.7};
    for (int i = 1; i < argc && i <= 12; i++) {
        if (i <= 6) ain[i - 1] = std::strtod(argv[i], nullptr);
        else bin[i - 7] = std::strtod(argv[i], nullptr);
    }
    REVAD_INPUT_ARRAY(ain, 6);
    REVAD_INPUT_ARRAY(bin, 6);
    std::valarray<double> a(ain, 6), b(bin, 6);
    std::valarray<double> c = a * b + 2.0 * a - b / (a * a + 1.0);
    c = c.apply([](double t) { return t * t * 0.5 + t; });
    std::valarray<double> sh = c.shift(1) + c.cshift(-1);
    double s = (sh * a).sum();
    std::valarray<double> sl = a[std::slice(0, 3, 2)];
    sl *= b[std::slice(1, 3, 2)];
    std::valarray<double> e = std::exp(a * 0.5) + std::sqrt(b * b + 1.0);
    double esum = e.sum();
    double cout_[6], slout[3];
    for (int i = 0; i < 6; i++) cout_[i] = c[i];
    for (int i = 0; i < 3; i++) slout[i] = sl[i];
    REVAD_OUTPUT_ARRAY(cout_, 6);
    REVAD_OUTPUT(s);
    REVAD_OUTPUT_ARRAY(slout, 3);
    REVAD_OUTPUT(esum);
    for (double d : cout_) std::printf("%.17g\n", d);
    std::printf("%.17g\n", s);
    for (double d : slout) std::printf("%.17g\n", d);
    std::printf("%.17g\n", esum);
    return 0;
}
