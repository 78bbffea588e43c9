/* Parse each argument with strtod and report the value, its bits and the unparsed rest. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    double total = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        errno = 0;
        double d = strtod(argv[i], &end);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        printf("%-24s -> %.17g bits=%016llx rest='%s' erange=%d\n", argv[i], d,
               (unsigned long long)bits, end, errno == ERANGE);
        total += d;
    }
    printf("argc=%d total=%.17g\n", argc, total);
    return 0;
}
