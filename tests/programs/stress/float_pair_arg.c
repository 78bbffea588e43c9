/* Minimal: a struct of two floats passed by value in xmm0.  At -O1 the caller packs it with
 * movd edx, xmm1; shl rdx, 32; movd eax, xmm0; or rax, rdx; movq xmm0, rax and the callee
 * splits it with shr rdx, 32 (pure byte moves).  Inputs: a, b.  Output: z = 6a + (b+1)^2. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

struct fp { float x, y; };

__attribute__((noinline)) static float h(struct fp p) { return p.x * 3.0f + p.y * p.y; }

int main(int argc, char **argv)
{
    float a = argc > 1 ? strtof(argv[1], 0) : 0.5f;
    float b = argc > 2 ? strtof(argv[2], 0) : 0.75f;
    REVAD_INPUT(a);
    REVAD_INPUT(b);
    struct fp p = {a * 2.0f, b + 1.0f};
    float z = h(p);
    REVAD_OUTPUT(z);
    printf("%.17g\n", (double)z);
    return 0;
}
