! Fortran array intrinsics: matmul, dot_product, sum, product, maxval, transpose, norm2 and
! an elemental function.  Inputs a(4,4) (column major, 16 values) and x(4); outputs
! y = matmul(a, x) (4), q = dot_product(x, y), t = sum(a*transpose(a)), pm = product(x),
! mv = maxval(abs(y)), nr = norm2(y), el = sum(soft(x)).
program fortran_intrinsics
  use revad
  implicit none
  integer, parameter :: n = 4
  real(8) :: a(n, n), x(n), y(n), outs(7), flat(n * n)
  character(len=64) :: arg
  integer :: i, j, nargs

  do j = 1, n
    do i = 1, n
      a(i, j) = 0.1d0 * (i + 2 * j) + merge(2d0, 0d0, i == j)
    end do
    x(j) = 0.5d0 * j - 1.1d0
  end do
  flat = reshape(a, [n * n])
  nargs = command_argument_count()
  do i = 1, min(nargs, n * n + n)
    call get_command_argument(i, arg)
    if (i <= n * n) then
      read (arg, *) flat(i)
    else
      read (arg, *) x(i - n * n)
    end if
  end do
  call revad_input(flat, "a")
  call revad_input(x, "x")
  a = reshape(flat, [n, n])
  y = matmul(a, x)
  outs(1) = dot_product(x, y)
  outs(2) = sum(a * transpose(a))
  outs(3) = product(x)
  outs(4) = maxval(abs(y))
  outs(5) = norm2(y)
  outs(6) = sum(soft(x))
  outs(7) = sum(matmul(transpose(a), matmul(a, x)) * x)
  call revad_output(y, "y")
  call revad_output(outs, "outs")
  do i = 1, n
    write (*, '(ES25.16E3)') y(i)
  end do
  do i = 1, 7
    write (*, '(ES25.16E3)') outs(i)
  end do

contains

  elemental real(8) function soft(t)
    real(8), intent(in) :: t
    soft = t / (1d0 + t * t) + exp(-t * t)
  end function soft

end program fortran_intrinsics
