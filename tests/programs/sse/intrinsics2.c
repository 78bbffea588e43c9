/* SSE4.1/SSSE3 dot products, variable blends, word blends and byte shuffles through
 * intrinsics (compiled with -msse4.1, no VEX): each output is a simple function of the inputs
 * a[0..3] (doubles) and f[0..3] (floats) so that the Jacobian is known exactly. With a 9th
 * argument "split", also blends/shuffles that cut a double in pieces (outputs "sp"). */
#include <smmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

/* Hide a constant from the optimizer, so that masks are really computed at run time and
 * the instructions under test are really emitted. */
#define OPAQUE(v) __asm__("" : "+x"(v))

int main(int argc, char **argv)
{
    double a[4];
    float f[4];
    for (int i = 0; i < 4; i++) {
        a[i] = argc > 1 + i ? strtod(argv[1 + i], 0) : 1.0 + i;
        f[i] = (float)(argc > 5 + i ? strtod(argv[5 + i], 0) : 0.5 + i);
    }
    REVAD_INPUT_ARRAY(a, 4);
    REVAD_INPUT_ARRAY(f, 4);
    __m128d x = _mm_loadu_pd(a), y = _mm_loadu_pd(a + 2);
    __m128i xi = _mm_castpd_si128(x), yi = _mm_castpd_si128(y);
    __m128 u = _mm_loadu_ps(f);
    __m128 r = _mm_shuffle_ps(u, u, _MM_SHUFFLE(0, 1, 2, 3)); /* f3, f2, f1, f0 */
    double out[21];
    float fo[16];

    __m128d c = _mm_setr_pd(2.0, -3.0);
    _mm_storeu_pd(out + 0, _mm_dp_pd(x, y, 0x31)); /* a0*a2 + a1*a3, 0 */
    _mm_storeu_pd(out + 2, _mm_dp_pd(x, x, 0x33)); /* a0^2 + a1^2 twice */
    _mm_storeu_pd(out + 4, _mm_dp_pd(x, y, 0x12)); /* 0, a0*a2 */
    _mm_storel_pd(out + 6, _mm_dp_pd(x, c, 0x31)); /* 2 a0 - 3 a1 */

    __m128d k1 = _mm_setr_pd(1.0, 5.0), k2 = _mm_setr_pd(2.0, 3.0);
    OPAQUE(k1);
    OPAQUE(k2);
    __m128d m = _mm_cmplt_pd(k1, k2);  /* true, false */
    __m128d mr = _mm_cmplt_pd(k2, k1); /* false, true */
    _mm_storeu_pd(out + 7, _mm_blendv_pd(x, y, m)); /* a2, a1 */
    _mm_storeu_pd(out + 9, _mm_castsi128_pd(_mm_blendv_epi8(xi, yi, _mm_castpd_si128(mr))));
    /* a0, a3 */
    _mm_storeu_pd(out + 11, _mm_castsi128_pd(_mm_blend_epi16(xi, yi, 0xF0))); /* a0, a3 */
    _mm_storeu_pd(out + 13, _mm_castsi128_pd(_mm_blend_epi16(xi, yi, 0x0F))); /* a2, a1 */

    __m128i swap = _mm_setr_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    __m128i zero_hi = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -128, -1, -1, -1, -1, -1, -1, -1);
    __m128i dup_hi = _mm_setr_epi8(8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
    OPAQUE(swap);
    OPAQUE(zero_hi);
    OPAQUE(dup_hi);
    _mm_storeu_pd(out + 15, _mm_castsi128_pd(_mm_shuffle_epi8(xi, swap)));    /* a1, a0 */
    _mm_storeu_pd(out + 17, _mm_castsi128_pd(_mm_shuffle_epi8(xi, zero_hi))); /* a0, 0 */
    _mm_storeu_pd(out + 19, _mm_castsi128_pd(_mm_shuffle_epi8(yi, dup_hi)));  /* a3, a3 */

    __m128 c4 = _mm_setr_ps(1.0f, 2.0f, 3.0f, 4.0f);
    _mm_storeu_ps(fo + 0, _mm_dp_ps(u, r, 0xF1)); /* 2 (f0 f3 + f1 f2), 0, 0, 0 */
    _mm_storeu_ps(fo + 4, _mm_dp_ps(u, c4, 0x7F)); /* f0 + 2 f1 + 3 f2 in every lane */
    _mm_storeu_ps(fo + 8, _mm_dp_ps(u, u, 0x55)); /* f0^2 + f2^2, 0, f0^2 + f2^2, 0 */
    __m128 q1 = _mm_setr_ps(1.0f, 5.0f, 5.0f, 1.0f), q2 = _mm_set1_ps(2.0f);
    OPAQUE(q1);
    OPAQUE(q2);
    _mm_storeu_ps(fo + 12, _mm_blendv_ps(u, r, _mm_cmplt_ps(q1, q2))); /* f3, f1, f2, f0 */

    REVAD_OUTPUT_ARRAY(out, 21);
    REVAD_OUTPUT_ARRAY(fo, 16);
    for (int i = 0; i < 21; i++)
        printf("%.17g\n", out[i]);
    for (int i = 0; i < 16; i++)
        printf("%.9g\n", (double)fo[i]);

    if (argc > 9 && strcmp(argv[9], "split") == 0) {
        double sp[4];
        __m128i halves = _mm_setr_epi8(4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15);
        OPAQUE(halves);
        /* low 4 bytes of a2 with the high 4 of a0, then a1 */
        _mm_storeu_pd(sp + 0, _mm_castsi128_pd(_mm_blend_epi16(xi, yi, 0x03)));
        /* a0 with its halves swapped, then a1 */
        _mm_storeu_pd(sp + 2, _mm_castsi128_pd(_mm_shuffle_epi8(xi, halves)));
        REVAD_OUTPUT_ARRAY(sp, 4);
        for (int i = 0; i < 4; i++)
            printf("%.17g\n", sp[i]);
    }
    return 0;
}
