"""rv.to_jax, rv.to_torch, rv.map and Dask with loaded functions (skipped without the extras)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.buildcache import build

import revad_emu as rv


@pytest.fixture(scope="module")
def lib():
    return rv.load(build("funcs/funcs.c", ("-O2", "-shared", "-fPIC")))


def test_jax_grad_jit_and_optimisation(lib):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    f = lib.function("energy", "double energy(const double *x, int n)")
    jf = rv.to_jax(f)  # n (argument 1) is static
    x = jnp.array([1.0, -2.0, 0.5])
    assert float(jf(x, 3)) == 5.25
    np.testing.assert_array_equal(jax.grad(jf)(x, 3), 2 * np.asarray(x))
    np.testing.assert_array_equal(jax.jit(jax.grad(jf), static_argnums=1)(x, 3), 2 * x)
    np.testing.assert_array_equal(jax.vmap(lambda u: jf(u, 3))(jnp.stack([x, 2 * x])),
                                  [5.25, 21.0])

    target = jnp.array([0.3, -0.7, 1.2])

    @jax.jit
    def loss(p):  # JAX code around the compiled function
        return jf(p - target, 3) + 0.1 * jnp.sum(p)

    p = jnp.zeros(3)
    for _ in range(60):
        p = p - 0.2 * jax.grad(loss)(p)
    np.testing.assert_allclose(p, target - 0.05, atol=1e-9)  # minimiser of the loss


def test_jax_arrays_out_and_forward_mode(lib):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    step = lib.function("step", "void step(const double *u, double *v, double dt, int n)")
    u = jnp.array([0.2, -0.4, 0.9])
    v = np.zeros(3)
    d = np.sin(u) * np.exp(-u * u)
    dd = np.cos(u) * np.exp(-u * u) - 2 * u * d
    J, Jdt = jax.jacrev(rv.to_jax(step, (0, 2)), argnums=(0, 2))(u, v, 0.1, 3)
    np.testing.assert_allclose(J, np.diag(1 + 0.1 * dd), rtol=1e-13)
    np.testing.assert_allclose(Jdt, d, rtol=1e-13)
    fwd = rv.to_jax(step, (0, 2), mode="forward")
    np.testing.assert_allclose(jax.jacfwd(fwd)(u, v, 0.1, 3), J, rtol=1e-15)
    y, ty = jax.jvp(lambda w: fwd(w, v, 0.1, 3), (u,), (jnp.ones(3),))
    np.testing.assert_allclose(ty, 1 + 0.1 * dd, rtol=1e-13)
    np.testing.assert_allclose(jax.grad(lambda w: jnp.sum(fwd(w, v, 0.1, 3)))(u),
                               1 + 0.1 * dd, rtol=1e-13)


def test_torch(lib):
    torch = pytest.importorskip("torch")
    f = lib.function("energy", "double energy(const double *x, int n)")
    tf = rv.to_torch(f)
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    y = tf(x, 3)
    y.backward()
    assert float(y) == 5.25
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())


def test_map_in_process(lib):
    g = rv.grad(lib.function("energy", "double energy(const double *x, int n)"))
    pts = [(np.array([float(i), -1.0]), 2) for i in range(5)]
    res = rv.map(g, pts, progress=False)
    for (p, _n), r in zip(pts, res, strict=True):
        np.testing.assert_array_equal(r, 2 * p)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:  # chunks come back in order
        res2 = rv.map(g, pts, ex, progress=False, chunksize=2)
    assert all(np.array_equal(a, b) for a, b in zip(res, res2, strict=True))


def test_dask_local_cluster_maps_gradient(lib):
    distributed = pytest.importorskip("distributed")
    g = rv.grad(lib.function("energy",
                             "double energy(const double *x, int n)"))
    rng = np.random.default_rng(3)
    pts = [(rng.normal(size=4), 4) for _ in range(100)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = rv.map(g, pts, client.get_executor(), progress=False, chunksize=10)
        direct = client.gather(client.map(g, *zip(*pts[:10], strict=True)))
    for (p, _n), r in zip(pts, res, strict=True):
        np.testing.assert_allclose(r, 2 * p, rtol=1e-15)
    for (p, _n), r in zip(pts[:10], direct, strict=True):
        np.testing.assert_allclose(r, 2 * p, rtol=1e-15)
