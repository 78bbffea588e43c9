/* printf("%.17g") / strtod round trips of many pseudo-random doubles (all bit patterns). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

int main(void)
{
    int bad = 0, nonfinite = 0, n = 400;
    uint64_t h = 1469598103934665603ULL;
    char buf[64];
    for (int i = 0; i < n; i++) {
        uint64_t bits = next();
        double d;
        if (i % 4 == 1) d = (double)(int64_t)bits / 1e9; /* moderate magnitudes too */
        else memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) {
            nonfinite++;
            continue;
        }
        int len = snprintf(buf, sizeof buf, i % 2 ? "%.17g" : "%.16e", d);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &d, sizeof d)) {
            bad++;
            printf("mismatch %s\n", buf);
        }
        for (int j = 0; j < len; j++) h = (h ^ (unsigned char)buf[j]) * 1099511628211ULL;
        if (i % 40 == 0) printf("%3d %s %a\n", i, buf, d);
    }
    /* shortest round-trip digits by search */
    double v[] = {0.1, 1.0 / 3, 2.0 / 3, 1e23, 5e-324, 1.7976931348623157e308, 0.3};
    for (int i = 0; i < 7; i++) {
        for (int p = 1; p <= 17; p++) {
            snprintf(buf, sizeof buf, "%.*g", p, v[i]);
            if (strtod(buf, NULL) == v[i]) break;
        }
        printf("shortest %s\n", buf);
    }
    printf("n=%d bad=%d nonfinite=%d hash=%016" PRIx64 "\n", n, bad, nonfinite, h);
    return bad != 0;
}
