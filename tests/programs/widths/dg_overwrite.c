/* A size-less mark on a double, then its upper half is replaced by an integer store (the
 * mark put the node on the first 4 bytes only, so this store touches no tracked byte), then
 * the value is used.  The changed value must not be taken for the marked one. */
#include <stdio.h>
#include <stdlib.h>

#include "dg_requests.h"

int main(int argc, char **argv)
{
    double x = 1.0;
    DG_INPUTF(x);
    volatile unsigned int *hi = (volatile unsigned int *)&x + 1;
    *hi = (unsigned int)strtoul(argc > 1 ? argv[1] : "1074266112", 0, 10); /* 3.0's top */
    double y = x * x;
    DG_OUTPUTF(y);
    printf("%.17g\n", y);
    return 0;
}
