/* Cholesky of A = B B^T + n I, solve A x = b, log det */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "revad.h"
#define N 5
int main(int argc, char **argv) {
    double p[3] = {0.3, -0.8, 1.1};
    for (int i = 0; i < 3 && i + 1 < argc; i++) p[i] = strtod(argv[i + 1], 0);
    REVAD_INPUT_ARRAY(p, 3);
    double B[N][N], A[N][N], L[N][N], b[N], y[N], x[N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) B[i][j] = cos(i + 2.0 * j) * p[(i + j) % 3] + (i == j);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = (i == j) ? N : 0.0;
            for (int k = 0; k < N; k++) s += B[i][k] * B[j][k];
            A[i][j] = s;
        }
    memset(L, 0, sizeof L);
    for (int j = 0; j < N; j++) {
        double s = A[j][j];
        for (int k = 0; k < j; k++) s -= L[j][k] * L[j][k];
        L[j][j] = sqrt(s);
        for (int i = j + 1; i < N; i++) {
            double t = A[i][j];
            for (int k = 0; k < j; k++) t -= L[i][k] * L[j][k];
            L[i][j] = t / L[j][j];
        }
    }
    for (int i = 0; i < N; i++) b[i] = 1.0 + i * p[0];
    for (int i = 0; i < N; i++) { double s = b[i]; for (int k = 0; k < i; k++) s -= L[i][k] * y[k]; y[i] = s / L[i][i]; }
    for (int i = N - 1; i >= 0; i--) { double s = y[i]; for (int k = i + 1; k < N; k++) s -= L[k][i] * x[k]; x[i] = s / L[i][i]; }
    double out[N + 1];
    memcpy(out, x, sizeof x);
    out[N] = 0; for (int i = 0; i < N; i++) out[N] += 2 * log(L[i][i]);
    REVAD_OUTPUT_ARRAY(out, N + 1);
    for (int i = 0; i <= N; i++) printf("%.17g\n", out[i]);
    return 0;
}
