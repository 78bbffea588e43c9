// C++ features a value may travel through: std::function and lambdas calling <cmath>,
// an exception thrown and caught mid-computation, std::map keyed by passive doubles holding
// active values, std::inner_product/std::accumulate, a template instantiated for double and
// long double, a virtual call, and std::swap on a struct.
// Inputs: x0..x3.  Outputs: o[0..5].
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "revad.h"

struct Shape {
    virtual ~Shape() = default;
    virtual double area(double s) const = 0;
};
struct Square : Shape {
    double area(double s) const override { return s * s; }
};
struct Circle : Shape {
    double area(double s) const override { return M_PI * s * s; }
};

template <typename T> T poly(T x) { return (T(0.5) * x + T(1.25)) * x - std::sqrt(x + T(2)); }

static double checked_log(double v)
{
    if (v <= 0.0) throw std::domain_error("log of a non-positive number");
    return std::log(v);
}

struct Pair {
    double a, b;
};

int main(int argc, char **argv)
{
    double x[4] = {0.7, 1.4, -0.3, 2.2};
    for (int i = 0; i < 4 && i + 1 < argc; i++) x[i] = std::strtod(argv[i + 1], nullptr);
    REVAD_INPUT_ARRAY(x, 4);
    double o[6];
    std::vector<std::function<double(double)>> fs = {
        [](double t) { return std::sin(t) * std::exp(-t); },
        [](double t) { return std::atan(t) + std::cosh(0.5 * t); },
        [k = x[3]](double t) { return std::pow(std::fabs(t) + 1.0, 0.5) * k; }};
    o[0] = 0.0;
    for (size_t i = 0; i < fs.size(); i++) o[0] += fs[i](x[i]);
    double guarded = 0.0;
    for (int i = 0; i < 4; i++) {
        try {
            guarded += checked_log(x[i]);
        } catch (const std::domain_error &) {
            guarded += x[i] * x[i];  // x2 < 0 takes this path
        }
    }
    o[1] = guarded;
    std::map<double, double> m;
    for (int i = 0; i < 4; i++) m[std::cos(1.0 + i)] = x[i] * (i + 1);  // passive keys
    double w = 1.0, acc = 0.0;
    for (const auto &kv : m) {
        acc += w * kv.second;
        w += 0.5;
    }
    o[2] = acc;
    std::vector<double> v(x, x + 4), u = {1.0, -2.0, 0.5, 3.0};
    o[3] = std::inner_product(v.begin(), v.end(), u.begin(), 0.0) +
           std::accumulate(v.begin(), v.end(), 0.0, [](double s, double t) { return s + t * t; });
    o[4] = poly(x[1]) + double(poly((long double)x[3]));
    Square sq;
    Circle ci;
    const Shape *shapes[2] = {&sq, &ci};
    Pair p{x[0], x[1]}, q{x[2], x[3]};
    std::swap(p, q);
    o[5] = shapes[0]->area(p.a) + shapes[1]->area(q.b);
    REVAD_OUTPUT_ARRAY(o, 6);
    for (double t : o) std::printf("%.17g\n", t);
    return 0;
}
