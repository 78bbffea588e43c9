"""The VEX (AVX, AVX2, FMA, F16C, BMI1/2) executor, in pieces; see revad_emu/cpu/avx.py."""
