/* A small "physics" library for examples/functions.ipynb. */
#include <math.h>

double energy(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += 0.5 * x[i] * x[i] + 0.1 * cos(3.0 * x[i]);
    return s;
}

void step(const double *u, double *v, double dt, int n)
{
    for (int i = 0; i < n; i++)
        v[i] = u[i] - dt * (u[i] - 0.3 * sin(3.0 * u[i]));
}
