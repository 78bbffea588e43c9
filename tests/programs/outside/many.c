/* No marks: reads numbers from stdin until EOF, prints their sum and sum of squares. */
#include <stdio.h>

int main(void)
{
    double v, s = 0, q = 0;
    while (scanf("%lf", &v) == 1) {
        s += v;
        q += v * v;
    }
    printf("%.17g\n%.17g\n", s, q);
    return 0;
}
