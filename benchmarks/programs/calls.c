/* Functions for benchmarks/bench_call.py (built as a shared library). */
double energy(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i] * x[i];
    return s;
}

/* The recurrence of scalar_loop.c as a function: 5 FP operations per iteration. */
double scalar_loop(double x, long n)
{
    double y = x;
    for (long i = 0; i < n; i++)
        y = (0.5 * y + x) / (1.0 + y * y);
    return y;
}
