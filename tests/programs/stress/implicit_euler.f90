! Backward Euler on a stiff 3-species kinetics system with a Newton inner loop (hand-written
! 3x3 elimination); inputs: two rate constants; outputs: the final state and a norm mix.
program implicit
  use revad
  implicit none
  real(8) :: p(2), y(3), yn(3), f(3), jac(3,3), dy(3), h, out(4)
  integer :: i, step, it, info
  character(len=32) :: arg
  p = [0.04d0, 3.0d0]
  do i = 1, 2
    if (command_argument_count() >= i) then
      call get_command_argument(i, arg); read(arg, *) p(i)
    end if
  end do
  call revad_input(p, "p")
  y = [1.0d0, 0.0d0, 0.0d0]; h = 0.05d0
  do step = 1, 20
    yn = y
    do it = 1, 8
      f(1) = yn(1) - y(1) - h * (-p(1) * yn(1) + 1.0d-1 * yn(2) * yn(3))
      f(2) = yn(2) - y(2) - h * (p(1) * yn(1) - 1.0d-1 * yn(2) * yn(3) - p(2) * yn(2)**2)
      f(3) = yn(3) - y(3) - h * (p(2) * yn(2)**2)
      jac = 0
      jac(1,1) = 1 + h * p(1); jac(1,2) = -h * 1.0d-1 * yn(3); jac(1,3) = -h * 1.0d-1 * yn(2)
      jac(2,1) = -h * p(1); jac(2,2) = 1 + h * (1.0d-1 * yn(3) + 2 * p(2) * yn(2))
      jac(2,3) = h * 1.0d-1 * yn(2)
      jac(3,2) = -h * 2 * p(2) * yn(2); jac(3,3) = 1
      call solve3(jac, f, dy)
      yn = yn - dy
    end do
    y = yn
  end do
  out(1:3) = y
  out(4) = sqrt(sum(y**2)) + maxval(abs(y)) + dot_product(y, exp(-y))
  call revad_output(out, "out")
  do i = 1, 4
    print '(es25.17)', out(i)
  end do
contains
  subroutine solve3(a, b, x)
    real(8), intent(in) :: a(3,3), b(3)
    real(8), intent(out) :: x(3)
    real(8) :: m(3,4), t
    integer :: i, k
    m(:,1:3) = a; m(:,4) = b
    do k = 1, 3
      do i = k + 1, 3
        t = m(i,k) / m(k,k)
        m(i,:) = m(i,:) - t * m(k,:)
      end do
    end do
    do i = 3, 1, -1
      x(i) = (m(i,4) - dot_product(m(i,i+1:3), x(i+1:3))) / m(i,i)
    end do
  end subroutine
end program
