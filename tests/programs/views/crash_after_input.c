/* Marks an input, then dies of an invalid memory access before reaching its output mark:
 * the report must name the crash and must not tell the user to mark outputs. */
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double x = 2.0;
    REVAD_INPUT(x);
    double *volatile p = argc > 5 ? &x : NULL;
    double y = x * *p;
    REVAD_OUTPUT(y);
    printf("%g\n", y);
    return 0;
}
