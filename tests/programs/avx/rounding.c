/* VEX arithmetic under every rounding mode (fesetround): results printed as hex bytes, for
 * comparing the CPU with revad_emu's exact directed rounding (rounding.py). */
#include <fenv.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void hex(const char *name, int mode, const void *p, int n)
{
    const unsigned char *b = p;
    printf("%s/%d:", name, mode);
    for (int i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}
#define P(name, v) do { __typeof__(v) t_ = (v); hex(name, m, &t_, sizeof t_); } while (0)

static volatile double D[8] = {0.1, 3.0, -1e308, 1e308, 2.5e-308, -7e-320, 1.0 / 3.0, -0.0};
static volatile float S[8] = {0.1f, 3.0f, -3e38f, 3e38f, 1e-38f, -1e-44f, 1.0f / 3.0f, 7.0f};
static volatile int64_t Q[2] = {0x7ffffffffffffbffLL, -0x1234567890abcdfLL};

int main(void)
{
    static const int modes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        __m256d a = _mm256_set_pd(D[3], D[2], D[1], D[0]);
        __m256d b = _mm256_set_pd(D[7], D[6], D[5], D[4]);
        __m256 fa = _mm256_set_ps(S[7], S[6], S[5], S[4], S[3], S[2], S[1], S[0]);
        __m256 fb = _mm256_set_ps(S[0], S[1], S[2], S[3], S[4], S[5], S[6], S[7]);
        P("add", _mm256_add_pd(a, b)); P("sub", _mm256_sub_pd(b, a));
        P("mul", _mm256_mul_pd(a, a)); P("div", _mm256_div_pd(b, a));
        P("sqrt", _mm256_sqrt_pd(_mm256_set_pd(2.0, D[6], D[4], D[1])));
        P("fma", _mm256_fmadd_pd(a, b, a)); P("fnmsub", _mm256_fnmsub_pd(a, a, b));
        P("addps", _mm256_add_ps(fa, fb)); P("mulps", _mm256_mul_ps(fa, fb));
        P("divps", _mm256_div_ps(fa, fb)); P("fmaps", _mm256_fmadd_ps(fa, fb, fa));
        P("addsd", _mm_add_sd(_mm256_castpd256_pd128(a), _mm256_castpd256_pd128(b)));
        P("cvtpd2ps", _mm256_cvtpd_ps(a)); P("cvtsd2ss", _mm_cvtsd_ss(_mm_setzero_ps(),
                                                                      _mm_set_sd(D[6])));
        P("cvtsd2si", _mm_cvtsd_si64(_mm_set_sd(D[0] * 25)));
        P("cvtsi2sd", _mm_cvtsi64_sd(_mm_setzero_pd(), Q[0]));
        P("cvtsi2ss", _mm_cvtsi64_ss(_mm_setzero_ps(), Q[1]));
        P("roundcur", _mm256_round_pd(_mm256_mul_pd(a, _mm256_set1_pd(10.0)),
                                      _MM_FROUND_CUR_DIRECTION));
        P("zero", _mm256_sub_pd(a, a));
    }
    return 0;
}
