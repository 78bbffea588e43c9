/* x87 long double arithmetic and libm long double functions. */
#include <math.h>
#include <stdio.h>

int main(void)
{
    long double xs[] = {-3.5L, -1.0L, 0.0L, 0.1L, 0.5L, 1.0L, 2.0L, 10.0L, 100.25L};
    int n = (int)(sizeof xs / sizeof xs[0]);
    for (int i = 0; i < n; i++) {
        long double x = xs[i];
        printf("x=%.21Lg expl=%.21Lg sinl=%.21Lg\n", x, expl(x), sinl(x));
        printf("  cosl=%.21Lg logl(|x|+1)=%.21Lg sqrtl(|x|)=%.21Lg powl=%.21Lg\n", cosl(x),
               logl(fabsl(x) + 1), sqrtl(fabsl(x)), powl(1.5L, x));
        printf("  atan2l(x,0.7)=%.21Lg log2l(|x|+2)=%.21Lg\n", atan2l(x, 0.7L), log2l(fabsl(x) + 2));
    }
    long double s = 0;
    for (int k = 1; k <= 1000; k++) s += 1.0L / ((long double)k * k);
    printf("zeta(2) partial=%.21Lg\n", s);
    printf("1/3=%.21Lg %La eps=%Lg\n", 1.0L / 3, 1.0L / 3, __LDBL_EPSILON__);
    return 0;
}
