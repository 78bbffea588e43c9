/* One result per VEX instruction family, printed as hex bytes, for comparing the CPU with
 * revad_emu's VEX executor bit for bit.  Inputs include signed zeros, subnormals, infinities,
 * NaNs (with payloads) and values whose products round, so rounding, NaN propagation and
 * min/max operand order all show.  Built with -O1 -mavx2 -mfma -mbmi -mbmi2 (intrinsics
 * map to one instruction each, -mf16c for the half conversions; volatile loads keep the compiler from folding them). */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void hex(const char *name, const void *p, int n)
{
    const unsigned char *b = p;
    printf("%s:", name);
    for (int i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}
#define P(name, v) do { __typeof__(v) t_ = (v); hex(name, &t_, sizeof t_); } while (0)

static volatile double D[16] = {1.5, -2.25, 0.0, -0.0, 1e-310, -3e-320, 1e308, 3.0,
                                0.1, 1.0 / 3.0, 7.0, -1e-5, 2.5, -0.5, 123456.789, 1e-3};
static volatile float S[16] = {1.5f, -2.25f, 0.0f, -0.0f, 1e-40f, -3e-41f, 3e38f, 3.0f,
                               0.1f, 1.0f / 3.0f, 7.0f, -1e-5f, 2.5f, -0.5f, 12345.6f, 1e-3f};
static volatile int64_t Q[8] = {1, -2, 0x7fffffffffffffffLL, 3, 0x123456789abcdefLL, -7, 42,
                                0};

static __m256d ld(int k) { return _mm256_set_pd(D[k + 3], D[k + 2], D[k + 1], D[k]); }
static __m256 lf(int k)
{
    return _mm256_set_ps(S[k + 7], S[k + 6], S[k + 5], S[k + 4], S[k + 3], S[k + 2],
                         S[k + 1], S[k]);
}

int main(void)
{
    double nanv;
    uint64_t nb = 0x7ff0000000000123ULL; /* signalling NaN with a payload */
    memcpy(&nanv, &nb, 8);
    D[15] = nanv;
    __m256d a = ld(0), b = ld(4), c = ld(8), d = ld(12);
    __m256 fa = lf(0), fb = lf(8);
    __m128d a2 = _mm256_castpd256_pd128(a), b2 = _mm256_castpd256_pd128(b);
    __m128d c2 = _mm256_castpd256_pd128(c), d2 = _mm256_extractf128_pd(d, 1);
    __m128 fa4 = _mm256_castps256_ps128(fa), fb4 = _mm256_castps256_ps128(fb);
    __m256i ia = _mm256_set_epi64x(Q[3], Q[2], Q[1], Q[0]);
    __m256i ib = _mm256_set_epi64x(Q[7], Q[6], Q[5], Q[4]);

    /* arithmetic */
    P("addpd", _mm256_add_pd(a, b)); P("subpd", _mm256_sub_pd(c, d));
    P("mulpd", _mm256_mul_pd(c, d)); P("divpd", _mm256_div_pd(c, b));
    P("minpd", _mm256_min_pd(a, b)); P("maxpd", _mm256_max_pd(b, a));
    P("minpd_nan", _mm256_min_pd(d, c)); P("maxpd_nan", _mm256_max_pd(c, d));
    P("sqrtpd", _mm256_sqrt_pd(c)); P("sqrtpd_neg", _mm256_sqrt_pd(a));
    P("addps", _mm256_add_ps(fa, fb)); P("mulps", _mm256_mul_ps(fa, fb));
    P("divps", _mm256_div_ps(fb, fa)); P("sqrtps", _mm256_sqrt_ps(fb));
    P("minps", _mm256_min_ps(fa, fb)); P("maxps", _mm256_max_ps(fa, fb));
    P("addsd", _mm_add_sd(a2, c2)); P("mulsd", _mm_mul_sd(c2, d2));
    P("divsd", _mm_div_sd(c2, a2)); P("sqrtsd", _mm_sqrt_sd(a2, c2));
    P("minsd", _mm_min_sd(a2, b2)); P("maxss", _mm_max_ss(fa4, fb4));
    P("addss", _mm_add_ss(fa4, fb4)); P("divss", _mm_div_ss(fb4, fa4));
    P("nan_add", _mm256_add_pd(d, a)); P("nan_add2", _mm256_add_pd(a, d));
    P("inf_sub", _mm256_sub_pd(_mm256_set1_pd(1e308 * 10), _mm256_set1_pd(1e308 * 10)));
    P("haddpd", _mm256_hadd_pd(a, c)); P("hsubpd", _mm256_hsub_pd(c, d));
    P("haddps", _mm256_hadd_ps(fa, fb)); P("addsubpd", _mm256_addsub_pd(c, d));
    P("addsubps", _mm256_addsub_ps(fa, fb));
    P("dpps", _mm256_dp_ps(fa, fb, 0xf1)); P("dppd", _mm_dp_pd(c2, d2, 0x31));
    /* FMA */
    P("fmadd_pd", _mm256_fmadd_pd(c, d, a)); P("fmsub_pd", _mm256_fmsub_pd(c, d, b));
    P("fnmadd_pd", _mm256_fnmadd_pd(c, a, d)); P("fnmsub_pd", _mm256_fnmsub_pd(a, c, b));
    P("fmaddsub_pd", _mm256_fmaddsub_pd(c, d, a)); P("fmsubadd_pd", _mm256_fmsubadd_pd(c, d, a));
    P("fmadd_ps", _mm256_fmadd_ps(fa, fb, fa)); P("fmsub_ps", _mm256_fmsub_ps(fb, fb, fa));
    P("fnmadd_ps", _mm256_fnmadd_ps(fa, fb, fb)); P("fmaddsub_ps", _mm256_fmaddsub_ps(fa, fb, fb));
    P("fmadd_sd", _mm_fmadd_sd(c2, d2, a2)); P("fnmsub_sd", _mm_fnmsub_sd(c2, a2, d2));
    P("fmadd_ss", _mm_fmadd_ss(fa4, fb4, fb4)); P("fmsub_ss", _mm_fmsub_ss(fb4, fa4, fb4));
    P("fmadd_128", _mm_fmadd_pd(c2, d2, b2));
    {   /* a rounding case: 0.1*3 - 0.3 computed fused differs from unfused */
        __m128d x = _mm_set_sd(D[8]), y = _mm_set_sd(3.0), z = _mm_set_sd(-0.3);
        P("fma_exact", _mm_fmadd_sd(x, y, z));
    }
    /* logic */
    P("andpd", _mm256_and_pd(a, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL))));
    P("andnpd", _mm256_andnot_pd(a, c)); P("orpd", _mm256_or_pd(a, b));
    P("xorpd", _mm256_xor_pd(a, _mm256_set1_pd(-0.0))); P("xorps", _mm256_xor_ps(fa, fb));
    P("pand", _mm256_and_si256(ia, ib)); P("pxor", _mm256_xor_si256(ia, ib));
    P("pandn", _mm256_andnot_si256(ia, ib)); P("por", _mm256_or_si256(ia, ib));
    /* moves, shuffles, permutes, broadcasts */
    P("movddup", _mm256_movedup_pd(c)); P("movshdup", _mm256_movehdup_ps(fa));
    P("movsldup", _mm256_moveldup_ps(fb));
    P("unpcklpd", _mm256_unpacklo_pd(a, c)); P("unpckhpd", _mm256_unpackhi_pd(a, c));
    P("unpcklps", _mm256_unpacklo_ps(fa, fb)); P("unpckhps", _mm256_unpackhi_ps(fa, fb));
    P("shufpd", _mm256_shuffle_pd(a, c, 0x5)); P("shufps", _mm256_shuffle_ps(fa, fb, 0x9c));
    P("permilpd", _mm256_permute_pd(c, 0x6)); P("permilps", _mm256_permute_ps(fa, 0x1b));
    P("permilpdv", _mm256_permutevar_pd(c, _mm256_set_epi64x(0, 2, 2, 0)));
    P("permilpsv", _mm256_permutevar_ps(fb, _mm256_set_epi32(3, 1, 2, 0, 0, 1, 3, 2)));
    P("perm2f128", _mm256_permute2f128_pd(a, c, 0x21));
    P("perm2f128z", _mm256_permute2f128_pd(a, c, 0x83));
    P("permpd", _mm256_permute4x64_pd(c, 0x4e));
    P("permps", _mm256_permutevar8x32_ps(fb, _mm256_set_epi32(0, 7, 1, 6, 2, 5, 3, 4)));
    P("permq", _mm256_permute4x64_epi64(ia, 0x1b));
    P("perm2i128", _mm256_permute2x128_si256(ia, ib, 0x30));
    P("blendpd", _mm256_blend_pd(a, c, 0x6)); P("blendps", _mm256_blend_ps(fa, fb, 0xa5));
    P("blendvpd", _mm256_blendv_pd(a, c, b)); P("blendvps", _mm256_blendv_ps(fa, fb, fb));
    P("pblendd", _mm256_blend_epi32(ia, ib, 0x3c));
    P("pblendw", _mm256_blend_epi16(ia, ib, 0x71));
    P("pblendvb", _mm256_blendv_epi8(ia, ib, ib));
    P("bcastsd", _mm256_broadcastsd_pd(c2)); P("bcastss", _mm256_broadcastss_ps(fb4));
    P("bcastf128", _mm256_broadcast_pd((const __m128d *)&D[8]));
    P("pbcastb", _mm256_broadcastb_epi8(_mm256_castsi256_si128(ib)));
    P("pbcastw", _mm256_broadcastw_epi16(_mm256_castsi256_si128(ib)));
    P("pbcastd", _mm256_broadcastd_epi32(_mm256_castsi256_si128(ib)));
    P("pbcastq", _mm256_broadcastq_epi64(_mm256_castsi256_si128(ib)));
    P("insertf128", _mm256_insertf128_pd(a, d2, 1));
    P("extractf128", _mm256_extractf128_pd(c, 1));
    P("inserti128", _mm256_inserti128_si256(ia, _mm256_castsi256_si128(ib), 0));
    P("extracti128", _mm256_extracti128_si256(ib, 1));
    P("pshufb", _mm256_shuffle_epi8(ib, _mm256_set_epi8(0, 1, -1, 3, 4, 5, 6, 7, 8, 9, 10,
                                                         11, 12, 13, 14, 15, 15, 14, 13, 12,
                                                         -128, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
                                                         0)));
    P("pshufd", _mm256_shuffle_epi32(ib, 0x1b));
    P("palignr", _mm256_alignr_epi8(ia, ib, 5));
    P("pslldq", _mm256_slli_si256(ib, 3)); P("psrldq", _mm256_srli_si256(ib, 9));
    P("punpcklbw", _mm256_unpacklo_epi8(ia, ib)); P("punpckhwd", _mm256_unpackhi_epi16(ia, ib));
    P("punpckldq", _mm256_unpacklo_epi32(ia, ib)); P("punpckhqdq", _mm256_unpackhi_epi64(ia, ib));
    {
        double m[4] = {0}, src[4] = {1, 2, 3, 4};
        __m256i mask = _mm256_set_epi64x(-1, 0, -1, 0);
        P("maskload", _mm256_maskload_pd(src, mask));
        _mm256_maskstore_pd(m, mask, c);
        P("maskstore", *(__m256d *)m);
    }
    P("insertps", _mm_insert_ps(fa4, fb4, 0x9a));
    P("extractps", _mm_extract_ps(fb4, 2));
    P("pinsrq", _mm_insert_epi64(_mm256_castsi256_si128(ia), Q[5], 1));
    P("pextrq", _mm_extract_epi64(_mm256_castsi256_si128(ib), 1));
    P("pextrb", _mm_extract_epi8(_mm256_castsi256_si128(ib), 5));
    P("movhlps", _mm_movehl_ps(fa4, fb4)); P("movlhps", _mm_movelh_ps(fa4, fb4));
    P("loadh", _mm_loadh_pd(a2, (const double *)&D[9]));
    P("loadl", _mm_loadl_pd(a2, (const double *)&D[9]));
    /* compares (all 32 predicates on doubles, a few on the others) */
#define CMPD(i) P("cmppd" #i, _mm256_cmp_pd(c, d, i))
    CMPD(0); CMPD(1); CMPD(2); CMPD(3); CMPD(4); CMPD(5); CMPD(6); CMPD(7); CMPD(8); CMPD(9);
    CMPD(10); CMPD(11); CMPD(12); CMPD(13); CMPD(14); CMPD(15); CMPD(16); CMPD(17); CMPD(18);
    CMPD(19); CMPD(20); CMPD(21); CMPD(22); CMPD(23); CMPD(24); CMPD(25); CMPD(26); CMPD(27);
    CMPD(28); CMPD(29); CMPD(30); CMPD(31);
    P("cmpps", _mm256_cmp_ps(fa, fb, _CMP_LT_OQ)); P("cmpsd", _mm_cmp_sd(a2, c2, _CMP_NLE_UQ));
    P("cmpss", _mm_cmp_ss(fa4, fb4, _CMP_GE_OS));
    P("comisd", _mm_comilt_sd(a2, c2) * 4 + _mm_comieq_sd(c2, c2) * 2 + _mm_ucomigt_sd(d2, d2));
    P("movmskpd", _mm256_movemask_pd(a)); P("movmskps", _mm256_movemask_ps(fb));
    P("testz", _mm256_testz_si256(ia, ib) * 2 + _mm256_testc_si256(ia, ib));
    P("testpd", _mm256_testz_pd(a, b) * 2 + _mm256_testc_pd(a, c));
    /* conversions and rounding */
    P("cvtps2pd", _mm256_cvtps_pd(fa4)); P("cvtpd2ps", _mm256_cvtpd_ps(c));
    P("cvtsd2ss", _mm_cvtsd_ss(fa4, c2)); P("cvtss2sd", _mm_cvtss_sd(a2, fb4));
    P("cvttpd2dq", _mm256_cvttpd_epi32(c)); P("cvtpd2dq", _mm256_cvtpd_epi32(_mm256_set_pd(
        2.5, -3.5, 1e20, D[14])));
    P("cvttps2dq", _mm256_cvttps_epi32(fb)); P("cvtps2dq", _mm256_cvtps_epi32(fb));
    P("cvtdq2pd", _mm256_cvtepi32_pd(_mm256_castsi256_si128(ib)));
    P("cvtdq2ps", _mm256_cvtepi32_ps(ib));
    P("cvtsi2sd", _mm_cvtsi64_sd(a2, Q[4])); P("cvtsi2ss", _mm_cvtsi64_ss(fa4, Q[4]));
    P("cvtsi2ss32", _mm_cvtsi32_ss(fa4, (int)Q[4]));
    P("cvttsd2si", _mm_cvttsd_si64(d2)); P("cvtsd2si", _mm_cvtsd_si64(_mm_set_sd(D[14])));
    P("cvttss2si", _mm_cvttss_si32(fb4));
    P("roundpd", _mm256_round_pd(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    P("floorpd", _mm256_floor_pd(c)); P("ceilps", _mm256_ceil_ps(fb));
    P("truncsd", _mm_round_sd(a2, d2, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
    /* AVX2 integers */
    P("paddq", _mm256_add_epi64(ia, ib)); P("psubd", _mm256_sub_epi32(ia, ib));
    P("paddb", _mm256_add_epi8(ia, ib)); P("psubw", _mm256_sub_epi16(ia, ib));
    P("pcmpeqb", _mm256_cmpeq_epi8(ia, ib)); P("pcmpeqq", _mm256_cmpeq_epi64(ia, ia));
    P("pcmpgtd", _mm256_cmpgt_epi32(ia, ib)); P("pcmpgtq", _mm256_cmpgt_epi64(ib, ia));
    P("pminub", _mm256_min_epu8(ia, ib)); P("pmaxsd", _mm256_max_epi32(ia, ib));
    P("pmovmskb", _mm256_movemask_epi8(ib));
    P("psllq", _mm256_slli_epi64(ib, 13)); P("psrld", _mm256_srli_epi32(ib, 7));
    P("psraw", _mm256_srai_epi16(ib, 3)); P("psrad", _mm256_srai_epi32(ib, 40));
    P("psllvq", _mm256_sllv_epi64(ib, _mm256_set_epi64x(1, 63, 64, 5)));
    P("psrlvd", _mm256_srlv_epi32(ib, _mm256_set_epi32(1, 2, 3, 40, 5, 6, 7, 31)));
    P("psravd", _mm256_srav_epi32(ib, _mm256_set_epi32(1, 2, 3, 40, 5, 6, 7, 31)));
    P("pmulld", _mm256_mullo_epi32(ia, ib)); P("pmuludq", _mm256_mul_epu32(ia, ib));
    P("pmovzxbd", _mm256_cvtepu8_epi32(_mm256_castsi256_si128(ib)));
    P("pmovzxdq", _mm256_cvtepu32_epi64(_mm256_castsi256_si128(ib)));
    {   /* gathers: indices with a negative one, a mask with holes */
        static double tab[16];
        static float tabf[16];
        static int64_t tabq[16];
        for (int i = 0; i < 16; i++) { tab[i] = D[i] * 3; tabf[i] = S[i] * 3; tabq[i] = Q[i % 8] + i; }
        __m128i i4 = _mm_set_epi32(15, 0, 7, 3);
        __m256i i8 = _mm256_set_epi32(1, 2, 3, 4, 5, 6, 7, 8);
        __m256i q4 = _mm256_set_epi64x(9, 2, 14, 5);
        P("gatherdpd", _mm256_i32gather_pd(tab + 8, _mm_sub_epi32(i4, _mm_set1_epi32(8)), 8));
        P("gatherqpd_mask", _mm256_mask_i64gather_pd(c, tab, q4, _mm256_castsi256_pd(
            _mm256_set_epi64x(-1, 0, -1, -1)), 8));
        P("gatherdps", _mm256_i32gather_ps(tabf, i8, 4));
        P("gatherqps", _mm256_i64gather_ps(tabf, q4, 4));
        P("pgatherqq", _mm256_i64gather_epi64((const long long *)tabq, q4, 8));
        P("pgatherdd", _mm_i32gather_epi32((const int *)tabq, i4, 4));
    }
    {   /* a masked load whose unselected lanes lie on an inaccessible page: no fault */
        char *pg = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mprotect(pg + 4096, 4096, PROT_NONE);
        double *edge = (double *)(pg + 4096 - 16);
        edge[0] = 1.25; edge[1] = -7.5;
        P("maskload_edge", _mm256_maskload_pd(edge, _mm256_set_epi64x(0, 0, -1, -1)));
        _mm256_maskstore_pd(edge, _mm256_set_epi64x(0, 0, 0, -1), c);
        P("maskstore_edge", edge[0]);
    }
    {   /* F16C and the remaining AVX2 integer forms */
        __m256 h = _mm256_set_ps(65520.0f, -1e-7f, 1.0f / 3.0f, 70000.0f, -2.5f, 6e-8f,
                                 S[4], S[9]);
        __m128i ph = _mm256_cvtps_ph(h, _MM_FROUND_TO_NEAREST_INT);
        P("cvtps2ph", ph);
        P("cvtps2ph_dn", _mm256_cvtps_ph(h, _MM_FROUND_TO_NEG_INF));
        P("cvtps2ph_up", _mm256_cvtps_ph(h, _MM_FROUND_TO_POS_INF));
        P("cvtps2ph_z", _mm256_cvtps_ph(h, _MM_FROUND_TO_ZERO));
        P("cvtph2ps", _mm256_cvtph_ps(ph));
        P("pshufhw", _mm256_shufflehi_epi16(ib, 0x1b)); P("pshuflw", _mm256_shufflelo_epi16(ib, 0x4e));
        P("phaddw", _mm256_hadd_epi16(ia, ib)); P("phsubd", _mm256_hsub_epi32(ia, ib));
        P("phaddsw", _mm256_hadds_epi16(ia, ib));
        P("pmaddubsw", _mm256_maddubs_epi16(ia, ib)); P("pmulhrsw", _mm256_mulhrs_epi16(ia, ib));
        P("pmaddwd", _mm256_madd_epi16(ia, ib)); P("packssdw", _mm256_packs_epi32(ia, ib));
        P("packuswb", _mm256_packus_epi16(ia, ib)); P("pabsd", _mm256_abs_epi32(ib));
        P("psadbw", _mm256_sad_epu8(ia, ib)); P("pavgb", _mm256_avg_epu8(ia, ib));
        P("paddusb", _mm256_adds_epu8(ia, ib)); P("psubsw", _mm256_subs_epi16(ia, ib));
        P("pmovsxbw", _mm256_cvtepi8_epi16(_mm256_castsi256_si128(ib)));
        P("pmuldq", _mm256_mul_epi32(ia, ib)); P("pmulhw", _mm256_mulhi_epi16(ia, ib));
    }
    {   /* BMI1/BMI2 (VEX-encoded general-purpose instructions) */
        volatile uint64_t x = 0xf0e1d2c3b4a59687ULL, y = 0x00ff00ff0f0f3333ULL;
        volatile unsigned n = 13, z = 0;
        unsigned long long hi;
        P("andn", _andn_u64(x, y)); P("bzhi", _bzhi_u64(x, n)); P("bzhi64", _bzhi_u64(x, 70));
        P("pdep", _pdep_u64(x, y)); P("pext", _pext_u64(x, y));
        P("bextr", _bextr_u64(x, 9, 17)); P("blsr", _blsr_u64(x)); P("blsi", _blsi_u64(y));
        P("blsmsk", _blsmsk_u64(y)); P("blsr0", _blsr_u32(z));
        P("shlx", x << (n + 50)); P("sarx", (int64_t)x >> n); P("shrx", x >> (n * 3));
        P("rorx", (x >> 11) | (x << 53));
        P("mulx", _mulx_u64(x, y, &hi)); P("mulx_hi", hi);
        P("andn_zf", _andn_u64(x, x) == 0);
    }
    _mm256_zeroupper();
    return 0;
}
