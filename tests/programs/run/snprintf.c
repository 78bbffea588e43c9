/* snprintf with truncation, width/precision, positional and integer formats. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s-%d-%.3f", "a somewhat long prefix", 12345, 3.14159);
    printf("truncated: n=%d len=%zu '%s'\n", n, strlen(buf), buf);
    n = snprintf(NULL, 0, "%08.3f|%-6d|%x|%o|%#x", -3.5, 42, 0xbeef, 8, 255);
    printf("size query: %d\n", n);
    char big[256];
    snprintf(big, sizeof big, "%08.3f|%-6d|%x|%o|%#x|%+05d|% d|%c|%%|%5.2s|", -3.5, 42, 0xbeef,
             8, 255, 7, 9, 'Z', "abcdef");
    puts(big);
    snprintf(big, sizeof big, "%lld %llu %jd %zu %hhd %hd %p", -9223372036854775807LL - 1,
             18446744073709551615ULL, (intmax_t)-1, (size_t)123, (signed char)200, (short)70000,
             (void *)0x1234);
    puts(big);
    snprintf(big, sizeof big, "%2$s %1$s %3$*4$d|", "world", "hello", 7, 5);
    puts(big);
    snprintf(big, sizeof big, "%*.*f|%-*s|%.0e|%#.0f|%g|%g", 12, 4, 2.0 / 3, 8, "pad", 12345.0,
             3.0, 1e-5, 123456789.0);
    puts(big);
    for (int w = 0; w < 40; w += 13) {
        n = snprintf(buf, (size_t)w, "%d:%.10f", w, 1.0 / 7);
        printf("w=%d n=%d '%s'\n", w, n, w ? buf : "");
    }
    return 0;
}
