! Fortran: a bind(C) function taking n by value, and plain routines (name_, by reference).
! (No module: gfortran would write a .mod file into the working directory.)
function wdot(x, y, n) bind(C, name="wdot") result(s)
  use iso_c_binding
  implicit none
  integer(c_int), value :: n
  real(c_double), intent(in) :: x(n), y(n)
  real(c_double) :: s
  s = sum(x * y * exp(x))
end function wdot

function fenergy(x, n)
  implicit none
  integer, intent(in) :: n
  double precision, intent(in) :: x(n)
  double precision :: fenergy
  fenergy = sum(x**2) + product(cos(x))
end function fenergy

subroutine sqr(x, y, n)
  implicit none
  integer, intent(in) :: n
  double precision, intent(in) :: x(n)
  double precision, intent(out) :: y(n)
  y = x**2 + sqrt(x)
end subroutine sqr
