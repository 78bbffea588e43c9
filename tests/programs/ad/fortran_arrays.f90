! A Fortran subroutine with array arguments, marked through the revad module and the C shim
! (examples/revad.f90 and examples/revad_fortran.c, compiled with this file).
! Inputs x(1:5) and w; outputs y(1:5) = M(w) x (a three-point smoother) and s = |y|.
program fortran_arrays
  use revad
  implicit none
  integer, parameter :: n = 5
  real(8) :: x(n), y(n), w, s
  character(len=64) :: arg
  integer :: i

  x = [0.3d0, -1.1d0, 2.0d0, 0.7d0, -0.4d0]
  w = 0.25d0
  do i = 1, min(n + 1, command_argument_count())
    call get_command_argument(i, arg)
    if (i <= n) then
      read (arg, *) x(i)
    else
      read (arg, *) w
    end if
  end do

  call revad_input(x, "x")
  call revad_input(w, "w")
  call smooth(n, x, w, y, s)
  call revad_output(y, "y")
  call revad_output(s, "s")
  do i = 1, n
    write (*, '(ES25.16E3)') y(i)
  end do
  write (*, '(ES25.16E3)') s

contains

  subroutine smooth(m, xin, wt, yout, nrm)
    integer, intent(in) :: m
    real(8), intent(in) :: xin(m), wt
    real(8), intent(out) :: yout(m), nrm
    integer :: k
    yout(1) = (1d0 - wt) * xin(1) + wt * xin(2)
    do k = 2, m - 1
      yout(k) = wt * xin(k - 1) + (1d0 - 2d0 * wt) * xin(k) + wt * xin(k + 1)
    end do
    yout(m) = wt * xin(m - 1) + (1d0 - wt) * xin(m)
    nrm = sqrt(sum(yout * yout))
  end subroutine smooth

end program fortran_arrays
