/* Several array and scalar inputs and outputs: inputs u[3], w[3], s; outputs
 * s * (u x w) (array), u . w, |u| and the projection of u on w (named array). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "revad.h"

int main(int argc, char **argv)
{
    double u[3] = {0.4, -1.1, 2.0}, w[3] = {1.5, 0.3, -0.7}, s = 0.9;
    double *slots[7] = {&u[0], &u[1], &u[2], &w[0], &w[1], &w[2], &s};
    for (int i = 0; i < 7 && i + 1 < argc; i++)
        *slots[i] = strtod(argv[i + 1], 0);
    REVAD_INPUT_ARRAY(u, 3);
    REVAD_INPUT_ARRAY(w, 3);
    REVAD_INPUT(s);

    double cross[3] = {s * (u[1] * w[2] - u[2] * w[1]), s * (u[2] * w[0] - u[0] * w[2]),
                       s * (u[0] * w[1] - u[1] * w[0])};
    double dot = u[0] * w[0] + u[1] * w[1] + u[2] * w[2];
    double norm = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    double ww = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    double proj[3];
    for (int i = 0; i < 3; i++)
        proj[i] = dot / ww * w[i];

    REVAD_OUTPUT_ARRAY(cross, 3);
    REVAD_OUTPUT(dot);
    REVAD_OUTPUT(norm);
    REVAD_OUTPUT_NAMED("projection", proj, 3);
    for (int i = 0; i < 3; i++)
        printf("%.17g\n", cross[i]);
    printf("%.17g\n%.17g\n", dot, norm);
    for (int i = 0; i < 3; i++)
        printf("%.17g\n", proj[i]);
    return 0;
}
