/* Classical RK4 on the damped Duffing oscillator y'' + c y' + k y + eps y^3 = 0.
 * Inputs y0 v0 k c; outputs y(T), v(T) and the energy at T. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

struct params {
    double k, c, eps;
};

static void rhs(const double *s, double *ds, const struct params *p)
{
    ds[0] = s[1];
    ds[1] = -p->c * s[1] - p->k * s[0] - p->eps * s[0] * s[0] * s[0];
}

static void rk4(double *s, double dt, int steps, const struct params *p)
{
    double k1[2], k2[2], k3[2], k4[2], tmp[2];
    for (int n = 0; n < steps; n++) {
        rhs(s, k1, p);
        for (int i = 0; i < 2; i++)
            tmp[i] = s[i] + 0.5 * dt * k1[i];
        rhs(tmp, k2, p);
        for (int i = 0; i < 2; i++)
            tmp[i] = s[i] + 0.5 * dt * k2[i];
        rhs(tmp, k3, p);
        for (int i = 0; i < 2; i++)
            tmp[i] = s[i] + dt * k3[i];
        rhs(tmp, k4, p);
        for (int i = 0; i < 2; i++)
            s[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

int main(int argc, char **argv)
{
    double y0 = argc > 1 ? strtod(argv[1], 0) : 1.0;
    double v0 = argc > 2 ? strtod(argv[2], 0) : 0.0;
    double k = argc > 3 ? strtod(argv[3], 0) : 2.0;
    double c = argc > 4 ? strtod(argv[4], 0) : 0.3;
    REVAD_INPUT(y0);
    REVAD_INPUT(v0);
    REVAD_INPUT(k);
    REVAD_INPUT(c);

    struct params p = {k, c, 0.5};
    double s[2] = {y0, v0};
    rk4(s, 0.01, 300, &p);
    double y = s[0], v = s[1];
    double energy = 0.5 * v * v + 0.5 * k * y * y + 0.25 * p.eps * y * y * y * y;

    REVAD_OUTPUT(y);
    REVAD_OUTPUT(v);
    REVAD_OUTPUT(energy);
    printf("%.17g\n%.17g\n%.17g\n", y, v, energy);
    return 0;
}
