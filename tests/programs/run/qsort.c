/* qsort of doubles and of structs, with a deterministic pseudo-random input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

struct rec {
    char name[12];
    int key;
    double weight;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return cmp_double(&x->weight, &y->weight);
}

int main(void)
{
    enum { N = 2000, M = 500 };
    static double d[N];
    for (int i = 0; i < N; i++) d[i] = (double)(int64_t)next() / 3.0e15;
    qsort(d, N, sizeof d[0], cmp_double);
    int sorted = 1;
    for (int i = 1; i < N; i++) sorted &= d[i - 1] <= d[i];
    printf("doubles sorted=%d min=%.17g median=%.17g max=%.17g\n", sorted, d[0], d[N / 2],
           d[N - 1]);
    static struct rec r[M];
    for (int i = 0; i < M; i++) {
        uint64_t x = next();
        snprintf(r[i].name, sizeof r[i].name, "n%03u", (unsigned)(x % 997));
        r[i].key = (int)(x >> 40) % 17;
        r[i].weight = (double)(x >> 11) * 0x1p-53;
    }
    qsort(r, M, sizeof r[0], cmp_rec);
    for (int i = 0; i < M; i += 50) printf("%3d %s %2d %.17g\n", i, r[i].name, r[i].key, r[i].weight);
    int ok = 1;
    for (int i = 1; i < M; i++) ok &= cmp_rec(&r[i - 1], &r[i]) <= 0;
    printf("structs sorted=%d\n", ok);
    return 0;
}
