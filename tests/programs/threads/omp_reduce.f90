! OpenMP parallel do with reduction(+:s) in Fortran: s = sum_i w_i * sin(a * x_i), x_i = i/10.
! Marked through the revad module (shipped next to revad.h, compiled with this file).
program omp_reduce
  use omp_lib
  use revad
  implicit none
  integer, parameter :: n = 48
  double precision :: a, s, w(n), x
  integer :: i, team
  character(len=32) :: arg
  a = 0.7d0
  if (command_argument_count() >= 1) then
    call get_command_argument(1, arg)
    read (arg, *) a
  end if
  do i = 1, n
    w(i) = 1.0d0 + 0.02d0 * i
  end do
  call revad_input(a, "a")
  team = 0
  !$omp parallel
  !$omp single
  team = omp_get_num_threads()
  !$omp end single
  !$omp end parallel
  s = 0.0d0
  !$omp parallel do reduction(+:s) private(x) schedule(static)
  do i = 1, n
    x = 0.1d0 * i
    s = s + w(i) * sin(a * x)
  end do
  !$omp end parallel do
  call revad_output(s, "s")
  print '(a,i0,a,es22.14)', 'threads ', team, ' s ', s
end program omp_reduce
