/* String and memory functions on long buffers (exercises libc's optimised variants). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

int main(void)
{
    enum { N = 100000 };
    char *a = malloc(N + 64), *b = malloc(N + 64);
    for (int i = 0; i < N; i++) a[i] = (char)('a' + (i * 7 + i / 13) % 26);
    a[N] = 0;
    printf("strlen=%zu strlen(a+777)=%zu\n", strlen(a), strlen(a + 777));
    memcpy(b, a, N + 1);
    printf("memcpy equal=%d strcmp=%d\n", memcmp(a, b, N + 1) == 0, strcmp(a, b));
    b[N - 5] = 'Z';
    int c = strcmp(a, b);
    printf("strcmp after change: %d strncmp(N-10)=%d memcmp sign=%d\n", c > 0 ? 1 : c < 0 ? -1 : 0,
           strncmp(a, b, N - 10), memcmp(a, b, N) > 0);
    for (int off = 1; off < 40; off += 9) {
        memmove(b + off, b, 5000); /* overlapping, forward */
        memmove(b, b + off + 3, 7000); /* overlapping, backward */
    }
    printf("memmove hash=%016llx\n", (unsigned long long)hash(b, N));
    memcpy(b, a, N + 1);
    strcpy(b + N - 20, "needle-in-haystack");
    char *p = strstr(b, "needle");
    printf("strstr at %td, missing=%p\n", p ? p - b : -1, (void *)strstr(b, "zzzzqq"));
    printf("strchr=%td strrchr=%td memchr=%td\n", strchr(a, 'q') - a, strrchr(a, 'q') - a,
           (char *)memchr(a + 100, 'z', N - 100) - a);
    memset(b, 'x', N / 2);
    b[N / 2] = 0;
    printf("memset strlen=%zu hash=%016llx\n", strlen(b), (unsigned long long)hash(b, N / 2));
    char small[64];
    strncpy(small, a + 12345, 63);
    small[63] = 0;
    strcat(small + 40, "!");
    printf("small=%s spn=%zu cspn=%zu\n", small, strspn(a, "abcdefghijklm"), strcspn(a, "xyz"));
    char *dup = strdup(a + N - 30);
    printf("strdup=%s cmp=%d\n", dup, strcmp(dup, a + N - 30));
    free(dup);
    free(a);
    free(b);
    return 0;
}
