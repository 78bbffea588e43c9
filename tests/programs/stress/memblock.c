/* memset / memcpy / memmove / struct assignment of active data, a ring buffer shifted
 * with memmove, and an active array copied through a char buffer and a union.
 * Inputs: v[6].  Outputs: r[6] (after shifting), ring sum, through-union value, s2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

#define N 6

struct state { double a[N]; double scale; int n; };

__attribute__((noinline)) static struct state make(const double *v, double scale)
{
    struct state s;
    memset(&s, 0, sizeof s);
    memcpy(s.a, v, sizeof s.a);
    s.scale = scale;
    s.n = N;
    return s;
}

int main(int argc, char **argv)
{
    double v[N] = {1.5, -0.25, 2.0, 0.75, -1.25, 0.5};
    for (int i = 1; i < argc && i <= N; i++) v[i - 1] = strtod(argv[i], 0);
    REVAD_INPUT_ARRAY(v, N);

    struct state s = make(v, v[0] * v[1]);
    struct state t = s;             /* struct copy */
    for (int i = 0; i < N; i++) t.a[i] *= t.scale + i;
    double ring[2 * N];
    memset(ring, 0, sizeof ring);
    memcpy(ring + N, t.a, sizeof t.a);
    for (int k = 0; k < 3; k++) {
        memmove(ring + 1, ring, (2 * N - 1) * sizeof(double));  /* shift right by one */
        ring[0] = ring[2 * N - 1] * 0.5 + v[k];
    }
    double rsum = 0.0;
    for (int i = 0; i < 2 * N; i++) rsum += ring[i] * (i + 1);
    unsigned char buf[sizeof(double) * N];
    memcpy(buf, ring + 3, sizeof buf);
    double r[N];
    memcpy(r, buf, sizeof r);
    union { double d; unsigned long long u; char c[8]; } un;
    un.d = r[2] * v[3];
    char tmp[8];
    memcpy(tmp, un.c, 8);
    double thru;
    memcpy(&thru, tmp, 8);
    double s2[2];
    memset(s2, 0, sizeof s2);
    s2[1] = thru + rsum;
    memmove(s2, s2 + 1, sizeof(double));
    REVAD_OUTPUT_ARRAY(r, N);
    REVAD_OUTPUT(rsum);
    REVAD_OUTPUT(thru);
    REVAD_OUTPUT(s2[0]);
    for (int i = 0; i < N; i++) printf("%.17g\n", r[i]);
    printf("%.17g\n%.17g\n%.17g\n", rsum, thru, s2[0]);
    return 0;
}
