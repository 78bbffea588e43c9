/* Struct-of-arrays particle simulation: N particles in 2-D with pairwise soft springs,
 * velocity Verlet steps, then qsort of particle records by a double key (kinetic energy),
 * and memcpy of records.  Inputs: px[N], py[N], k.  Outputs: the sorted energies, the
 * centre of mass, the total energy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

#define N 5
#define STEPS 20

struct soa { double x[N], y[N], vx[N], vy[N], fx[N], fy[N]; };
struct rec { int id; double key; double x, y; };

static int by_key(const void *a, const void *b)
{
    double ka = ((const struct rec *)a)->key, kb = ((const struct rec *)b)->key;
    return (ka > kb) - (ka < kb);
}

static void forces(struct soa *s, double k)
{
    memset(s->fx, 0, sizeof s->fx);
    memset(s->fy, 0, sizeof s->fy);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            double dx = s->x[j] - s->x[i], dy = s->y[j] - s->y[i];
            double r = sqrt(dx * dx + dy * dy + 0.01);
            double f = k * (r - 1.0) / r;
            s->fx[i] += f * dx;
            s->fy[i] += f * dy;
            s->fx[j] -= f * dx;
            s->fy[j] -= f * dy;
        }
}

int main(int argc, char **argv)
{
    struct soa s;
    double k = 1.3, dt = 0.05;
    double px[N] = {0.0, 1.1, 0.2, 1.4, 0.7}, py[N] = {0.0, 0.1, 1.2, 1.0, 0.55};
    for (int i = 1; i < argc && i <= 2 * N + 1; i++) {
        double v = strtod(argv[i], 0);
        if (i <= N) px[i - 1] = v;
        else if (i <= 2 * N) py[i - 1 - N] = v;
        else k = v;
    }
    REVAD_INPUT_ARRAY(px, N);
    REVAD_INPUT_ARRAY(py, N);
    REVAD_INPUT(k);
    memcpy(s.x, px, sizeof px);
    memcpy(s.y, py, sizeof py);
    memset(s.vx, 0, sizeof s.vx);
    memset(s.vy, 0, sizeof s.vy);
    forces(&s, k);
    for (int t = 0; t < STEPS; t++) {
        for (int i = 0; i < N; i++) {
            s.vx[i] += 0.5 * dt * s.fx[i];
            s.vy[i] += 0.5 * dt * s.fy[i];
            s.x[i] += dt * s.vx[i];
            s.y[i] += dt * s.vy[i];
        }
        forces(&s, k);
        for (int i = 0; i < N; i++) {
            s.vx[i] += 0.5 * dt * s.fx[i];
            s.vy[i] += 0.5 * dt * s.fy[i];
        }
    }
    struct rec r[N];
    double etot = 0.0, cx = 0.0, cy = 0.0;
    for (int i = 0; i < N; i++) {
        struct rec tmp = {i, 0.5 * (s.vx[i] * s.vx[i] + s.vy[i] * s.vy[i]), s.x[i], s.y[i]};
        memcpy(&r[i], &tmp, sizeof tmp);
        etot += tmp.key;
        cx += s.x[i] / N;
        cy += s.y[i] / N;
    }
    qsort(r, N, sizeof r[0], by_key);
    double keys[N];
    for (int i = 0; i < N; i++) keys[i] = r[i].key;
    REVAD_OUTPUT_ARRAY(keys, N);
    REVAD_OUTPUT(cx);
    REVAD_OUTPUT(cy);
    REVAD_OUTPUT(etot);
    for (int i = 0; i < N; i++) printf("%.17g\n", keys[i]);
    printf("%.17g\n%.17g\n%.17g\n", cx, cy, etot);
    return 0;
}
