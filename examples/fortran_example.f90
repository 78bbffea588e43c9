! Example: differentiate a Fortran computation with revad_emu.
!
!   I=$(python -m revad_emu --include-dir)    # revad.h, revad.f90, revad_fortran.c
!   gfortran -O2 -I"$I" "$I/revad.f90" fortran_example.f90 "$I/revad_fortran.c" -o fex
!   ./fex 0.5 1.5            # runs natively
!   python -m revad_emu ... ./fex 0.5 1.5
program fortran_example
  use revad
  implicit none
  real(8) :: x(2), y
  character(len=64) :: arg
  integer :: i

  x = [0.5d0, 1.5d0]
  do i = 1, min(2, command_argument_count())
    call get_command_argument(i, arg)
    read (arg, *) x(i)
  end do

  call revad_input(x, "x")
  y = x(1)**2 * x(2) + x(2) / x(1)      ! dy/dx = (2 x1 x2 - x2/x1**2, x1**2 + 1/x1)
  call revad_output(y, "y")
  write (*, '(ES25.16E3)') y
  if (revad_is_running()) write (*, '(A)') "(recorded by revad_emu)"
end program fortran_example
