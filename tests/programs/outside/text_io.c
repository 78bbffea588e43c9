/* No marks. Inputs: x from argv[1] (strtod), y and z from stdin (scanf %lf and %f), w from
 * the file argv[2] (fscanf %Lf). Outputs: stdout (printf), stderr (fprintf %Lg), a string
 * (snprintf %e, written to the file argv[3] with fputs) and that file (fprintf %g). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    double x = strtod(argv[1], NULL), y;
    float z;
    long double w;
    if (scanf("%lf %f", &y, &z) != 2)
        return 3;
    FILE *in = fopen(argv[2], "r");
    if (!in || fscanf(in, "%Lf", &w) != 1)
        return 4;
    fclose(in);
    double f1 = x * y + sin(z);
    long double f2 = w * w * (long double)x;
    double f3 = exp(-y * z) / (1.0 + x * x);
    double f4 = (double)w * y - z;
    char buf[64];
    printf("f1 %.17g\n", f1);
    fprintf(stderr, "f2 %.21Lg\n", f2);
    snprintf(buf, sizeof buf, "%.17e", f3);
    FILE *out = fopen(argv[3], "w");
    if (!out)
        return 5;
    fprintf(out, "f3 %s\n", buf);
    fprintf(out, "f4 %.17g\n", f4);
    fclose(out);
    return 0;
}
