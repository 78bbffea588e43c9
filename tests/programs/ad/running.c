/* Prints REVAD_RUNNING(), Valgrind's RUNNING_ON_VALGRIND and Derivgrind's GET_MODE, one per
 * line: natively all 0; under revad_emu the first is 1. */
#include <stdio.h>

#include "dg_requests.h"
#include "revad.h"

int main(void)
{
    printf("%d\n", REVAD_RUNNING());
    printf("%llu\n", DG_RUNNING_ON_VALGRIND);
    printf("%llu\n", DG_GET_MODE);
    return 0;
}
