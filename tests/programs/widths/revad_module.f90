! The packaged `revad` module (src/revad_emu/include/revad.f90): real(4) rank-1, real(8)
! scalar, real(10) scalar (unnamed) inputs; real(4) scalar, real(8) rank-2 and real(10)
! outputs.  y4 = a4(1) a4(2); y8 = [a8, 2 a8, a8**2, 1] (column order); y10 = a10**3.
program p
  use revad
  implicit none
  real(4) :: a4(2), y4
  real(8) :: a8, y8(2, 2)
  real(10) :: a10, y10
  a4 = [1.5, 2.0]; a8 = 0.5d0; a10 = 2.0
  call revad_input(a4, "a4")
  call revad_input(a8, "a8")
  call revad_input(a10)
  y4 = a4(1) * a4(2)
  y8 = reshape([a8, 2 * a8, a8**2, 1d0], [2, 2])
  y10 = a10**3
  call revad_output(y4, "y4")
  call revad_output(y8, "y8")
  call revad_output(y10, "y10")
  print *, y4, y8, real(y10, 8), revad_is_running()
end program
