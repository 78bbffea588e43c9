! revad.f90 -- the `revad` Fortran module: mark inputs and outputs for revad_emu.
!
! Shipped with revad_emu next to revad.h (`python -m revad_emu --include-dir` prints the
! folder); its C side is revad_fortran.c in the same folder:
!
!     I=$(python -m revad_emu --include-dir)
!     gfortran -O2 -I"$I" "$I/revad.f90" prog.f90 "$I/revad_fortran.c" -o prog
!
!     use revad
!     call revad_input(x, "x")        ! real(4), real(8) or real(10); scalar, rank 1 or 2
!     ...
!     call revad_output(y, "y")       ! the name is optional
!     if (revad_is_running()) print *, "under revad_emu"
!
! Each call passes the variable's address, the number of values and their kind, so the
! marks have exact widths (no guessing); natively the calls do nothing. Arrays must be
! contiguous (whole arrays, or contiguous sections).
module revad
  use, intrinsic :: iso_c_binding, only: c_char, c_float, c_double, c_long_double, c_int, &
                                         c_null_char, c_loc, c_ptr
  implicit none
  private
  public :: revad_input, revad_output, revad_is_running

  integer, parameter :: kind_double = 0, kind_float = 1, kind_long_double = 2

  interface
    subroutine revad_mark_f(is_input, p, n, kind, name) bind(C, name="revad_mark_f")
      import :: c_int, c_ptr, c_char
      integer(c_int), value :: is_input, n, kind
      type(c_ptr), value :: p
      character(kind=c_char), intent(in) :: name(*)
    end subroutine revad_mark_f
    function revad_running() bind(C, name="revad_running") result(r)
      import :: c_int
      integer(c_int) :: r
    end function revad_running
  end interface

  interface revad_input
    module procedure input_r4_0, input_r4_1, input_r4_2, &
                     input_r8_0, input_r8_1, input_r8_2, &
                     input_r10_0, input_r10_1, input_r10_2
  end interface revad_input

  interface revad_output
    module procedure output_r4_0, output_r4_1, output_r4_2, &
                     output_r8_0, output_r8_1, output_r8_2, &
                     output_r10_0, output_r10_1, output_r10_2
  end interface revad_output

contains

  logical function revad_is_running()
    revad_is_running = revad_running() /= 0
  end function revad_is_running

  ! The name as a NUL-terminated C string ("" when absent: revad_emu names the mark).
  function cname(name) result(s)
    character(len=*), intent(in), optional :: name
    character(kind=c_char, len=:), allocatable :: s
    if (present(name)) then
      s = trim(name) // c_null_char
    else
      s = c_null_char
    end if
  end function cname

  subroutine input_r4_0(x, name)
    real(c_float), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(1, c_int), kind_float, cname(name))
  end subroutine input_r4_0

  subroutine input_r4_1(x, name)
    real(c_float), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_float, cname(name))
  end subroutine input_r4_1

  subroutine input_r4_2(x, name)
    real(c_float), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_float, cname(name))
  end subroutine input_r4_2

  subroutine output_r4_0(x, name)
    real(c_float), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(1, c_int), kind_float, cname(name))
  end subroutine output_r4_0

  subroutine output_r4_1(x, name)
    real(c_float), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_float, cname(name))
  end subroutine output_r4_1

  subroutine output_r4_2(x, name)
    real(c_float), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_float, cname(name))
  end subroutine output_r4_2

  subroutine input_r8_0(x, name)
    real(c_double), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(1, c_int), kind_double, cname(name))
  end subroutine input_r8_0

  subroutine input_r8_1(x, name)
    real(c_double), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_double, cname(name))
  end subroutine input_r8_1

  subroutine input_r8_2(x, name)
    real(c_double), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_double, cname(name))
  end subroutine input_r8_2

  subroutine output_r8_0(x, name)
    real(c_double), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(1, c_int), kind_double, cname(name))
  end subroutine output_r8_0

  subroutine output_r8_1(x, name)
    real(c_double), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_double, cname(name))
  end subroutine output_r8_1

  subroutine output_r8_2(x, name)
    real(c_double), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_double, cname(name))
  end subroutine output_r8_2

  subroutine input_r10_0(x, name)
    real(c_long_double), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(1, c_int), kind_long_double, cname(name))
  end subroutine input_r10_0

  subroutine input_r10_1(x, name)
    real(c_long_double), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_long_double, cname(name))
  end subroutine input_r10_1

  subroutine input_r10_2(x, name)
    real(c_long_double), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(1_c_int, c_loc(x), int(size(x), c_int), kind_long_double, cname(name))
  end subroutine input_r10_2

  subroutine output_r10_0(x, name)
    real(c_long_double), intent(inout), target :: x
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(1, c_int), kind_long_double, cname(name))
  end subroutine output_r10_0

  subroutine output_r10_1(x, name)
    real(c_long_double), intent(inout), target, contiguous :: x(:)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_long_double, cname(name))
  end subroutine output_r10_1

  subroutine output_r10_2(x, name)
    real(c_long_double), intent(inout), target, contiguous :: x(:, :)
    character(len=*), intent(in), optional :: name
    call revad_mark_f(0_c_int, c_loc(x), int(size(x), c_int), kind_long_double, cname(name))
  end subroutine output_r10_2

end module revad
