/* A size-less mark, then copies before the first floating-point read: memcpy into another
 * variable, and through an integer (a union, i.e. integer registers; for long double its
 * 10 bytes as a 64-bit and a 16-bit integer).  y = b*b + c with b, c copies of a:
 * dy/da = 2a + 1.  Prints y. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_requests.h"

#ifndef T
#define T double
#endif

__attribute__((noinline)) static void copy_int(T *dst, const T *src)
{
    union {
        T v;
        uint64_t q[2];
        uint32_t w[4];
    } from, to;
    memset(&to, 0, sizeof to);
    memcpy(&from, src, sizeof(T));
    if (sizeof(T) == 4)
        to.w[0] = from.w[0];
    else {
        to.q[0] = from.q[0];
        if (sizeof(T) > 8)
            to.w[2] = from.w[2] & 0xFFFF;  /* sign and exponent of a long double */
    }
    memcpy(dst, &to, sizeof(T));
}

int main(int argc, char **argv)
{
    T a = (T)(argc > 1 ? strtod(argv[1], 0) : 1.25);
    T b, c;
    DG_INPUTF(a);
    memcpy(&b, &a, sizeof a);
    copy_int(&c, &a);
    T y = b * b + c;
    DG_OUTPUTF(y);
    printf("%.17g\n", (double)y);
    return 0;
}
