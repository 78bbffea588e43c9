/* Floating-point bit tricks on the value's bit pattern in integer registers (T: double or
 * float, -DT=...).  Inputs x, y; outputs, in order:
 *   neg  = x with the sign bit flipped by xor                 d/dx = -1
 *   absv = x with the sign bit cleared by and                 d/dx = sign(x)
 *   cps  = copysign(x, y) by integer masks                    d/dx = sign(x) sign(y), d/dy = 0
 *   up   = x * 2^3 by adding 3 to the exponent field          d/dx = 8
 *   down = x / 4 by subtracting 2 from the exponent field     d/dx = 1/4
 *   bytes = x encoded byte by byte (shifts, byte stores), decoded (shifts, or)   d/dx = 1
 *   swap = x through two byte swaps                           d/dx = 1
 *   nabs = x with the sign bit set by or (-|x|)               d/dx = -sign(x)
 * With a third argument "drop": one more output, x's bits plus one (the next float up),
 * which no rule covers: its derivative is dropped with a warning. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

#ifndef T
#define T double
#endif

#if defined(T_IS_FLOAT)
typedef uint32_t U;
#define SIGN 0x80000000u
#define MANT 23
#else
typedef uint64_t U;
#define SIGN 0x8000000000000000ull
#define MANT 52
#endif

static volatile U k3 = 3, k2 = 2; /* exponent steps the compiler cannot fold */

__attribute__((noinline)) static U bits(T v)
{
    U u;
    memcpy(&u, &v, sizeof u);
    return u;
}

__attribute__((noinline)) static T value(U u)
{
    T v;
    memcpy(&v, &u, sizeof v);
    return v;
}

__attribute__((noinline)) static T through_bytes(T v)
{
    unsigned char b[sizeof(U)];
    U u = bits(v), w = 0;
    for (unsigned i = 0; i < sizeof(U); i++)
        b[i] = (unsigned char)(u >> (8 * i));
    for (unsigned i = 0; i < sizeof(U); i++)
        w |= (U)b[i] << (8 * i);
    return value(w);
}

__attribute__((noinline)) static T through_bswap(T v)
{
#if defined(T_IS_FLOAT)
    return value(__builtin_bswap32(__builtin_bswap32(bits(v))));
#else
    return value(__builtin_bswap64(__builtin_bswap64(bits(v))));
#endif
}

int main(int argc, char **argv)
{
    T x = (T)(argc > 1 ? strtod(argv[1], 0) : 1.5);
    T y = (T)(argc > 2 ? strtod(argv[2], 0) : -0.25);
    int drop = argc > 3 && !strcmp(argv[3], "drop");
    REVAD_INPUT(x);
    REVAD_INPUT(y);
    T neg = value(bits(x) ^ SIGN);
    T absv = value(bits(x) & ~SIGN);
    T cps = value((bits(x) & ~SIGN) | (bits(y) & SIGN));
    T up = value(bits(x) + (k3 << MANT));
    T down = value(bits(x) - (k2 << MANT));
    T byt = through_bytes(x);
    T swap = through_bswap(x);
    T nabs = value(bits(x) | SIGN);
    REVAD_OUTPUT(neg);
    REVAD_OUTPUT(absv);
    REVAD_OUTPUT(cps);
    REVAD_OUTPUT(up);
    REVAD_OUTPUT(down);
    REVAD_OUTPUT(byt);
    REVAD_OUTPUT(swap);
    REVAD_OUTPUT(nabs);
    printf("%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", (double)neg, (double)absv,
           (double)cps, (double)up, (double)down, (double)byt, (double)swap, (double)nabs);
    if (drop) {
        T next = value(bits(x) + 1);
        REVAD_OUTPUT(next);
        printf("%.17g\n", (double)next);
    }
    return 0;
}
