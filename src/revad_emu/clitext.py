"""Texts of the command line: `--version`, the `--help` epilog, labelled `--from-tape`
results and the one-line notes after a run. Kept out of cli.py so the option handling
stays short."""

from __future__ import annotations

import numpy as np

EPILOG = """\
options go before PROG: everything after PROG is the program's own argv.

examples:
  revad-emu ./prog 1.5 2.0                    run, print the Jacobian table on stderr
  revad-emu --format json -o r.json ./prog    write the JSON report (also csv, npy)
  revad-emu --explain ./prog 1.5              explain the tape: node, op, value, partials,
                                              function+offset, file:line, disassembly
  revad-emu --explain=tape.txt ./prog         ... into a file
  revad-emu --graph tape.svg ./prog           draw the tape (.dot, .svg, .png)
  revad-emu --trace ./prog                    print each taped instruction as it runs
  revad-emu --tape run.npz ./prog             save the tape, then evaluate it later:
  revad-emu --from-tape run.npz --vjp 1,0,0   output weights -> input adjoints
  revad-emu --from-tape run.npz --jvp 0,1,0   input directions -> output tangents
  revad-emu --from-tape run.npz --jacobian    the full Jacobian

exit status: the program's own; 128+N if it died of signal N (139: invalid memory
access); 125 revad-emu error (not an x86-64 ELF, unsupported instruction, budget
exceeded, --strict); 127 PROG not found; 130 interrupted; 2 bad command line.
"""


def version_text() -> str:
    """Package, unicorn and capstone versions, and whether the compiled hot path is used."""
    import capstone
    import unicorn

    from revad_emu import __version__, compiled

    if compiled.available():
        hot = "compiled hot path: in use"
    elif compiled._hot is None:
        hot = "compiled hot path: not built (pure Python, slower recording)"
    else:
        hot = "compiled hot path: built, switched off by REVAD_PURE_PYTHON"
    return (f"revad-emu {__version__} (unicorn {unicorn.__version__}, capstone "
            f"{capstone.__version__}; {hot})")


def marks_note(rec) -> str | None:
    """One line when there is nothing to differentiate, saying which marks were missing."""
    if rec.inputs and rec.outputs:
        return None
    if not rec.inputs and not rec.outputs:
        return ("revad-emu: note: the program reached no REVAD_INPUT/REVAD_OUTPUT marks; "
                "nothing to differentiate")
    missing = "REVAD_OUTPUT" if rec.inputs else "REVAD_INPUT"
    return f"revad-emu: note: the program reached no {missing} mark; nothing to differentiate"


def labelled(kind: str, res: np.ndarray, tape) -> str:
    """A --from-tape result as text with mark names: `d/d x = ...` lines for a vjp (one
    block per seed row), `name = ...` for a jvp, a named table for a Jacobian."""
    from revad_emu.views import table

    res = np.asarray(res)
    if kind == "jacobian":
        heads = [""] + [f"d/d {n}" for n in tape.input_names]
        rows = [[n, *[repr(float(x)) for x in res[i]]] for i, n in enumerate(tape.output_names)]
        return table.text(heads, rows, [False] + [True] * len(tape.input_names))
    names = tape.input_names if kind == "vjp" else tape.output_names
    label = "d/d " if kind == "vjp" else ""
    blocks = []
    for row in np.atleast_2d(res):
        w = max((len(label + n) for n in names), default=0)
        blocks.append("\n".join(f"{(label + n).ljust(w)} = {float(x)!r}"
                                for n, x in zip(names, row, strict=True)))
    return "\n\n".join(blocks)


def labelled_json(kind: str, res: np.ndarray, tape) -> dict:
    res = np.asarray(res)
    if kind == "jacobian":
        return {"outputs": tape.output_names, "inputs": tape.input_names,
                "jacobian": res.tolist()}
    names = tape.input_names if kind == "vjp" else tape.output_names
    return {"names": names, kind: res.tolist()}
