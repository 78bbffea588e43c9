/* No marks: strtof/strtold/atof/sscanf %Lf; printf %a %La %Lg %g; a string never printed. */
#include <stdio.h>
#include <stdlib.h>

char keep[64];

int main(int argc, char **argv)
{
    double x = atof(argv[1]);
    long double y = strtold(argv[2], NULL);
    float f = strtof(argv[1], NULL);
    long double t;
    if (sscanf("0.125", "%Lf", &t) != 1)
        return 1;
    printf("%a %La\n", x * x, y * y);
    printf("%Lg %g\n", y * 3 * t, (double)(f * f));
    snprintf(keep, sizeof keep, "%.3Le", (long double)x * y);
    return keep[0] == 0;
}
