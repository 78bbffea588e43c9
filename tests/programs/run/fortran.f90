! Formatted output, arrays and intrinsic math in Fortran.
program fortran_demo
  implicit none
  integer, parameter :: n = 8
  real(8) :: x(n), y(n), a(3, 3), b(3, 3), c(3, 3)
  integer :: i, j
  do i = 1, n
     x(i) = 0.25d0 * i - 1.0d0
  end do
  y = exp(x) * sin(x) + sqrt(abs(x))
  write (*, '(A)') 'i      x                      y'
  do i = 1, n
     write (*, '(I2, 2X, F8.4, 2X, ES24.16E3)') i, x(i), y(i)
  end do
  write (*, '(A, ES24.16, A, ES24.16)') 'sum=', sum(y), ' maxval=', maxval(y)
  write (*, '(A, I0, A, F10.6)') 'maxloc=', maxloc(y, 1), ' dot=', dot_product(x, y)
  do j = 1, 3
     do i = 1, 3
        a(i, j) = 1.0d0 / (i + j - 1)
        b(i, j) = merge(1.0d0, 0.0d0, i == j) * 2.0d0 + 0.5d0 * i
     end do
  end do
  c = matmul(a, b)
  do i = 1, 3
     write (*, '(3F14.9)') c(i, :)
  end do
  write (*, '(A, G0.17)') 'atan2=', atan2(1.0d0, -2.0d0)
  write (*, '(A, G0.17, 1X, G0.17)') 'log/cos=', log(10.0d0), cos(0.7d0)
  write (*, '(A, 3I5)') 'ints=', nint(2.5d0), floor(-1.5d0), mod(17, 5)
  write (*, *) 'list-directed:', 1.5d0, 42, .true.
end program fortran_demo
