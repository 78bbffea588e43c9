/* The same functions in an executable (PIE, non-PIE or static): calls start at main. */
#include <stdio.h>
#include "funcs.c"

int main(void)
{
    double x[2] = {1.0, 2.0};
    printf("%g\n", energy(x, 2));
    return 0;
}
