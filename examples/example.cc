// Example: revad.h from C++ (kinds are picked by overloads: float, double, long double).
//
//   g++ -O2 -std=c++17 -I<revad_emu>/include example.cc -o example_cpp
#include <cstdio>
#include <vector>

#include "revad.h"

template <class T>
T horner(const std::vector<T> &c, T x)
{
    T p = 0;
    for (auto it = c.rbegin(); it != c.rend(); ++it)
        p = p * x + *it;
    return p;
}

int main()
{
    std::vector<double> c = {1.0, -2.0, 0.5};
    float t = 0.75f;
    REVAD_INPUT_NAMED("c", c.data(), c.size());
    REVAD_INPUT(t);  // a float input
    double p = horner(c, static_cast<double>(t));
    REVAD_OUTPUT(p);
    std::printf("%.17g\n", p);
    return 0;
}
