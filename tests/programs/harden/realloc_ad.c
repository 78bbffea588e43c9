/* realloc of a large block that holds derivatives: glibc moves it with mremap. The
 * derivatives must follow (d y / d x = 3 + 2), with host memory bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "revad.h"

int main(int argc, char **argv)
{
    size_t n = (argc > 1 ? strtoul(argv[1], 0, 10) : 256) << 20;
    double x = 1.5;
    REVAD_INPUT(x);
    double *a = malloc(n);
    if (!a) return 1;
    a[0] = 3 * x;
    a[n / sizeof(double) - 1] = 2 * x;
    a = realloc(a, 2 * n);
    if (!a) return 1;
    double y = a[0] + a[n / sizeof(double) - 1];
    REVAD_OUTPUT(y);
    printf("y=%g\n", y);
    free(a);
    return 0;
}
