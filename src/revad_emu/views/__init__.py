"""Views of a recording for people: the tape as a table (`explain`), a graph (`dot`), a
sensitivity map of the source (`byline`), a finite-difference check (`check`), notebook
display (`display`), progress bars (`progress`) and a live trace (`trace`).

They sit on top of the tape and the symbolizer and import downward only; `Recording` and
`Tape` expose them as methods (see `methods.ViewsMixin`).
"""
