/* Active doubles carried by data moves only: struct copies, memcpy, an overlapping memmove,
 * qsort, union type punning (double <-> uint64_t, no arithmetic) and a trip through an
 * int64_t variable.  Inputs v[0..4]; eight outputs (five of them a permutation of v). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

struct pair {
    double a;
    double b;
    int tag;
};

static int cmp_double(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    double v[5] = {0.9, -1.7, 2.3, 0.4, 1.1};
    for (int i = 0; i < 5 && i + 1 < argc; i++)
        v[i] = strtod(argv[i + 1], 0);
    REVAD_INPUT_ARRAY(v, 5);

    /* struct assignment, twice */
    struct pair p = {v[0], v[1], 7}, q, arr[3];
    q = p;
    arr[2] = q;

    /* memcpy into the middle of a buffer, then an overlapping memmove to its start */
    double buf[8] = {0};
    memcpy(buf + 1, v, 5 * sizeof(double));
    memmove(buf, buf + 1, 5 * sizeof(double));
    qsort(buf, 5, sizeof(double), cmp_double);

    /* union punning: the bits go through a uint64_t and come back */
    union {
        double d;
        uint64_t u;
    } pun, back;
    pun.d = v[2];
    uint64_t bits = pun.u;
    back.u = bits;

    /* a double carried in an int64_t (volatile: it must sit in an integer slot) */
    int64_t i64;
    memcpy(&i64, &v[3], sizeof i64);
    volatile int64_t carried = i64;
    int64_t j64 = carried;
    double via_int;
    memcpy(&via_int, &j64, sizeof via_int);

    double out[8];
    out[0] = arr[2].a * arr[2].b;
    for (int i = 0; i < 5; i++)
        out[1 + i] = buf[i];
    out[6] = back.d * 3.0;
    out[7] = via_int - v[4];
    REVAD_OUTPUT_ARRAY(out, 8);
    for (int i = 0; i < 8; i++)
        printf("%.17g\n", out[i]);
    return 0;
}
