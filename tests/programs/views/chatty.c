/* A run of a few seconds that writes to stdout and stderr now and then: the progress
 * display on a terminal must never garble these lines. */
#include <stdio.h>

#include "revad.h"

int main(void)
{
    double x = 1.0, s = 0.0;
    REVAD_INPUT(x);
    for (int k = 0; k < 5; k++) {
        for (long i = 0; i < 1600000; i++)
            s = s * 0.999999 + x;
        fprintf(stderr, "line %d from the program\n", k);
        printf("out %d\n", k);
        fflush(stdout);
    }
    REVAD_OUTPUT(s);
    return 0;
}
