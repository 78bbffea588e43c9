! gfortran real(10) (the x87 80-bit kind): a damped oscillator integrated with the explicit
! midpoint rule, marked through the revad module.  Inputs k (stiffness), c (damping);
! outputs the final position and velocity.
program real10
  use revad
  implicit none
  integer, parameter :: ep = 10
  real(ep) :: k, c, x, v, xm, vm, dt
  character(len=64) :: arg
  integer :: i

  k = 2.0_ep
  c = 0.3_ep
  if (command_argument_count() >= 1) then
    call get_command_argument(1, arg)
    read (arg, *) k
  end if
  if (command_argument_count() >= 2) then
    call get_command_argument(2, arg)
    read (arg, *) c
  end if
  call revad_input(k, "k")
  call revad_input(c, "c")
  x = 1.0_ep
  v = 0.0_ep
  dt = 0.01_ep
  do i = 1, 200
    xm = x + 0.5_ep * dt * v
    vm = v + 0.5_ep * dt * (-k * x - c * v)
    x = x + dt * vm
    v = v + dt * (-k * xm - c * vm)
  end do
  call revad_output(x, "x")
  call revad_output(v, "v")
  write (*, '(ES30.20E3)') x
  write (*, '(ES30.20E3)') v
end program real10
