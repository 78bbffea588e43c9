! No marks: list-directed READ from stdin, formatted READ from a string, formatted and
! list-directed WRITE.
program fio
  implicit none
  double precision :: x, y, z
  character(len=32) :: buf
  read (*, *) x, y
  call get_command_argument(1, buf)
  read (buf, '(F10.4)') z
  write (*, '(F12.6)') x * y + z
  print *, sin(x) * z
  write (*, '(ES14.6)') y / z
end program fio
