/* libm functions printed with full precision. */
#include <math.h>
#include <stdio.h>

int main(void)
{
    double xs[] = {-7.25, -1.0, -0.5, -1e-8, 0.0, 1e-8, 0.3, 0.5, 1.0, 2.0, 3.14159, 10.5, 100.0,
                   710.0, 1e10};
    int n = (int)(sizeof xs / sizeof xs[0]);
    for (int i = 0; i < n; i++) {
        double x = xs[i];
        printf("x=%.17g\n", x);
        printf("  sin=%.17g cos=%.17g tan=%.17g\n", sin(x), cos(x), tan(x));
        printf("  exp=%.17g expm1=%.17g log=%.17g log1p=%.17g\n", exp(x), expm1(x), log(x),
               log1p(x));
        printf("  pow(x,1.5)=%.17g pow(1.1,x)=%.17g sqrt=%.17g cbrt=%.17g\n", pow(x, 1.5),
               pow(1.1, x), sqrt(x), cbrt(x));
        printf("  atan2(x,0.7)=%.17g atan=%.17g asin=%.17g acos=%.17g\n", atan2(x, 0.7), atan(x),
               asin(x / 20), acos(x / 20));
        printf("  sinh=%.17g cosh=%.17g tanh=%.17g log10=%.17g log2=%.17g\n", sinh(x / 10),
               cosh(x / 10), tanh(x), log10(x), log2(x));
        printf("  hypot=%.17g fmod=%.17g floor=%g ceil=%g round=%g erf=%.17g tgamma=%.17g\n",
               hypot(x, 3), fmod(x, 0.7), floor(x), ceil(x), round(x), erf(x), tgamma(x / 4));
    }
    return 0;
}
