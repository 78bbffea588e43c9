// std::vector, std::transform with a lambda, std::sort, std::accumulate, std::inner_product
// and vector growth (reallocation moves active doubles).  Inputs v[0..4]; seven outputs.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "revad.h"

int main(int argc, char **argv)
{
    std::vector<double> v = {0.3, -1.2, 2.5, 0.9, -0.6};
    for (std::size_t i = 0; i < v.size() && static_cast<int>(i) + 1 < argc; i++)
        v[i] = std::strtod(argv[i + 1], nullptr);
    REVAD_INPUT_NAMED("v", v.data(), v.size());

    std::vector<double> w(v.size());
    std::transform(v.begin(), v.end(), w.begin(), [](double t) { return t * t - 0.5 * t; });
    std::sort(w.begin(), w.end());
    double total = std::accumulate(w.begin(), w.end(), 0.0);
    double inner = std::inner_product(v.begin(), v.end(), w.begin(), 0.0);

    std::vector<double> grown;  // starts empty: push_back reallocates several times
    for (double t : w)
        grown.push_back(2.0 * t);
    for (double t : v)
        grown.push_back(t);
    std::sort(grown.begin(), grown.end(), [](double a, double b) { return a > b; });

    std::vector<double> out(w.begin(), w.end());
    out.push_back(total);
    out.push_back(inner);
    out.push_back(grown.front() - grown.back());
    REVAD_OUTPUT_NAMED("out", out.data(), out.size());
    for (double t : out)
        std::printf("%.17g\n", t);
    return 0;
}
