! real(4), real(8), real(10) marked through a Derivgrind-shaped Fortran module
! (dg_inputf(c_loc(x)): the address only, no width).  c_k = a_k + a_k**2 for each kind;
! z4 is a real(4) zero followed by zero bytes.  Mode 'd' seeds dots 1, 2, 3, 4 and prints
! the dot values of the outputs after the values.
include "dg_fortran.f90"

program dg_fortran_widths
  use dg_fortran
  implicit none
  type pad4
    real(4) :: x
    integer(4) :: zero(3)
  end type
  real(4), target :: a4, c4, s4, d4, e4
  real(8), target :: a8, c8, d8
  real(10), target :: a10, c10, d10
  type(pad4), target :: z
  real(4), target :: one4 = 1.0, four4 = 4.0
  real(8), target :: two8 = 2.0d0
  real(10), target :: three10 = 3.0
  character(len=32) :: arg
  logical :: fwd

  a4 = 1.5; a8 = 2.0d0; a10 = 0.5
  z%x = 0.0; z%zero = 0
  if (command_argument_count() >= 1) then
    call get_command_argument(1, arg); read (arg, *) a4
  end if
  if (command_argument_count() >= 2) then
    call get_command_argument(2, arg); read (arg, *) a8
  end if
  if (command_argument_count() >= 3) then
    call get_command_argument(3, arg); read (arg, *) a10
  end if
  fwd = dg_get_mode() == ichar('d')
  if (fwd) then
    call dg_set_dotvalue(c_loc(a4), c_loc(one4), 4)
    call dg_set_dotvalue(c_loc(a8), c_loc(two8), 8)
    call dg_set_dotvalue(c_loc(a10), c_loc(three10), 16)
    call dg_set_dotvalue(c_loc(z%x), c_loc(four4), 4)
  else
    call dg_inputf(c_loc(a4))
    call dg_inputf(c_loc(a8))
    call dg_inputf(c_loc(a10))
    call dg_inputf(c_loc(z%x))
  end if
  c4 = a4 + a4 * a4
  c8 = a8 + a8 * a8
  c10 = a10 + a10 * a10
  s4 = sin(z%x) + 3.0 * z%x
  if (fwd) then
    d4 = 0; d8 = 0; d10 = 0; e4 = 0
    call dg_get_dotvalue(c_loc(c4), c_loc(d4), 4)
    call dg_get_dotvalue(c_loc(c8), c_loc(d8), 8)
    call dg_get_dotvalue(c_loc(c10), c_loc(d10), 16)
    call dg_get_dotvalue(c_loc(s4), c_loc(e4), 4)
    print '(4ES26.17)', real(c4, 8), c8, real(c10, 8), real(s4, 8)
    print '(4ES26.17)', real(d4, 8), d8, real(d10, 8), real(e4, 8)
  else
    call dg_outputf(c_loc(c4))
    call dg_outputf(c_loc(c8))
    call dg_outputf(c_loc(c10))
    call dg_outputf(c_loc(s4))
    print '(4ES26.17)', real(c4, 8), c8, real(c10, 8), real(s4, 8)
  end if
  if (z%zero(3) /= 0) stop 1
end program
