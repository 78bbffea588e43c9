/* Benchmark (b): explicit 2-D reaction-diffusion (Fisher-KPP) solver on an NX x NY grid,
 *
 *     u_t = D (u_xx + u_yy) + r u (1 - u),
 *
 * forward Euler with the 5-point Laplacian (unit spacing), boundary cells held fixed.
 * The initial field is the input array; the sum of the final field is the output.
 * Usage: heat2d NX NY STEPS [K H]: optionally add H to initial cell K (finite differences).
 * Prints the sum with %.17g. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    int nx = argc > 1 ? atoi(argv[1]) : 64;
    int ny = argc > 2 ? atoi(argv[2]) : 64;
    int steps = argc > 3 ? atoi(argv[3]) : 50;
    long k = argc > 4 ? atol(argv[4]) : -1;
    double h = argc > 5 ? strtod(argv[5], 0) : 0.0;
    const double D = 0.2, r = 0.5, dt = 0.2;
    double *u = malloc(sizeof(double) * (size_t)nx * (size_t)ny);
    double *v = malloc(sizeof(double) * (size_t)nx * (size_t)ny);
    if (!u || !v)
        return 1;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            double a = (i + 0.5) / nx - 0.5, b = (j + 0.5) / ny - 0.4;
            u[i * ny + j] = 0.9 / (1.0 + 30.0 * (a * a + b * b)) + 0.01 * ((i * 7 + j * 3) % 5);
        }
    if (k >= 0 && k < (long)nx * ny)
        u[k] += h;
    REVAD_INPUT_ARRAY(u, nx * ny);
    for (int i = 0; i < nx * ny; i++)
        v[i] = u[i];
    for (int s = 0; s < steps; s++) {
        for (int i = 1; i < nx - 1; i++) {
            const double *up = u + (i - 1) * ny, *uc = u + i * ny, *un = u + (i + 1) * ny;
            double *vc = v + i * ny;
            for (int j = 1; j < ny - 1; j++) {
                double c = uc[j];
                double lap = up[j] + un[j] + uc[j - 1] + uc[j + 1] - 4.0 * c;
                vc[j] = c + dt * (D * lap + r * c * (1.0 - c));
            }
        }
        double *t = u;
        u = v;
        v = t;
    }
    double total = 0.0;
    for (int i = 0; i < nx * ny; i++)
        total += u[i];
    REVAD_OUTPUT(total);
    printf("%.17g\n", total);
    free(u);
    free(v);
    return 0;
}
