/* Large (mmap-backed) and many small (brk-backed) allocations with checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fill(unsigned char *p, size_t n, unsigned seed)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 9));
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

static uint64_t hash(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Word-wise versions for the big blocks (n is a multiple of 8). */
static uint64_t fill64(uint64_t *p, size_t n, uint64_t seed)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n / 8; i++) {
        p[i] = seed * 0x9E3779B97F4A7C15ULL + i * 0xD1B54A32D192ED03ULL;
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

static uint64_t hash64(const uint64_t *p, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n / 8; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

int main(void)
{
    /* big blocks: above the default 128 KiB mmap threshold */
    size_t sizes[] = {160 * 1024, 320 * 1024 + 8, 640 * 1024 + 24};
    for (int i = 0; i < 3; i++) {
        uint64_t *p = malloc(sizes[i]);
        if (!p) return 2;
        uint64_t h = fill64(p, sizes[i], i);
        printf("big %zu: fill=%016llx check=%d\n", sizes[i], (unsigned long long)h,
               hash64(p, sizes[i]) == h);
        p = realloc(p, sizes[i] * 2);
        if (!p) return 2;
        printf("  realloc keeps data: %d\n", hash64(p, sizes[i]) == h);
        memset(p + sizes[i] / 8, 0xab, sizes[i]);
        printf("  tail hash=%016llx\n", (unsigned long long)hash64(p + sizes[i] / 8, sizes[i]));
        free(p);
    }
    /* many small blocks */
    enum { N = 2000 };
    static unsigned char *blk[N];
    static uint64_t hs[N];
    for (int i = 0; i < N; i++) {
        size_t n = 8 + (size_t)(i * 37 % 300);
        blk[i] = malloc(n);
        if (!blk[i]) return 2;
        hs[i] = fill(blk[i], n, i);
    }
    for (int i = 0; i < N; i += 2) {
        free(blk[i]);
        blk[i] = NULL;
    }
    for (int i = 1; i < N; i += 4) {
        size_t n = 8 + (size_t)(i * 37 % 300);
        blk[i] = realloc(blk[i], n + 1000);
        if (!blk[i] || hash(blk[i], n) != hs[i]) return 3;
    }
    uint64_t total = 0;
    int ok = 0;
    for (int i = 1; i < N; i += 2) {
        size_t n = 8 + (size_t)(i * 37 % 300);
        ok += hash(blk[i], n) == hs[i];
        total ^= hs[i] + (uint64_t)i;
        free(blk[i]);
    }
    unsigned char *c = calloc(50000, 3);
    int zero = 1;
    for (int i = 0; i < 150000; i++) zero &= c[i] == 0;
    free(c);
    printf("small ok=%d/%d xor=%016llx calloc_zero=%d\n", ok, N / 2, (unsigned long long)total,
           zero);
    return 0;
}
