! revad.f90 -- Fortran module for marking inputs and outputs for revad_emu.
!
! The bind(C) interfaces below call the C shim revad_fortran.c (compile it with the
! program); the generic revad_input / revad_output accept real(c_double) or real(c_float)
! scalars and rank-1 arrays and a Fortran string name:
!
!     use revad
!     call revad_input(x, "x")          ! x: real(8) array or scalar
!     ...
!     call revad_output(y, "y")
!     if (revad_is_running()) print *, "under revad_emu"
module revad
  use, intrinsic :: iso_c_binding, only: c_char, c_double, c_float, c_int, c_null_char, &
                                         c_f_pointer, c_loc
  implicit none
  private
  public :: revad_input, revad_output, revad_is_running
  public :: revad_input_double, revad_output_double, revad_input_float, revad_output_float, &
            revad_running

  interface
    subroutine revad_input_double(p, n, name) bind(C, name="revad_input_double")
      import :: c_double, c_int, c_char
      real(c_double), intent(inout) :: p(*)
      integer(c_int), value :: n
      character(kind=c_char), intent(in) :: name(*)
    end subroutine revad_input_double
    subroutine revad_output_double(p, n, name) bind(C, name="revad_output_double")
      import :: c_double, c_int, c_char
      real(c_double), intent(inout) :: p(*)
      integer(c_int), value :: n
      character(kind=c_char), intent(in) :: name(*)
    end subroutine revad_output_double
    subroutine revad_input_float(p, n, name) bind(C, name="revad_input_float")
      import :: c_float, c_int, c_char
      real(c_float), intent(inout) :: p(*)
      integer(c_int), value :: n
      character(kind=c_char), intent(in) :: name(*)
    end subroutine revad_input_float
    subroutine revad_output_float(p, n, name) bind(C, name="revad_output_float")
      import :: c_float, c_int, c_char
      real(c_float), intent(inout) :: p(*)
      integer(c_int), value :: n
      character(kind=c_char), intent(in) :: name(*)
    end subroutine revad_output_float
    function revad_running() bind(C, name="revad_running") result(r)
      import :: c_int
      integer(c_int) :: r
    end function revad_running
  end interface

  interface revad_input
    module procedure input_d1, input_d0, input_f1, input_f0
  end interface revad_input

  interface revad_output
    module procedure output_d1, output_d0, output_f1, output_f0
  end interface revad_output

contains

  logical function revad_is_running()
    revad_is_running = revad_running() /= 0
  end function revad_is_running

  subroutine input_d1(x, name)
    real(c_double), intent(inout), contiguous :: x(:)
    character(len=*), intent(in) :: name
    call revad_input_double(x, int(size(x), c_int), trim(name)//c_null_char)
  end subroutine input_d1

  subroutine output_d1(x, name)
    real(c_double), intent(inout), contiguous :: x(:)
    character(len=*), intent(in) :: name
    call revad_output_double(x, int(size(x), c_int), trim(name)//c_null_char)
  end subroutine output_d1

  subroutine input_f1(x, name)
    real(c_float), intent(inout), contiguous :: x(:)
    character(len=*), intent(in) :: name
    call revad_input_float(x, int(size(x), c_int), trim(name)//c_null_char)
  end subroutine input_f1

  subroutine output_f1(x, name)
    real(c_float), intent(inout), contiguous :: x(:)
    character(len=*), intent(in) :: name
    call revad_output_float(x, int(size(x), c_int), trim(name)//c_null_char)
  end subroutine output_f1

  ! Scalars: view the scalar as a one-element array (no copy).
  subroutine input_d0(x, name)
    real(c_double), intent(inout), target :: x
    character(len=*), intent(in) :: name
    real(c_double), pointer :: p(:)
    call c_f_pointer(c_loc(x), p, [1])
    call revad_input_double(p, 1_c_int, trim(name)//c_null_char)
  end subroutine input_d0

  subroutine output_d0(x, name)
    real(c_double), intent(inout), target :: x
    character(len=*), intent(in) :: name
    real(c_double), pointer :: p(:)
    call c_f_pointer(c_loc(x), p, [1])
    call revad_output_double(p, 1_c_int, trim(name)//c_null_char)
  end subroutine output_d0

  subroutine input_f0(x, name)
    real(c_float), intent(inout), target :: x
    character(len=*), intent(in) :: name
    real(c_float), pointer :: p(:)
    call c_f_pointer(c_loc(x), p, [1])
    call revad_input_float(p, 1_c_int, trim(name)//c_null_char)
  end subroutine input_f0

  subroutine output_f0(x, name)
    real(c_float), intent(inout), target :: x
    character(len=*), intent(in) :: name
    real(c_float), pointer :: p(:)
    call c_f_pointer(c_loc(x), p, [1])
    call revad_output_float(p, 1_c_int, trim(name)//c_null_char)
  end subroutine output_f0

end module revad
