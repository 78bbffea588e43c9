/* Dense matrix-matrix multiply and LU with partial pivoting.
 * Inputs: A (N*N, row major), b (N).  C = A * A^T + diag(d) with d = N; solve C x = b;
 * outputs: x (N), trace(C), det(C) (from the LU factors). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N 6

static void matmul_nt(const double *A, const double *B, double *C, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) C[i * n + j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[j * n + k];
        }
}

static double lu_solve(double *M, double *rhs, double *x, int n)
{
    double det = 1.0;
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(M[r * n + c]) > fabs(M[p * n + c])) p = r;
        if (p != c) {
            for (int j = 0; j < n; j++) {
                double t = M[c * n + j];
                M[c * n + j] = M[p * n + j];
                M[p * n + j] = t;
            }
            double t = rhs[c];
            rhs[c] = rhs[p];
            rhs[p] = t;
            det = -det;
        }
        det *= M[c * n + c];
        for (int r = c + 1; r < n; r++) {
            double f = M[r * n + c] / M[c * n + c];
            M[r * n + c] = f;
            for (int j = c + 1; j < n; j++) M[r * n + j] -= f * M[c * n + j];
            rhs[r] -= f * rhs[c];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = rhs[i];
        for (int j = i + 1; j < n; j++) s -= M[i * n + j] * x[j];
        x[i] = s / M[i * n + i];
    }
    return det;
}

int main(int argc, char **argv)
{
    double A[N * N], b[N], C[N * N], x[N];
    for (int i = 0; i < N * N; i++) A[i] = 0.1 * ((i * 7) % 11) - 0.4 + (i % (N + 1) == 0);
    for (int i = 0; i < N; i++) b[i] = 1.0 + 0.25 * i;
    for (int i = 1; i < argc && i <= N * N + N; i++) {
        if (i <= N * N) A[i - 1] = strtod(argv[i], 0);
        else b[i - 1 - N * N] = strtod(argv[i], 0);
    }
    REVAD_INPUT_ARRAY(A, N * N);
    REVAD_INPUT_ARRAY(b, N);
    matmul_nt(A, A, C, N);
    double tr = 0.0;
    for (int i = 0; i < N; i++) {
        C[i * N + i] += 0.5 * N;
        tr += C[i * N + i];
    }
    double det = lu_solve(C, b, x, N);
    REVAD_OUTPUT_ARRAY(x, N);
    REVAD_OUTPUT(tr);
    REVAD_OUTPUT(det);
    for (int i = 0; i < N; i++) printf("%.17g\n", x[i]);
    printf("%.17g\n%.17g\n", tr, det);
    return 0;
}
