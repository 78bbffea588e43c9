/* Moves the generic integer handling used to miss: a C11 atomic add (lock cmpxchg), a
 * non-temporal store (movnti), a value written to a file and read back (warned: the
 * derivative cannot travel through the file), a float negated right after cvtsd2ss (no
 * false warning) and a constant below 2^52 added to an active value (ordinary derivative).
 * Input x; outputs y[0..4]; argv[2] is the scratch file. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <emmintrin.h>
#include <smmintrin.h>
#include "revad.h"
int main(int argc, char **argv) {
    double x = argc > 1 ? strtod(argv[1], 0) : 1.5;
    REVAD_INPUT(x);
    _Atomic double acc = 1.0;
    acc += 2.0 * x;                       /* lock cmpxchg loop */
    double y[5];
    y[0] = acc;
    long long bits;
    __builtin_memcpy(&bits, &x, 8);
    long long slot;
    _mm_stream_si64(&slot, bits);         /* movnti */
    double back;
    __builtin_memcpy(&back, &slot, 8);
    y[1] = back * 3.0;
    FILE *f = fopen(argc > 2 ? argv[2] : "rt.bin", "w+b");
    if (!f) return 2;
    double w = 4.0 * x, r = 0;
    fwrite(&w, sizeof w, 1, f);
    rewind(f);
    if (fread(&r, sizeof r, 1, f) != 1) return 1;
    y[2] = r;                              /* file round trip: warned */
    float xf = (float)x;
    y[3] = -(double)(xf) * 1.5;            /* cvtsd2ss then negation */
    y[4] = x + 1.7e15;                     /* constant below 2^52: ordinary derivative */
    REVAD_OUTPUT_ARRAY(y, 5);
    for (int i = 0; i < 5; i++) printf("%.17g\n", y[i]);
    return 0;
}
