// C++ standard library numerics: std::vector, std::accumulate, std::inner_product,
// std::transform with lambdas, std::sort with a comparator on doubles, std::max_element,
// std::partial_sum and a std::function callback.
// Inputs: v[8], alpha.  Outputs: total, inner, sorted[0..2], maxel, psum_last, cb.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <vector>

#include "revad.h"

static double apply_twice(const std::function<double(double)> &f, double x) { return f(f(x)); }

int main(int argc, char **argv)
{
    std::vector<double> v = {0.3, -1.2, 2.5, 0.9, -0.6, 1.7, -2.2, 0.45};
    double alpha = 0.8;
    for (int i = 1; i < argc && i <= 8; i++) v[i - 1] = std::strtod(argv[i], nullptr);
    if (argc > 9) alpha = std::strtod(argv[9], nullptr);
    REVAD_INPUT_NAMED("v", v.data(), v.size());
    REVAD_INPUT(alpha);

    std::vector<double> w(v.size());
    std::transform(v.begin(), v.end(), w.begin(),
                   [alpha](double a) { return alpha * a * a - a / (1.0 + alpha); });
    double total = std::accumulate(w.begin(), w.end(), 0.0);
    double inner = std::inner_product(v.begin(), v.end(), w.begin(), 1.0);
    std::vector<double> s = w;
    std::sort(s.begin(), s.end(), [](double a, double b) { return a > b; });
    double sorted[3] = {s[0], s[1], s[2]};
    double maxel = *std::max_element(v.begin(), v.end(),
                                     [](double a, double b) { return a * a < b * b; });
    std::vector<double> ps(v.size());
    std::partial_sum(w.begin(), w.end(), ps.begin(), [alpha](double a, double b) {
        return a * (1.0 - 0.1 * alpha) + b;
    });
    double psum_last = ps.back();
    double cb = apply_twice([&](double t) { return t * t * alpha + v[0]; }, v[1]);

    REVAD_OUTPUT(total);
    REVAD_OUTPUT(inner);
    REVAD_OUTPUT_ARRAY(sorted, 3);
    REVAD_OUTPUT(maxel);
    REVAD_OUTPUT(psum_last);
    REVAD_OUTPUT(cb);
    std::printf("%.17g\n%.17g\n", total, inner);
    for (double d : sorted) std::printf("%.17g\n", d);
    std::printf("%.17g\n%.17g\n%.17g\n", maxel, psum_last, cb);
    return 0;
}
