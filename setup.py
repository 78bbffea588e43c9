"""The compiled extensions are optional: `_hot` (the recorder's hot path) and `_sweep` (the
sweep loops). Without a C compiler the package falls back to the pure-Python reference code,
which gives the same tapes and derivatives, only slower."""

from setuptools import Extension, setup

# -ffp-contract=off: the derivative rules must round exactly as the Python reference does.
FLAGS = ["-O2", "-fno-strict-aliasing", "-ffp-contract=off"]

setup(ext_modules=[Extension("revad_emu._hot", sources=["src/revad_emu/_hot.c"],
                             depends=["src/revad_emu/_hot_x87.c"],
                             extra_compile_args=FLAGS, optional=True),
                   Extension("revad_emu._sweep", sources=["src/revad_emu/_sweep.c"],
                             extra_compile_args=FLAGS, optional=True)])
