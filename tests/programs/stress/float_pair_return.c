/* Minimal: a struct of two floats returned in xmm0; the caller extracts the second float
 * with movq rax, xmm0; shr/sar rax, 32 (a pure byte move).  Input: a.  Outputs: x, y. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

struct fp { float x, y; };

__attribute__((noinline)) static struct fp f(float a)
{
    struct fp r = {a * a, 2 * a};
    return r;
}

int main(int argc, char **argv)
{
    float a = argc > 1 ? strtof(argv[1], 0) : 1.5f;
    REVAD_INPUT(a);
    struct fp p = f(a);
    float x = p.x, y = p.y;
    REVAD_OUTPUT(x);
    REVAD_OUTPUT(y);
    printf("%.17g\n%.17g\n", (double)x, (double)y);
    return 0;
}
