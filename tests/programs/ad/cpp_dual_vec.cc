// Templates and operator overloading: a forward-mode Dual number class evaluates f and f'
// through a function template, and a Vec3<T> class template does cross and dot products.
// Inputs x, p[3], q[3]; outputs f(x), f'(x), (2 p x q + p)[0..2], p . (q - p).
#include <cstdio>
#include <cstdlib>

#include "revad.h"

struct Dual {
    double v, d;
};
static Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
static Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
static Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
static Dual operator/(Dual a, Dual b)
{
    return {a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)};
}
static Dual operator*(double s, Dual a) { return {s * a.v, s * a.d}; }
static Dual operator+(Dual a, double s) { return {a.v + s, a.d}; }
static Dual operator/(double s, Dual a) { return Dual{s, 0.0} / a; }

template <class T>
T f(T x)
{
    return x * x * x + 2.0 * x - 1.0 / (x + 3.0);
}

template <class T>
struct Vec3 {
    T x, y, z;
    Vec3 operator+(const Vec3 &o) const { return {x + o.x, y + o.y, z + o.z}; }
    Vec3 operator-(const Vec3 &o) const { return {x - o.x, y - o.y, z - o.z}; }
    Vec3 operator*(T s) const { return {x * s, y * s, z * s}; }
};
template <class T>
T dot(const Vec3<T> &a, const Vec3<T> &b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
template <class T>
Vec3<T> cross(const Vec3<T> &a, const Vec3<T> &b)
{
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

int main(int argc, char **argv)
{
    double in[7] = {0.7, 1.0, -0.5, 2.0, 0.3, 1.2, -0.8};
    for (int i = 0; i < 7 && i + 1 < argc; i++)
        in[i] = std::strtod(argv[i + 1], nullptr);
    double x = in[0];
    Vec3<double> p{in[1], in[2], in[3]}, q{in[4], in[5], in[6]};
    REVAD_INPUT(x);
    REVAD_INPUT_NAMED("p", &p.x, 3);
    REVAD_INPUT_NAMED("q", &q.x, 3);

    Dual fx = f(Dual{x, 1.0});
    Vec3<double> c = cross(p, q) * 2.0 + p;
    double d = dot(p, q - p);

    double out[6] = {fx.v, fx.d, c.x, c.y, c.z, d};
    REVAD_OUTPUT_ARRAY(out, 6);
    for (double t : out)
        std::printf("%.17g\n", t);
    return 0;
}
