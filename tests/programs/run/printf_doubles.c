/* printf of doubles in many formats, including the special values. */
#include <float.h>
#include <math.h>
#include <stdio.h>

int main(void)
{
    volatile double zero = 0.0;
    double v[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, M_PI, -M_E, 1e-300, 1e300,
                  DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 4.9e-320, 123456789.0, 1e22, 1e23,
                  5e-324 * 3, 0.5, 9007199254740993.0, 1.0 / zero, -1.0 / zero, zero / zero,
                  6.02214076e23, 1.602176634e-19, 1e-5, 123.456, 1e15 + 0.3};
    int n = (int)(sizeof v / sizeof v[0]);
    for (int i = 0; i < n; i++) {
        double x = v[i];
        printf("%2d %g | %.17g | %a | %e | %.3f | %12.4E | %-10.2g| %+G\n", i, x, x, x, x,
               fabs(x) < 1e20 ? x : 0.0, x, x, x);
    }
    printf("signbit(-0.0)=%d isnan=%d isinf=%d\n", signbit(v[1]) != 0, isnan(v[24]), isinf(v[23]));
    printf("%.0f %.1f %.2f %.0f %.0f\n", 0.5, 0.25, 1.005, 1.5, 2.5);
    printf("%30.20e\n%La\n", 1.0 / 7.0, 1.0L / 3);
    return 0;
}
