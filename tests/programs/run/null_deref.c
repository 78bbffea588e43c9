/* Prints and flushes a line, then dereferences NULL on purpose. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    printf("before the crash: %d %.3f\n", argc, 2.5);
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = argc;
    puts("not reached");
    return 0;
}
