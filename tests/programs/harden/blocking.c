/* Blocks in a system call for the Ctrl-C tests: "read" waits on stdin, "flood" writes to
 * stdout until the pipe is full and the write blocks. Says "ready" on stderr first. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    fprintf(stderr, "ready\n");
    if (argc > 1 && !strcmp(argv[1], "flood")) {
        memset(buf, 'x', sizeof buf);
        for (;;)
            if (write(1, buf, sizeof buf) < 0) return 1;
    }
    ssize_t n = read(0, buf, sizeof buf);
    printf("read %zd\n", n);
    return 0;
}
