"""np.linalg.solve / inv / det / cholesky and np.diag: reverse and forward mode, and
second derivatives, against JAX and central differences."""
import math

import numba
import numpy as np
import pytest
from gradcheck import fd_array

import numbad

pytest.importorskip("scipy")     # Numba's np.linalg calls SciPy's LAPACK


@numba.njit
def gaussian_loglik(log_ell, x, y):
    """A Gaussian process's negative log likelihood: K built in loops, then det and
    solve."""
    n = x.shape[0]
    ell = math.exp(log_ell[0])
    K = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            K[i, j] = math.exp(-0.5 * (x[i] - x[j]) ** 2 / (ell * ell))
        K[i, i] += 0.1
    alpha = np.linalg.solve(K, y)
    return 0.5 * np.dot(y, alpha) + 0.5 * math.log(np.linalg.det(K))


def jax_gaussian_loglik(jnp, log_ell, x, y):
    ell = jnp.exp(log_ell[0])
    K = jnp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / (ell * ell)) + 0.1 * jnp.eye(x.shape[0])
    return 0.5 * jnp.dot(y, jnp.linalg.solve(K, y)) + 0.5 * jnp.log(jnp.linalg.det(K))


@numba.njit
def implicit_euler(A, u0, dt, steps):
    """Implicit Euler for u' = -A u + sin(u): a linear solve in each step."""
    n = u0.shape[0]
    M = np.eye(n) + dt * A
    u = u0.copy()
    for _ in range(steps):
        u = np.linalg.solve(M, u + dt * np.sin(u))
    return np.sum(u * u)


def jax_implicit_euler(jax, A, u0, dt, steps):
    jnp = jax.numpy
    M = jnp.eye(u0.shape[0]) + dt * A
    u = jax.lax.fori_loop(0, steps, lambda _, u: jnp.linalg.solve(M, u + dt * jnp.sin(u)), u0)
    return jnp.sum(u * u)


@numba.njit
def matrix_functions(A, B):
    Ainv = np.linalg.inv(A)
    X = np.linalg.solve(A, B)           # 2-D right-hand side
    return np.sum(Ainv * B) + np.sum(X ** 2) + np.linalg.det(A @ B) + \
        np.sum(np.diag(np.diag(A)) * B)


def jax_matrix_functions(jnp, A, B):
    return jnp.sum(jnp.linalg.inv(A) * B) + jnp.sum(jnp.linalg.solve(A, B) ** 2) + \
        jnp.linalg.det(A @ B) + jnp.sum(jnp.diag(jnp.diag(A)) * B)


def _well_conditioned(rng, n):
    return np.eye(n) * 3.0 + 0.4 * rng.standard_normal((n, n))


def test_matrix_functions_against_jax_and_differences(rng, jax_module):
    jnp = jax_module.numpy
    A, B = _well_conditioned(rng, 4), rng.standard_normal((4, 4))
    got = numbad.grad(matrix_functions, argnums=(0, 1))(A, B)
    want = jax_module.grad(lambda A, B: jax_matrix_functions(jnp, A, B), argnums=(0, 1))(A, B)
    for i in range(2):
        np.testing.assert_allclose(got[i], want[i], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[i], fd_array(matrix_functions, (A, B), i), rtol=1e-5)
    dA, dB = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    _, tangent = numbad.jvp(matrix_functions, (A, B), (dA, dB))
    np.testing.assert_allclose(tangent, np.sum(got[0] * dA) + np.sum(got[1] * dB), rtol=1e-10)


def test_gaussian_process_likelihood_gradient_and_hessian(rng, jax_module):
    jnp = jax_module.numpy
    x, y = np.sort(rng.uniform(0.0, 3.0, 6)), rng.standard_normal(6)
    log_ell = np.array([-0.2])
    g = numbad.grad(gaussian_loglik)(log_ell, x, y)
    np.testing.assert_allclose(g, jax_module.grad(
        lambda p: jax_gaussian_loglik(jnp, p, x, y))(log_ell), rtol=1e-9)
    np.testing.assert_allclose(g, fd_array(gaussian_loglik, (log_ell, x, y), 0), rtol=1e-6)
    h = numbad.hessian(gaussian_loglik)(log_ell, x, y)
    np.testing.assert_allclose(h, jax_module.hessian(
        lambda p: jax_gaussian_loglik(jnp, p, x, y))(log_ell), rtol=1e-8)


def test_solve_in_a_time_loop_against_jax(rng, jax_module):
    n, steps, dt = 5, 40, 0.05
    A = _well_conditioned(rng, n)
    u0 = rng.standard_normal(n)
    got = numbad.grad(implicit_euler, argnums=(0, 1))(A, u0, dt, steps)
    want = jax_module.grad(lambda A, u0: jax_implicit_euler(jax_module, A, u0, dt, steps),
                           argnums=(0, 1))(A, u0)
    for i in range(2):
        np.testing.assert_allclose(got[i], want[i], rtol=1e-9, atol=1e-12)
    hv = numbad.hvp(implicit_euler, argnums=1)(A, u0, dt, steps, np.ones(n))
    want_hv = jax_module.jvp(jax_module.grad(
        lambda u0: jax_implicit_euler(jax_module, A, u0, dt, steps)), (u0,), (np.ones(n),))[1]
    np.testing.assert_allclose(hv, want_hv, rtol=1e-8)



@numba.njit
def mvn_negloglik(params, x):
    """A multivariate normal's negative log likelihood, its covariance factored by
    np.linalg.cholesky (built symmetric from the parameters)."""
    n = x.shape[0]
    K = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            K[i, j] = params[0] * math.exp(-abs(i - j) / params[1])
        K[i, i] += params[2]
    L = np.linalg.cholesky(K)
    z = np.linalg.solve(L, x)
    return 0.5 * np.dot(z, z) + np.sum(np.log(np.diag(L)))


def jax_mvn_negloglik(jnp, params, x):
    n = x.shape[0]
    d = jnp.abs(jnp.arange(n)[:, None] - jnp.arange(n)[None, :])
    K = params[0] * jnp.exp(-d / params[1]) + params[2] * jnp.eye(n)
    L = jnp.linalg.cholesky(K)
    z = jnp.linalg.solve(L, x)
    return 0.5 * jnp.dot(z, z) + jnp.sum(jnp.log(jnp.diag(L)))


@numba.njit
def cholesky_entries(A, W):
    return np.sum(np.linalg.cholesky(A) * W)


def test_cholesky_likelihood_against_jax(rng, jax_module):
    jnp = jax_module.numpy
    params, x = np.array([1.3, 2.0, 0.4]), rng.standard_normal(5)
    got = numbad.grad(mvn_negloglik)(params, x)
    np.testing.assert_allclose(got, jax_module.grad(
        lambda p: jax_mvn_negloglik(jnp, p, x))(params), rtol=1e-9)
    np.testing.assert_allclose(got, fd_array(mvn_negloglik, (params, x), 0), rtol=1e-6)
    v = np.array([0.3, -1.0, 0.5])
    hv = numbad.hvp(mvn_negloglik)(params, x, v)
    np.testing.assert_allclose(hv, jax_module.jvp(jax_module.grad(
        lambda p: jax_mvn_negloglik(jnp, p, x)), (params,), (v,))[1], rtol=1e-8)


def test_cholesky_reads_the_lower_triangle_as_numba_does(rng):
    """The adjoint of A itself is that of Numba's cholesky, which reads A's lower
    triangle only: central differences of it, entry by entry, upper triangle zero."""
    B = rng.standard_normal((4, 4))
    A, W = B @ B.T + 4.0 * np.eye(4), rng.standard_normal((4, 4))
    got = numbad.grad(cholesky_entries)(A, W)
    np.testing.assert_allclose(got, fd_array(cholesky_entries, (A, W), 0), rtol=1e-6,
                               atol=1e-9)
    assert np.all(np.triu(got, 1) == 0.0)
    dA = rng.standard_normal((4, 4))
    _, t = numbad.jvp(cholesky_entries, (A, W), (dA, np.zeros((4, 4))))
    np.testing.assert_allclose(t, np.sum(got * dA), rtol=1e-10)
