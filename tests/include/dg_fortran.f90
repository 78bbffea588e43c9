! Derivgrind-shaped Fortran interface for revad_emu's tests (written for revad_emu): the
! routines take the variable's address, `call dg_inputf(c_loc(x))`, as Derivgrind's
! Fortran module does; the C side is dg_fortran_shim.c.  Include this file before the
! program unit (`include "dg_fortran.f90"`).
module dg_fortran
  use, intrinsic :: iso_c_binding
  implicit none
  interface
    subroutine dg_inputf(val) bind(C)
      import :: c_ptr
      type(c_ptr) :: val
    end subroutine
    subroutine dg_outputf(val) bind(C)
      import :: c_ptr
      type(c_ptr) :: val
    end subroutine
    subroutine dg_set_dotvalue(val, dot, size_) bind(C)
      import :: c_ptr, c_int
      type(c_ptr) :: val, dot
      integer(c_int), intent(in) :: size_
    end subroutine
    subroutine dg_get_dotvalue(val, dot, size_) bind(C)
      import :: c_ptr, c_int
      type(c_ptr) :: val, dot
      integer(c_int), intent(in) :: size_
    end subroutine
    function dg_get_mode() bind(C) result(m)
      import :: c_int
      integer(c_int) :: m
    end function
  end interface
end module dg_fortran
