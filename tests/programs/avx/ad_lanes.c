/* Derivatives through AVX2/FMA lane operations: 8 double inputs flow through 256-bit
 * permutes, blends (immediate and by a run-time mask), a gather, masked loads/stores,
 * broadcasts, horizontal adds, packed FMA with three active operands, sign-mask negation and
 * fabs, float<->double conversions, sqrt, min/max; every output lane is printed (%.17g) and
 * marked.  Usage: ad_lanes x0 .. x7. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

static double out[64];
static int nout;

static void put(__m256d v)
{
    _mm256_storeu_pd(out + nout, v);
    nout += 4;
}

int main(int argc, char **argv)
{
    double x[8];
    for (int i = 0; i < 8; i++) {
        x[i] = argc > i + 1 ? atof(argv[i + 1]) : 0.5 + i;
        REVAD_INPUT(x[i]);
    }
    __m256d a = _mm256_loadu_pd(x), b = _mm256_loadu_pd(x + 4);
    put(_mm256_permute4x64_pd(a, 0x1b));
    put(_mm256_permute2f128_pd(a, b, 0x21));
    put(_mm256_blendv_pd(a, b, _mm256_sub_pd(a, b)));
    static const long long idx[4] = {7, 2, 5, 0};
    put(_mm256_i64gather_pd(x, _mm256_loadu_si256((const __m256i *)idx), 8));
    put(_mm256_maskload_pd(x + 2, _mm256_set_epi64x(-1, 0, -1, -1)));
    put(_mm256_hadd_pd(a, b));
    put(_mm256_fmadd_pd(a, b, _mm256_permute_pd(a, 0x5)));   /* x*y + z, all active */
    put(_mm256_fnmsub_pd(a, a, b));                          /* -(x*x) - y */
    put(_mm256_xor_pd(a, _mm256_set1_pd(-0.0)));             /* negation */
    put(_mm256_and_pd(_mm256_sub_pd(a, b), _mm256_castsi256_pd(
        _mm256_set1_epi64x(0x7fffffffffffffffLL))));         /* fabs */
    put(_mm256_cvtps_pd(_mm256_cvtpd_ps(_mm256_mul_pd(a, b))));
    put(_mm256_sqrt_pd(_mm256_mul_pd(b, b)));
    put(_mm256_max_pd(_mm256_min_pd(a, b), _mm256_set1_pd(1.0)));
    put(_mm256_broadcastsd_pd(_mm256_castpd256_pd128(_mm256_div_pd(b, a))));
    double st[4] = {0, 0, 0, 0};
    _mm256_maskstore_pd(st, _mm256_set_epi64x(0, -1, -1, 0), _mm256_mul_pd(a, a));
    put(_mm256_loadu_pd(st));
    for (int i = 0; i < nout; i++) {
        REVAD_OUTPUT(out[i]);
        printf("%.17g\n", out[i]);
    }
    return 0;
}
