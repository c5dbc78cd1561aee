"""ADBench's Gaussian mixture model objective: numbad vs a hand-written adjoint vs JAX.

Run: ``python -m benchmarks --only gmm`` (``--quick`` for the small sizes).

The objective is ADBench's GMM log-likelihood (microsoft/ADBench,
``src/cpp/shared/gmm.h``; the same function as its PyTorch/TensorFlow
``gmm_objective.py``), with the Wishart prior and every constant:

    f = -n d/2 log(2 pi)
        + sum_i logsumexp_k( alphas[k] + sum(q_k) - 1/2 |Q_k (x_i - means[k])|^2 )
        - n logsumexp(alphas)
        + sum_k ( gamma^2/2 (|exp(q_k)|^2 + |l_k|^2) - m sum(q_k) )
        - K ( N d (log gamma - 1/2 log 2) - log Gamma_d(N/2) ),   N = d + m + 1

where row k of ``icf`` (K x d(d+1)/2) holds q_k, the log of the diagonal of
the inverse-covariance Cholesky factor Q_k, then l_k, its strictly lower
triangle column by column (``Q_k[j, i] = icf[k, d + idx]`` for i < j, idx
counting down column 0, then column 1, ...); every logsumexp subtracts its
maximum first; Gamma_d is the multivariate gamma function. The gradient is
w.r.t. ``alphas`` (K), ``means`` (K x d) and ``icf``.

Sizes. ADBench's generator (``data/gmm/gmm-data-gen.py``) writes
n in {1k, 10k, 2.5M} points and d x K in {2, 10, 20, 32, 64, 128} x
{5, 10, 25, 50, 100, 200}; its CI runs the 1k set with d in {2, 10, 20, 32, 64}.
Here n = 1000 (the "1k" set) and

    small   d = 2,  K = 5     (ADBench's smallest instance)
    medium  d = 10, K = 25
    large   d = 20, K = 50    (full run only)

The data are drawn as ADBench draws them (alphas, icf, x ~ N(0, 1),
means ~ U(0, 1)), from ``numpy.random.default_rng(31337)`` (ADBench's seed,
another generator), with ADBench's Wishart parameters gamma = 1, m = 0.

Contenders:
  primal     ``gmm_objective``: plain ``@njit`` loops, as a Numba user writes it
  numbad     ``numbad.grad(gmm_objective, argnums=(0, 1, 2))``
  hand       ``gmm_gradient_hand``: hand-written ``@njit`` reverse mode, one
             pass over the points with the per-point state (K x d) in cache and
             the mean gradient folded to one Q_k^T product per component
  jax        ``jax.jit(jax.grad(...))`` of a vectorised ``jax.numpy`` objective
             as in ADBench's PyTorch/JAX references (x64)
  autograd   the same vectorised objective in ``autograd.numpy`` (the lower
             triangles scattered by a constant 0/1 matrix: autograd has no
             index assignment)

How the objective is written. The two logsumexps are written out inline (a
``logsumexp(v)`` helper works too: numbad then copies ``main_term`` at each
call, as the next point refills it); the multivariate log-gamma is a scalar
helper (inactive: it depends on d and m only).
"""
import math

import numpy as np
from numba import njit

from . import Case

SEED = 31337
SIZES = {"small": (2, 5), "medium": (10, 25), "large": (20, 50)}
N_POINTS = 1000


# ---------------------------------------------------------------------------
# the objective, as plain Numba loops
# ---------------------------------------------------------------------------

@njit
def log_gamma_distrib(a, p):
    """log of the multivariate gamma function Gamma_p(a)."""
    out = 0.25 * p * (p - 1) * math.log(math.pi)
    for j in range(1, p + 1):
        out += math.lgamma(a + 0.5 * (1 - j))
    return out


@njit
def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    # exp of the log-diagonals, their sums, and the Wishart prior's data term
    Qdiags = np.empty((K, d))
    sum_qs = np.empty(K)
    prior = 0.0
    for k in range(K):
        sum_q = 0.0
        frobenius = 0.0
        for j in range(d):
            q = icf[k, j]
            sum_q += q
            Qdiags[k, j] = math.exp(q)
            frobenius += Qdiags[k, j] * Qdiags[k, j]
        for j in range(d, icf.shape[1]):
            frobenius += icf[k, j] * icf[k, j]
        sum_qs[k] = sum_q
        prior += 0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_q
    xcentered = np.empty(d)
    Qxcentered = np.empty(d)
    main_term = np.empty(K)
    slse = 0.0
    for i in range(n):
        for k in range(K):
            # Qxcentered = Q_k (x_i - means[k]), Q_k lower triangular
            for j in range(d):
                xcentered[j] = x[i, j] - means[k, j]
                Qxcentered[j] = Qdiags[k, j] * xcentered[j]
            idx = d
            for j in range(d):
                for l in range(j + 1, d):
                    Qxcentered[l] += icf[k, idx] * xcentered[j]
                    idx += 1
            sqsum = 0.0
            for j in range(d):
                sqsum += Qxcentered[j] * Qxcentered[j]
            main_term[k] = alphas[k] + sum_qs[k] - 0.5 * sqsum
        # logsumexp(main_term)
        mx = main_term[0]
        for k in range(1, K):
            mx = max(mx, main_term[k])
        semx = 0.0
        for k in range(K):
            semx += math.exp(main_term[k] - mx)
        slse += math.log(semx) + mx
    # logsumexp(alphas)
    mx = alphas[0]
    for k in range(1, K):
        mx = max(mx, alphas[k])
    semx = 0.0
    for k in range(K):
        semx += math.exp(alphas[k] - mx)
    lse_alphas = math.log(semx) + mx
    nw = d + wishart_m + 1
    C = nw * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) \
        - log_gamma_distrib(0.5 * nw, d)
    CONSTANT = -n * d * 0.5 * math.log(2.0 * math.pi)
    return CONSTANT + slse - n * lse_alphas + prior - K * C


# ---------------------------------------------------------------------------
# hand-written reverse mode
# ---------------------------------------------------------------------------

@njit
def gmm_gradient_hand(alphas, means, icf, x, wishart_gamma, wishart_m):
    """(d f/d alphas, d f/d means, d f/d icf) of ``gmm_objective``.

    With y_ik = Q_k (x_i - means[k]) and w_ik = softmax_k(main_term[i, :]):
      d/d alphas[k] = sum_i w_ik - n softmax(alphas)_k
      d/d means[k]  = Q_k^T sum_i w_ik y_ik          (one product per k, at the end)
      d/d q_kj      = sum_i w_ik (1 - y_ikj xc_ikj exp(q_kj)) + gamma^2 exp(2 q_kj) - m
      d/d l_k[j->l] = -sum_i w_ik y_ikl xc_ikj + gamma^2 l_k[j->l]
    One pass over the points: the forward values of one point (K x d) stay in
    cache for its reverse step; the sums over i are accumulated per component.
    """
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    Qdiags = np.empty((K, d))
    sum_qs = np.empty(K)
    for k in range(K):
        s = 0.0
        for j in range(d):
            s += icf[k, j]
            Qdiags[k, j] = math.exp(icf[k, j])
        sum_qs[k] = s
    xc = np.empty((K, d))
    ys = np.empty((K, d))
    main_term = np.empty(K)
    wsum = np.zeros(K)               # sum_i w_ik
    wy = np.zeros((K, d))            # sum_i w_ik y_ik
    wyx = np.zeros((K, d))           # sum_i w_ik y_ikj xc_ikj
    g_icf = np.zeros_like(icf)
    for i in range(n):
        for k in range(K):
            for j in range(d):
                c = x[i, j] - means[k, j]
                xc[k, j] = c
                ys[k, j] = Qdiags[k, j] * c
            idx = d
            for j in range(d):
                c = xc[k, j]
                for l in range(j + 1, d):
                    ys[k, l] += icf[k, idx] * c
                    idx += 1
            sq = 0.0
            for j in range(d):
                sq += ys[k, j] * ys[k, j]
            main_term[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = main_term[0]
        for k in range(1, K):
            mx = max(mx, main_term[k])
        semx = 0.0
        for k in range(K):
            main_term[k] = math.exp(main_term[k] - mx)
            semx += main_term[k]
        inv = 1.0 / semx
        for k in range(K):
            w = main_term[k] * inv
            wsum[k] += w
            for j in range(d):
                wy[k, j] += w * ys[k, j]
                wyx[k, j] += w * ys[k, j] * xc[k, j]
            idx = d
            for j in range(d):
                c = -w * xc[k, j]
                for l in range(j + 1, d):
                    g_icf[k, idx] += c * ys[k, l]
                    idx += 1
    # -n logsumexp(alphas)
    mx = alphas[0]
    for k in range(1, K):
        mx = max(mx, alphas[k])
    semx = 0.0
    for k in range(K):
        semx += math.exp(alphas[k] - mx)
    g_alphas = np.empty(K)
    for k in range(K):
        g_alphas[k] = wsum[k] - n * math.exp(alphas[k] - mx) / semx
    # means: Q_k^T wy_k;  icf: sum_qs, Q diagonal and the Wishart prior
    g_means = np.empty((K, d))
    g2 = wishart_gamma * wishart_gamma
    for k in range(K):
        for j in range(d):
            qd = Qdiags[k, j]
            g_means[k, j] = qd * wy[k, j]
            g_icf[k, j] = wsum[k] - qd * wyx[k, j] + g2 * qd * qd - wishart_m
        idx = d
        for j in range(d):
            s = 0.0
            for l in range(j + 1, d):
                s += icf[k, idx] * wy[k, l]
                g_icf[k, idx] += g2 * icf[k, idx]
                idx += 1
            g_means[k, j] += s
    return g_alphas, g_means, g_icf


# ---------------------------------------------------------------------------
# JAX: the vectorised objective of ADBench's PyTorch/JAX references
# ---------------------------------------------------------------------------

def _vectorized_objective(xp, lower_factors):
    """The objective written for array module ``xp`` (``jax.numpy`` or
    ``autograd.numpy``); ``lower_factors(lower, K, d)`` gives the K strictly lower
    triangles (rows ``icf[:, d:]``) as a (K, d, d) array."""
    from scipy.special import multigammaln  # of d and m only: a constant

    def logsumexp_rows(v):
        mx = xp.max(v, axis=-1, keepdims=True)
        return xp.log(xp.sum(xp.exp(v - mx), axis=-1)) + mx[..., 0]

    def objective(alphas, means, icf, x, wishart_gamma, wishart_m):
        n, d = x.shape
        K = alphas.shape[0]
        qs = icf[:, :d]
        Qdiags = xp.exp(qs)
        sum_qs = xp.sum(qs, axis=1)
        Ls = lower_factors(icf[:, d:], K, d)
        xcentered = x[:, None, :] - means[None, :, :]                       # n, K, d
        Qxcentered = Qdiags * xcentered + xp.einsum("kij,nkj->nki", Ls, xcentered)
        main_term = alphas + sum_qs - 0.5 * xp.sum(Qxcentered ** 2, axis=2)
        slse = xp.sum(logsumexp_rows(main_term))
        nw = d + wishart_m + 1
        C = nw * d * (xp.log(wishart_gamma) - 0.5 * math.log(2.0)) \
            - multigammaln(0.5 * nw, d)
        prior = xp.sum(0.5 * wishart_gamma ** 2 * (xp.sum(Qdiags ** 2, axis=1)
                                                   + xp.sum(icf[:, d:] ** 2, axis=1))
                       - wishart_m * sum_qs) - K * C
        CONSTANT = -n * d * 0.5 * math.log(2.0 * math.pi)
        return CONSTANT + slse - n * logsumexp_rows(alphas) + prior

    return objective


def gmm_jax_objective():
    """The objective in ``jax.numpy`` (x64 enabled); ``wishart_m`` must be static."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def lower_factors(lower, K, d):
        rows, cols = tril_indices_colmajor(d)
        return jnp.zeros((K, d, d), lower.dtype).at[:, rows, cols].set(lower)
    return _vectorized_objective(jnp, lower_factors)


def gmm_jax_grad():
    """``jax.jit(jax.grad(objective, argnums=(0, 1, 2)))``, ``wishart_m`` static."""
    import jax
    return jax.jit(jax.grad(gmm_jax_objective(), argnums=(0, 1, 2)), static_argnums=(5,))


def tril_indices_colmajor(d):
    """(rows, cols) of the strictly lower triangle in ADBench's icf order (column by column)."""
    rows = [l for j in range(d) for l in range(j + 1, d)]
    cols = [j for j in range(d) for l in range(j + 1, d)]
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


# ---------------------------------------------------------------------------
# data, checks, timing
# ---------------------------------------------------------------------------

def make_instance(n, d, K, seed=SEED, wishart_gamma=1.0, wishart_m=0):
    """A random instance drawn as ADBench draws its GMM data; returns the argument tuple."""
    rng = np.random.default_rng(seed)
    alphas = rng.normal(size=K)
    means = rng.uniform(size=(K, d))
    icf = rng.normal(size=(K, d * (d + 1) // 2))
    x = rng.normal(size=(n, d))
    return alphas, means, icf, x, float(wishart_gamma), int(wishart_m)


def assert_grads_close(got, expected, rtol, what):
    """Each gradient array close to the other, atol scaled to its largest entry."""
    for name, a, b in zip(("alphas", "means", "icf"), got, expected):
        b = np.asarray(b)
        np.testing.assert_allclose(np.asarray(a), b, rtol=rtol,
                                   atol=rtol * max(1.0, float(np.max(np.abs(b)))),
                                   err_msg=f"{what}: d/d {name}")


def gmm_autograd_objective():
    """The vectorised objective in ``autograd.numpy``."""
    import autograd.numpy as anp

    def lower_factors(lower, K, d):     # no index assignment: a constant 0/1 scatter
        rows, cols = tril_indices_colmajor(d)
        scatter = np.zeros((len(rows), d * d))
        scatter[np.arange(len(rows)), rows * d + cols] = 1.0
        return anp.reshape(anp.dot(lower, scatter), (K, d, d))
    return _vectorized_objective(anp, lower_factors)


def cases(quick):
    sizes = ("small", "medium") if quick else ("small", "medium", "large")
    return [Case("GMM (ADBench)", "n=%d d=%d K=%d" % (N_POINTS, d, K), gmm_objective,
                 make_instance(N_POINTS, d, K), (0, 1, 2), hand=gmm_gradient_hand,
                 jax=gmm_jax_objective, autograd=gmm_autograd_objective,
                 static_argnums=(5,), rtol=1e-9)
            for d, K in (SIZES[s] for s in sizes)]
