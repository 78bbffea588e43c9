#include <math.h>
#include <stdio.h>
#include "revad.h"

int main(void)
{
    double x = 1.5, v[2] = {2.0, 0.25};
    REVAD_INPUT(x);                  /* one input named "x" */
    REVAD_INPUT_ARRAY(v, 2);         /* inputs "v[0]", "v[1]" */
    double y = x * v[0] + sqrt(v[1]) / x;
    REVAD_OUTPUT(y);                 /* one output named "y" */
    printf("y = %g\n", y);
    return 0;
}
