"""Guest threads run one at a time (issue 16): pthreads, std::thread, busy-waiting threads that
only preemption can interleave, a deadlock, and the same tape twice. Each program runs
natively too; the emulated run must print the same, and its Jacobian must match the analytic
one (derivatives travel between threads through the one memory shadow)."""

from __future__ import annotations

import math
import os
import subprocess

import numpy as np
import pytest

from buildcache import build, have, run_native
from revad_emu import Emulator
from revad_emu.linux.threads import Deadlock

PT = ("-pthread",)


def _prog(name: str, flags=("-O2",), static: bool = False, libs=("-lm",)):
    return build(f"threads/{name}", tuple(flags) + PT, static=static, libs=libs)


@pytest.mark.parametrize("opt,static", [("-O0", True), ("-O2", False)],
                         ids=["O0-static", "O2-dyn"])
def test_worker_pool_mutex_condvar(opt: str, static: bool) -> None:
    exe = _prog("pool.c", (opt,), static)
    xs = [0.3 * (i + 1) for i in range(8)]
    argv = [repr(v) for v in xs]
    native = run_native(exe, argv)
    rec = Emulator(exe, argv).record()
    assert rec.exit_code == 0 and rec.stdout == native.stdout, rec.stdout
    assert rec.stdout.startswith(b"tasks 8 ")  # every task ran once, spread over the workers
    assert rec.warnings == []
    J = rec.jacobian()
    want = [math.sin(v) + v * math.cos(v) for v in xs]
    np.testing.assert_allclose(J[0], want, rtol=1e-12)


def test_std_thread_mutex_and_atomics() -> None:
    exe = build("threads/stdthread.cc", ("-O2", "-pthread"))
    xs = [0.2 * (i + 1) for i in range(12)]
    for nw in ("1", "3"):
        argv = [nw] + [repr(v) for v in xs]
        native = run_native(exe, argv)
        rec = Emulator(exe, argv).record()
        assert rec.stdout == native.stdout and rec.exit_code == 0
        assert rec.stdout.startswith(b"terms 12 ")
        assert rec.warnings == []
        J = rec.jacobian()
        want = [(2 * v - v * v) * math.exp(-v) for v in xs]
        # row 0: mutex-guarded sum; row 1: the std::atomic<double> CAS loop (lock cmpxchg)
        np.testing.assert_allclose(J, [want, want], rtol=1e-12)


def test_busy_waiting_threads_need_preemption() -> None:
    """No system call in the hand-over loop: only the time slice lets the other thread run."""
    exe = _prog("spin.c")
    native = run_native(exe, ["0.75"])
    rec = Emulator(exe, ["0.75"]).record()
    assert rec.stdout == native.stdout == b"out 30.9375\n"
    np.testing.assert_allclose(rec.jacobian(), [[2 * 0.75 * 55]], rtol=1e-15)


def test_same_tape_twice() -> None:
    """Fixed slices and a fixed round-robin order: the interleaving, and so the tape, is the
    same on every run (OpenMP with 4 threads on 2 host CPUs: preemption, spinning, futexes).
    test_compiled_and_python_record_the_same_tape checks the same across the two recorders."""
    exe = build("threads/omp_reduce.c", ("-O2", "-fopenmp"))
    env = {"OMP_NUM_THREADS": "4", "PATH": "/usr/bin"}
    a, b = (Emulator(exe, ["0.5"], env=env).record() for _ in range(2))
    assert a.stats["instructions"] == b.stats["instructions"]
    for name in ("parents", "partials", "values", "addr", "op"):
        np.testing.assert_array_equal(getattr(a.tape, name), getattr(b.tape, name))


def test_deadlock_names_threads_and_places() -> None:
    exe = _prog("deadlock.c", ("-O0",))
    with pytest.raises(Deadlock) as e:
        Emulator(exe).run()
    msg = str(e.value)
    assert "every thread is blocked" in msg
    assert "thread 4242 waits in futex_wait" in msg and "thread 4243 waits in futex_wait" in msg
    assert "deadlock.c:21" in msg and "deadlock.c:11" in msg  # join in main, lock in worker



# -- OpenMP ----------------------------------------------------------------------------------


def _omp_env(n: str | None) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C"}
    if n is not None:
        env["OMP_NUM_THREADS"] = n
    return env


def _omp_fortran():
    from buildcache import CACHE, INCLUDE, PROGRAMS

    moddir = CACHE / "fortran-modules-omp"
    moddir.mkdir(parents=True, exist_ok=True)
    return build(INCLUDE / "revad.f90", ("-O2", "-fopenmp", f"-J{moddir}"),
                 extra_sources=(str(PROGRAMS / "threads/omp_reduce.f90"),
                                str(INCLUDE / "revad_fortran.c")))


@pytest.mark.parametrize("nthreads", ["1", "2", "4", None], ids=["1", "2", "4", "default"])
def test_openmp_c_reduction(nthreads: str | None) -> None:
    exe = build("threads/omp_reduce.c", ("-O2", "-fopenmp"))
    a = 0.3
    native = subprocess.run([str(exe), repr(a)], capture_output=True,
                                          env=_omp_env(nthreads))
    rec = Emulator(exe, [repr(a)], env=_omp_env(nthreads)).record()
    assert rec.stdout == native.stdout and rec.exit_code == 0
    team = int(nthreads) if nthreads else len(os.sched_getaffinity(0))
    assert rec.stdout.startswith(f"threads {team} ".encode())
    assert rec.warnings == []
    xs = [a + i * 0.05 for i in range(64)]
    ws = [1.0 + 0.01 * i for i in range(64)]
    want = [sum(-2 * x * w * math.exp(-x * x) for x, w in zip(xs, ws, strict=True))]
    want += [math.exp(-x * x) for x in xs]
    np.testing.assert_allclose(rec.jacobian()[0], want, rtol=1e-12)


@pytest.mark.skipif(not have("gfortran"), reason="gfortran not installed")
@pytest.mark.parametrize("nthreads", ["1", "2", "4"])
def test_openmp_fortran_reduction(nthreads: str) -> None:
    exe = _omp_fortran()
    a = 0.7
    native = subprocess.run([str(exe), repr(a)], capture_output=True,
                                          env=_omp_env(nthreads))
    rec = Emulator(exe, [repr(a)], env=_omp_env(nthreads)).record()
    assert rec.stdout == native.stdout and rec.exit_code == 0
    assert rec.stdout.startswith(f"threads {nthreads} ".encode())
    want = sum((1 + 0.02 * i) * 0.1 * i * math.cos(a * 0.1 * i) for i in range(1, 49))
    np.testing.assert_allclose(rec.jacobian(), [[want]], rtol=1e-12)


def test_openmp_spinning_costs_little() -> None:
    """libgomp's threads spin (`pause` loops) before sleeping on a futex; the scheduler ends a
    spinner's slice at its `pause`, so two threads cost about what one does."""
    exe = build("threads/omp_reduce.c", ("-O2", "-fopenmp"))
    one = Emulator(exe, env=_omp_env("1")).run()
    two = Emulator(exe, env=_omp_env("2")).run()
    assert one.stdout.replace(b"threads 1", b"threads 2") == two.stdout
    assert two.instructions < 1.2 * one.instructions, (one.instructions, two.instructions)


# -- pipes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("static", [False, True], ids=["dyn", "static"])
def test_pipe_between_threads_keeps_derivatives(static: bool) -> None:
    """Doubles sent through a pipe (dup2'ed, poll, a blocking read, eventfd, select on a
    self-pipe) keep their tape nodes: the pipe's bytes carry their shadow."""
    exe = _prog("pipe.c", static=static)
    native = run_native(exe, ["0.5"])
    rec = Emulator(exe, ["0.5"]).record()
    assert rec.stdout == native.stdout == b"n 8 sumsq 51 direct 51\n"
    assert rec.warnings == []
    np.testing.assert_allclose(rec.jacobian(), [[204.0], [204.0]], rtol=1e-15)


# -- signals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("static", [False, True], ids=["dyn", "static"])
def test_signal_handlers_keep_derivatives(static: bool) -> None:
    """raise, kill, pthread_kill, a blocked-then-unblocked signal, alarm + pause, setitimer
    while computing, SA_ONSTACK on a sigaltstack: handlers change the active g; then SIGFPE
    from an integer division goes to a handler that siglongjmps out."""
    exe = _prog("signals.c", static=static)
    native = run_native(exe, ["0.8"])
    rec = Emulator(exe, ["0.8"]).record()
    assert rec.stdout == native.stdout
    assert rec.stdout.startswith(b"usr1 3 usr2 1 pending_ok 1 alarms 1 on_alt 1 ticks>=3 1 fpe 1")
    assert rec.warnings == []
    x = 0.8
    np.testing.assert_allclose(rec.jacobian(), [[1.25 * 2.25 * 1.5 * math.cos(1.5 * x)]],
                               rtol=1e-14)


def test_faults_without_handler_still_kill(tmp_path) -> None:
    """No handler: an integer division by zero ends the process with SIGFPE, a bad pointer
    with SIGSEGV, as natively (and as before signal handlers were run)."""
    src = tmp_path / "faults.c"
    src.write_text("#include <stdlib.h>\n#include <signal.h>\n"
                   "int main(int c, char **v) { if (c > 2) signal(SIGSEGV, SIG_IGN);\n"
                   "  if (v[1][0] == 'f') return 7 / atoi(v[1] + 1);\n"
                   "  return *(volatile int *)(long)atoi(v[1] + 1); }\n")
    exe = build(src, ("-O0",))
    for arg, sig in (("f0", 8), ("s16", 11)):
        assert run_native(exe, [arg]).returncode == -sig
        res = Emulator(exe, [arg]).run()
        assert res.exit_code == -sig and res.fault, (arg, res.exit_code, res.fault)
    # SIG_IGN for a synchronous fault does not help on Linux either: the process dies.
    assert run_native(exe, ["s16", "ign"]).returncode == -11
    assert Emulator(exe, ["s16", "ign"]).run().exit_code == -11


def test_signal_to_a_blocked_thread() -> None:
    """The handler runs on the target thread, cut its read() short (restarted with SA_RESTART,
    EINTR without) and changed an active value."""
    exe = _prog("sigthread.c")
    native = run_native(exe, ["0.6"])
    rec = Emulator(exe, ["0.6"]).record()
    assert rec.stdout == native.stdout
    assert rec.stdout.startswith(b"read 1 on_worker 1 eintr 1 ")
    np.testing.assert_allclose(rec.jacobian(), [[18 * 0.6]], rtol=1e-14)


# -- the compiled hot path and its Python twin -----------------------------------------------


@pytest.mark.parametrize("name,argv,env", [
    ("pool.c", ["0.4"] * 8, None),
    ("signals.c", ["0.8"], None),
    ("pipe.c", ["0.5"], None),
    ("omp_reduce.c", ["0.3"], {"OMP_NUM_THREADS": "4", "PATH": "/usr/bin"}),
], ids=["pool", "signals", "pipe", "omp4"])
def test_compiled_and_python_record_the_same_tape(monkeypatch, name, argv, env) -> None:
    """Thread switches, signal frames and pipes save/restore the register shadow in both
    implementations alike: identical tapes, including the same interleaving."""
    from test_compiled import assert_same

    flags = ("-O2", "-fopenmp") if name.startswith("omp") else ("-O2", "-pthread")
    exe = build(f"threads/{name}", flags)
    out = []
    for pure in ("1", "0"):
        monkeypatch.setenv("REVAD_PURE_PYTHON", pure)
        out.append(Emulator(exe, argv, env=env).record())
    assert_same(*out)
    assert out[0].stats["instructions"] == out[1].stats["instructions"]


def test_openmp_atomic_critical_and_xchg() -> None:
    """`omp atomic` on a double (lock cmpxchg on its bits), `omp critical` (a futex lock)
    and an atomic exchange (xchg) of a double's bits keep the derivatives."""
    exe = build("threads/omp_atomic.c", ("-O2", "-fopenmp"))
    env = _omp_env("3")
    native = subprocess.run([str(exe), "0.5"], capture_output=True, env=env)
    rec = Emulator(exe, ["0.5"], env=env).record()
    assert rec.stdout == native.stdout and rec.warnings == []
    a = 0.5
    ds = sum(-i * math.sin(a * i) for i in range(16))
    dc = sum(-2 * i * math.cos(a * i) * math.sin(a * i) for i in range(16))
    np.testing.assert_allclose(rec.jacobian(), [[ds], [dc], [ds]], rtol=1e-12)


def test_alarm_cuts_a_sleep_short() -> None:
    """No host time passes: the timer clock jumps by the sleep, and SIGALRM's handler runs
    within sleep(5), which returns the seconds left (4 here; 3 or 4 natively, by timing)."""
    exe = _prog("sleep_alarm.c")
    native = run_native(exe)
    res = Emulator(exe).run()
    assert native.stdout.startswith(b"hits 1 left ") and native.stdout.endswith(b" r 0\n")
    assert res.stdout == b"hits 1 left 4 r 0\n" and res.seconds < 5


def test_timer_signals_wait_for_math_calls(monkeypatch) -> None:
    """An intercepted math call runs unrecorded until it returns: a handler started inside it
    would go unrecorded too, so timer signals wait for the return (both recorders)."""
    from revad_emu.linux import sigframe

    real = sigframe.deliver
    seen = []

    def checked(m, p, **kw):
        rec_part = m.threads.parts[0]
        seen.append(rec_part.can_switch())
        return real(m, p, **kw)

    monkeypatch.setattr(sigframe, "deliver", checked)
    exe = _prog("timer_math.c")
    x, n = 1.3, 4000
    want = sum((k / n) * math.exp(-x * k / n) * (math.cos(x * k / n) - math.sin(x * k / n))
               for k in range(n))
    for pure in ("1", "0"):
        monkeypatch.setenv("REVAD_PURE_PYTHON", pure)
        seen.clear()
        rec = Emulator(exe, ["1.3"]).record()
        assert rec.stdout == run_native(exe, ["1.3"]).stdout
        assert len(seen) > 10 and all(seen), (pure, len(seen))
        np.testing.assert_allclose(rec.jacobian(), [[want]], rtol=1e-10)


def test_handler_edits_its_ucontext() -> None:
    exe = _prog("fpe_skip.c")
    native = run_native(exe)
    res = Emulator(exe).run()
    assert res.stdout == native.stdout == b"q 42 hits 1\n" and res.exit_code == 0


def test_segv_and_ill_handlers() -> None:
    """A bad pointer (SIGSEGV, si_addr = the address) and ud2 (SIGILL) reach handlers."""
    exe = _prog("segv_ill.c", ("-O2",))
    native = run_native(exe)
    res = Emulator(exe).run()
    assert res.stdout == native.stdout == b"segv 1 addr 0x40\nill 1\n" and res.exit_code == 0


def test_sigwait_thread() -> None:
    """Blocked signals taken by sigwait() in a dedicated thread; sigtimedwait times out."""
    exe = _prog("sigwait.c")
    native = run_native(exe, ["0.7"])
    rec = Emulator(exe, ["0.7"]).record()
    assert rec.stdout == native.stdout and rec.stdout.startswith(b"timed_out 1 ")
    np.testing.assert_allclose(rec.jacobian(), [[24 * 0.7**2]], rtol=1e-14)


def test_epoll_event_loop() -> None:
    exe = _prog("epoll.c")
    native = run_native(exe, ["0.25"])
    rec = Emulator(exe, ["0.25"]).record()
    assert rec.stdout == native.stdout == b"got 4 sum 2.5\n" and rec.warnings == []
    np.testing.assert_allclose(rec.jacobian(), [[10.0]], rtol=1e-15)  # d/dx sum_k k x
