/* Damped driven pendulum integrated with RK4: theta'' = -(g/L) sin(theta) - c theta'
 * + A cos(w t).  Inputs: theta0, omega0, gl, c.  Outputs: theta, omega, energy,
 * x = L sin(theta), y = -L cos(theta). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

struct st { double th, om; };

static double gl_, c_;

static struct st rhs(struct st s, double t)
{
    struct st d = {s.om, -gl_ * sin(s.th) - c_ * s.om + 0.3 * cos(0.7 * t)};
    return d;
}

int main(int argc, char **argv)
{
    double theta0 = 0.8, omega0 = 0.1, gl = 9.81, c = 0.15;
    if (argc > 1) theta0 = strtod(argv[1], 0);
    if (argc > 2) omega0 = strtod(argv[2], 0);
    if (argc > 3) gl = strtod(argv[3], 0);
    if (argc > 4) c = strtod(argv[4], 0);
    REVAD_INPUT(theta0);
    REVAD_INPUT(omega0);
    REVAD_INPUT(gl);
    REVAD_INPUT(c);
    gl_ = gl;
    c_ = c;
    struct st s = {theta0, omega0};
    double h = 0.02, t = 0.0;
    for (int n = 0; n < 150; n++) {
        struct st k1 = rhs(s, t);
        struct st k2 = rhs((struct st){s.th + 0.5 * h * k1.th, s.om + 0.5 * h * k1.om}, t + h / 2);
        struct st k3 = rhs((struct st){s.th + 0.5 * h * k2.th, s.om + 0.5 * h * k2.om}, t + h / 2);
        struct st k4 = rhs((struct st){s.th + h * k3.th, s.om + h * k3.om}, t + h);
        s.th += h / 6 * (k1.th + 2 * k2.th + 2 * k3.th + k4.th);
        s.om += h / 6 * (k1.om + 2 * k2.om + 2 * k3.om + k4.om);
        t += h;
    }
    double theta = s.th, omega = s.om;
    double energy = 0.5 * omega * omega + gl * (1.0 - cos(theta));
    double x = sin(theta), y = -cos(theta);
    REVAD_OUTPUT(theta);
    REVAD_OUTPUT(omega);
    REVAD_OUTPUT(energy);
    REVAD_OUTPUT(x);
    REVAD_OUTPUT(y);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", theta, omega, energy, x, y);
    return 0;
}
