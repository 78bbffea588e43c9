/* Read the file named by argv[1] twice: with fread (checksum) and fgets (line stats). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror("fopen");
        return 1;
    }
    unsigned char buf[4096];
    size_t n, total = 0;
    unsigned long sum = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) sum = sum * 131 + buf[i];
        total += n;
    }
    printf("bytes=%zu sum=%lu\n", total, sum);
    rewind(f);
    char line[256];
    int lines = 0;
    size_t longest = 0;
    double numsum = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len > longest) longest = len;
        double d;
        if (sscanf(line, "value %lf", &d) == 1) numsum += d;
        if (lines < 3 || lines % 50 == 0) printf("line %d: %s", lines, line);
        lines++;
    }
    printf("lines=%d longest=%zu numsum=%.17g eof=%d\n", lines, longest, numsum, feof(f) != 0);
    fclose(f);
    FILE *g = fopen("/nonexistent/dir/file", "r");
    printf("missing file: %s\n", g ? "opened?" : "NULL");
    return 0;
}
