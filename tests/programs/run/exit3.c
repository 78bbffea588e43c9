/* Prints something, then exits with status 3 via exit() (flushing stdio). */
#include <stdio.h>
#include <stdlib.h>

static void bye(void) { puts("atexit handler ran"); }

int main(int argc, char **argv)
{
    (void)argv;
    atexit(bye);
    printf("about to exit with 3 (argc=%d)\n", argc);
    exit(3);
}
