/* Functions called one at a time from Python by tests/test_functions.py. */
#include <math.h>
#include <stddef.h>

static int counter = 0;
static double scale = 0.0;

/* A constructor: calls must see its effect (scale = 1). */
__attribute__((constructor)) static void init_scale(void) { scale = 1.0; counter = 100; }

double energy(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += scale * x[i] * x[i];
    return s;
}

void step(const double *u, double *v, double dt, int n)
{
    for (int i = 0; i < n; i++)
        v[i] = u[i] + dt * sin(u[i]) * exp(-u[i] * u[i]);
}

/* In/out array: the entry values of v are read. */
void axpy(double a, const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = a * x[i] + y[i];
}

float fnorm2(const float *x, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrtf(s);
}

long double lpoly(long double x, const long double *c, int n)
{
    long double s = 0.0L;
    for (int i = n - 1; i >= 0; i--)
        s = s * x + c[i];
    return s;
}

/* More arguments than registers: doubles 9 and 10 and ints 7 and 8 go on the stack. */
double many(double a, double b, double c, double d, double e, double f, double g, double h,
            double i, double j, int k1, int k2, int k3, int k4, int k5, int k6, int k7, int k8)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j
           + (k1 + k2 + k3 + k4 + k5 + k6) * 0.5 + k7 * 100.0 + k8 * 1000.0;
}

int count(void) { return ++counter; }

_Bool positive(double x) { return x > 0; }

long isum(const int *a, int n, char c)
{
    long s = c;
    for (int i = 0; i < n; i++)
        s += a[i];
    return s;
}

double crash(const double *x, int n)
{
    volatile double *p = (double *)(size_t)n; /* n = 0: a NULL pointer */
    *p = x[0];
    return x[0];
}

double spin(double x)
{
    volatile double y = x;
    for (;;)
        y = y * 1.0000001;
    return y;
}

/* Negation by flipping the sign bit with integer arithmetic: a bit trick that loses the
 * derivative (revad_emu must say so). */
double negbits(double x)
{
    union { double d; unsigned long u; } v = {x};
    v.u += 1ul << 63;
    return v.d;
}

/* The next double up: no derivative rule can see what adding 1 to the bits means. */
double nudgebits(double x)
{
    union { double d; unsigned long u; } v = {x};
    v.u += 1;
    return v.d;
}

/* In-place outputs of the narrower and wider floating-point types. */
void fscale(float *y, float a, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = a * y[i] * y[i];
}

void lscale(long double *y, long double a, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = a * y[i] * y[i];
}

/* Output through the C library: the text must reach Python's stdout. */
#include <stdio.h>
#include <unistd.h>
double shout(double x)
{
    char buf[64];
    int k = snprintf(buf, sizeof buf, "shout %.3f\n", x);
    write(1, buf, k);
    return 2 * x;
}

/* Heap memory inside a call (brk for small blocks, mmap for large ones), never freed: every
 * call starts from the loaded state, so nothing accumulates. */
#include <stdlib.h>
double heap_sum(const double *x, int n, int copies)
{
    double s = 0.0;
    for (int c = 0; c < copies; c++) {
        double *y = malloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++)
            y[i] = x[i] * (c + 1);
        for (int i = 0; i < n; i++)
            s += y[i];
    }
    return s;
}
