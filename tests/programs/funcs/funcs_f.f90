! Fortran: a bind(C) function taking n by value, and plain routines (name_, by reference).
module funcs_f
  use iso_c_binding
  implicit none
contains
  function wdot(x, y, n) bind(C, name="wdot") result(s)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n), y(n)
    real(c_double) :: s
    s = sum(x * y * exp(x))
  end function wdot
end module funcs_f

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
