/* SSE2/SSE3/SSE4.1 data movement and arithmetic through intrinsics (compiled with -msse4.1,
 * no VEX): each output is a simple function of the inputs a[0..3] (doubles) and
 * f[0..3] (floats) so that the Jacobian is known exactly. */
#include <pmmintrin.h>
#include <smmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revad.h"

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
    __m128 u = _mm_loadu_ps(f);
    double out[16];
    float fo[9];
    __m128d h = _mm_hadd_pd(x, y);        /* a0+a1, a2+a3 */
    __m128d s = _mm_hsub_pd(x, y);        /* a0-a1, a2-a3 */
    __m128d as = _mm_addsub_pd(x, y);     /* a0-a2, a1+a3 */
    __m128d sh = _mm_shuffle_pd(x, y, 1); /* a1, a2 */
    __m128d bl = _mm_blend_pd(x, y, 2);   /* a0, a3 */
    __m128d dup = _mm_movedup_pd(y);      /* a2, a2 */
    __m128d hi = _mm_unpackhi_pd(x, y);   /* a1, a3 */
    __m128d mul = _mm_mul_pd(x, y);       /* a0*a2, a1*a3 */
    _mm_storeu_pd(out + 0, h);
    _mm_storeu_pd(out + 2, s);
    _mm_storeu_pd(out + 4, as);
    _mm_storeu_pd(out + 6, sh);
    _mm_storeu_pd(out + 8, bl);
    _mm_storeu_pd(out + 10, dup);
    _mm_storeu_pd(out + 12, hi);
    _mm_storeu_pd(out + 14, mul);
    __m128 hf = _mm_hadd_ps(u, u);                       /* f0+f1, f2+f3, f0+f1, f2+f3 */
    __m128 ins = _mm_insert_ps(u, u, (3 << 6) | (0 << 4)); /* f3, f1, f2, f3 */
    __m128 shf = _mm_shuffle_ps(u, u, _MM_SHUFFLE(0, 1, 2, 3)); /* f3, f2, f1, f0 */
    _mm_storel_pi((__m64 *)fo, hf);
    _mm_storel_pi((__m64 *)(fo + 2), ins);
    _mm_storeu_ps(fo + 4, shf);
    int bits = _mm_extract_ps(u, 2); /* extractps: the float's bits, moved, not converted */
    memcpy(&fo[8], &bits, sizeof bits);
    REVAD_OUTPUT_ARRAY(out, 16);
    REVAD_OUTPUT_ARRAY(fo, 9);
    for (int i = 0; i < 16; i++)
        printf("%.17g\n", out[i]);
    for (int i = 0; i < 9; i++)
        printf("%.9g\n", (double)fo[i]);
    return 0;
}
