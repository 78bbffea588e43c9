/* revad_fortran.c -- a plain C function API over revad.h, for Fortran (bind(C)) and other
 * languages that cannot expand C macros.  Compile it with the program, e.g.
 *
 *     gfortran -O2 -I<revad include dir> revad.f90 prog.f90 revad_fortran.c -o prog
 *
 * (python -c "import revad_emu, os; print(os.path.dirname(revad_emu.__file__))" gives the
 * package directory; the header is in its include/ folder.)
 *
 * Each function marks n consecutive values at p as inputs or outputs; name is a
 * NUL-terminated string or NULL.  The request is issued here, in C: the Fortran array is
 * passed by reference, so the marked values are the caller's own memory.
 */
#include "revad.h"

void revad_input_double(double *p, int n, const char *name);
void revad_output_double(double *p, int n, const char *name);
void revad_input_float(float *p, int n, const char *name);
void revad_output_float(float *p, int n, const char *name);
int revad_running(void);

void revad_input_double(double *p, int n, const char *name)
{
    REVAD_INPUT_NAMED(name, p, n);
}

void revad_output_double(double *p, int n, const char *name)
{
    REVAD_OUTPUT_NAMED(name, p, n);
}

void revad_input_float(float *p, int n, const char *name)
{
    REVAD_INPUT_NAMED(name, p, n);
}

void revad_output_float(float *p, int n, const char *name)
{
    REVAD_OUTPUT_NAMED(name, p, n);
}

int revad_running(void)
{
    return REVAD_RUNNING();
}
