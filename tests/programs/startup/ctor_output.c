/* Writes from a constructor, before main: such a start is not replayed from a snapshot
   (its output belongs to every run). */
#include <stdio.h>
#include "revad.h"

static double scale;

__attribute__((constructor)) static void init(void)
{
    scale = 2.5;
    printf("constructor ran\n");
    fflush(stdout);
}

int main(void)
{
    double x = 1.25;
    REVAD_INPUT(x);
    double y = scale * x * x;
    REVAD_OUTPUT(y);
    printf("y = %.17g\n", y);
    return 0;
}
