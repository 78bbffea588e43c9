/* revad_fortran.c -- the C side of revad.f90 (the `revad` Fortran module), shipped next to
 * revad.h; `python -m revad_emu --include-dir` prints the folder.  Compile it with the
 * program:
 *
 *     I=$(python -m revad_emu --include-dir)
 *     gfortran -O2 -I"$I" "$I/revad.f90" prog.f90 "$I/revad_fortran.c" -o prog
 *
 * Fortran cannot issue a client request itself (it is an inline-assembly marker), so the
 * module passes the variable's address, how many values, their kind and a name here.  The
 * request carries the kind, so the width is exact: 4 (real(4)), 8 (real(8)) or 10 bytes in a
 * 16-byte slot (real(10)).
 */
#include "revad.h"

void revad_mark_f(int is_input, void *p, int n, int kind, const char *name);
int revad_running(void);

void revad_mark_f(int is_input, void *p, int n, int kind, const char *name)
{
    revad_mark(is_input ? REVAD_REQ_INPUT : REVAD_REQ_OUTPUT, p, (unsigned long long)n, kind,
               name && name[0] ? name : 0);
}

int revad_running(void)
{
    return REVAD_RUNNING();
}
