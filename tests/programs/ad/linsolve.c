/* Dense 4x4 linear solve A x = b by Gaussian elimination with partial pivoting (the default
 * matrix needs row swaps).  Inputs: A row by row (16), then b (4); outputs x (4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define N 4

static void solve(double A[N][N], double b[N], double x[N])
{
    for (int col = 0; col < N; col++) {
        int piv = col;
        for (int r = col + 1; r < N; r++)
            if (fabs(A[r][col]) > fabs(A[piv][col]))
                piv = r;
        if (piv != col) {
            for (int j = 0; j < N; j++) {
                double t = A[col][j];
                A[col][j] = A[piv][j];
                A[piv][j] = t;
            }
            double t = b[col];
            b[col] = b[piv];
            b[piv] = t;
        }
        for (int r = col + 1; r < N; r++) {
            double f = A[r][col] / A[col][col];
            for (int j = col; j < N; j++)
                A[r][j] -= f * A[col][j];
            b[r] -= f * b[col];
        }
    }
    for (int i = N - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < N; j++)
            s -= A[i][j] * x[j];
        x[i] = s / A[i][i];
    }
}

int main(int argc, char **argv)
{
    double A[N][N] = {{0.5, 2.0, 1.0, -1.0},
                      {3.0, 1.0, -0.5, 2.0},
                      {1.0, -2.5, 4.0, 0.5},
                      {-1.5, 0.5, 1.0, 3.5}};
    double b[N] = {1.0, -2.0, 0.5, 3.0};
    double x[N];
    for (int k = 0; k < N * N + N; k++) {
        if (k + 1 >= argc)
            break;
        double v = strtod(argv[k + 1], 0);
        if (k < N * N)
            A[k / N][k % N] = v;
        else
            b[k - N * N] = v;
    }
    REVAD_INPUT_NAMED("A", &A[0][0], N * N);
    REVAD_INPUT_ARRAY(b, N);
    solve(A, b, x);
    REVAD_OUTPUT_ARRAY(x, N);
    for (int i = 0; i < N; i++)
        printf("%.17g\n", x[i]);
    return 0;
}
