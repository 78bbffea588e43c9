/* Deep and branchy recursion: Ackermann, Fibonacci, recursive quicksort, Hanoi. */
#include <stdio.h>

static unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static void quicksort(double *a, int lo, int hi)
{
    if (lo >= hi) return;
    double p = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
        while (a[i] < p) i++;
        while (a[j] > p) j--;
        if (i <= j) {
            double t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

static long hanoi(int n, int from, int to, int via)
{
    if (n == 0) return 0;
    return hanoi(n - 1, from, via, to) + 1 + hanoi(n - 1, via, to, from);
}

static int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }

int main(void)
{
    printf("ack(2,3)=%lu ack(3,3)=%lu\n", ack(2, 3), ack(3, 3));
    printf("fib(20)=%ld\n", fib(20));
    double a[1000];
    unsigned s = 7;
    for (int i = 0; i < 1000; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (double)(s >> 4) / 1e6 - 100;
    }
    quicksort(a, 0, 999);
    int ok = 1;
    for (int i = 1; i < 1000; i++) ok &= a[i - 1] <= a[i];
    printf("quicksort ok=%d first=%.17g last=%.17g\n", ok, a[0], a[999]);
    printf("hanoi(12)=%ld depth(20000)=%d\n", hanoi(12, 1, 3, 2), depth(20000));
    return 0;
}
