// No marks: C++ functions in a namespace, an overload set, a member function, a global.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace phys {
double damping = 0.1;

__attribute__((noinline)) double energy(double m, double v) { return 0.5 * m * v * v; }
__attribute__((noinline)) double scale(double x) { return x * (1.0 - damping); }
__attribute__((noinline)) float scale(float x) { return x * 0.5f; }

struct Body {
    double m, v;
    __attribute__((noipa)) double momentum(double dt) const { return m * v * std::exp(-dt); }
};
}  // namespace phys

int main(int argc, char **argv)
{
    double m = std::atof(argv[1]), v = std::atof(argv[2]);
    std::vector<double> e;
    for (int k = 0; k < 3; k++) {
        e.push_back(phys::energy(m, v));
        v = phys::scale(v);
    }
    phys::Body b{m, v};
    float f = phys::scale(static_cast<float>(v));
    std::printf("%.17g %.17g %.17g %.17g %.9g\n", e[0], e[1], e[2], b.momentum(0.5), f);
    return 0;
}
