"""The compiled hot path (`revad_emu._hot`) is optional: without a C compiler the package
falls back to the pure-Python recorder, which gives the same tapes, only slower."""

from setuptools import Extension, setup

# -ffp-contract=off: the derivative rules must round exactly as the Python reference does.
FLAGS = ["-O2", "-fno-strict-aliasing", "-ffp-contract=off"]

setup(ext_modules=[Extension("revad_emu._hot", sources=["src/revad_emu/_hot.c"],
                             extra_compile_args=FLAGS, optional=True)])
