/* Active values in every kind of storage: globals, a static local, a _Thread_local, the
 * stack, a small and a large (mmap-sized) heap block, and realloc moving data.
 * Inputs x y z; five outputs. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

#define NHEAP 20000 /* 160 KB: above glibc's mmap threshold */

static double g_scale = 1.0;
double g_table[4];
static _Thread_local double t_acc;

static double accumulate(double v)
{
    static double total;
    total += v;
    return total;
}

int main(int argc, char **argv)
{
    double x = argc > 1 ? strtod(argv[1], 0) : 0.8;
    double y = argc > 2 ? strtod(argv[2], 0) : 1.7;
    double z = argc > 3 ? strtod(argv[3], 0) : -0.6;
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    REVAD_INPUT(z);

    g_scale = x * y;
    for (int i = 0; i < 4; i++)
        g_table[i] = g_scale * (i + 1) + z;

    double *h = malloc(NHEAP * sizeof *h);
    if (!h)
        return 1;
    for (int i = 0; i < NHEAP; i++)
        h[i] = g_table[i % 4] * 1e-3;
    double heap_sum = 0.0;
    for (int i = 0; i < NHEAP; i++)
        heap_sum += h[i];
    free(h);

    t_acc = 0.0;
    for (int i = 0; i < 4; i++)
        t_acc += g_table[i] * z;
    double tls = t_acc;

    double stack_arr[16];
    for (int i = 0; i < 16; i++)
        stack_arr[i] = t_acc / (i + 1);
    double stack_sum = 0.0;
    for (int i = 0; i < 16; i++)
        stack_sum += stack_arr[i];

    accumulate(x);
    double stat = accumulate(y * z);

    double *r = malloc(2 * sizeof *r);
    if (!r)
        return 1;
    r[0] = x - z;
    r[1] = y;
    double *r2 = realloc(r, 40000 * sizeof *r);
    if (!r2)
        return 1;
    r2[39999] = r2[0] * r2[1];
    double moved = r2[39999];
    free(r2);

    REVAD_OUTPUT(heap_sum);
    REVAD_OUTPUT(tls);
    REVAD_OUTPUT(stack_sum);
    REVAD_OUTPUT(stat);
    REVAD_OUTPUT(moved);
    printf("%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n", heap_sum, tls, stack_sum, stat, moved);
    return 0;
}
