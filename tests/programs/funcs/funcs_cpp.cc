// C++ with extern "C" entry points; a static object's constructor runs at load time.
#include <cmath>
#include <vector>

namespace {
struct Weights {
    std::vector<double> w;
    Weights() : w{1.0, 100.0} {}
};
Weights weights;
}  // namespace

extern "C" double rosen(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i];
        double b = weights.w[0] - x[i];
        s += weights.w[1] * a * a + b * b;
    }
    return s;
}

extern "C" void softmax(const double *x, double *y, int n)
{
    std::vector<double> e(n);
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        e[i] = std::exp(x[i]);
        s += e[i];
    }
    for (int i = 0; i < n; i++)
        y[i] = e[i] / s;
}
