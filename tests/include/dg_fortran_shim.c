/* The C side of dg_fortran.f90 (revad_emu's tests): the same shape as Derivgrind's Fortran
 * wrapper.  A Fortran program passes c_loc(x) by reference (void **); the input and output
 * helpers hand the variable to the size-less requests as 8 raw bytes read as an integer, so
 * the value the request carries says nothing about the variable's type or width. */
#include "dg_requests.h"

void dg_inputf(void **val) { DG_INPUTF(*(unsigned long long *)*val); }
void dg_outputf(void **val) { DG_OUTPUTF(*(unsigned long long *)*val); }
void dg_set_dotvalue(void **val, void **dot, int *size) { DG_SET_DOTVALUE(*val, *dot, *size); }
void dg_get_dotvalue(void **val, void **dot, int *size) { DG_GET_DOTVALUE(*val, *dot, *size); }
int dg_get_mode(void) { return (int)DG_GET_MODE; }
