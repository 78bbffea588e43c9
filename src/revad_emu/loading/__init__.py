"""Loading: ELF files (validation, segments, symbols, DWARF lines) and the initial process stack.

Knows nothing of Unicorn or of derivatives; `cpu.machine` maps what these modules describe.
"""
