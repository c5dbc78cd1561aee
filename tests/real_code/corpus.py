"""The corpus: real Numba code from public projects (copied unchanged into the
modules of this package), each wrapped, where it does not already return one, in a
small @numba.njit loss that makes a float of its results.

A Case names the function, its project, the loss, fresh arguments, which of them
to differentiate, and (where JAX can express it reasonably) the same loss in
jax.numpy. `expect` is "ok" for ordinary differentiable code and "refused" only
for code that calls compiled code numbad cannot see (a C function pointer) or has
no derivative at all. Where numbad fails an "ok" case today, `xfail` holds the
symptom per check ("reverse", "forward", "jax"); test_real_code.py marks those
checks strict-xfail, so the suite stays green and a fix shows up as an XPASS.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numba
import numpy as np

from . import antropy_code as ap
from . import numba_examples as ne
from . import pvlib_code as spa
from . import pynndescent_code as pn
from .numba_stats_code import cruijff, expon, norm, truncnorm, voigt
from .poliastro_code._math import special as pspecial
from .poliastro_code.core import angles, elements, iod
from .poliastro_code.core.propagation import markley as pmarkley
from .poliastro_code.core.propagation import vallado as pvallado
from .quantecon_code import approximation as qapprox
from .quantecon_code import inequality as qineq
from .quantecon_code import markov_utilities as qmarkov
from .quantecon_code import nelder_mead as qnm
from .quantecon_code import root_finding as qroot
from .quantecon_code import scalar_maximization as qmax

try:
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as jsp
except ImportError:          # the JAX checks are skipped without it
    jax = jnp = jsp = None


@dataclass
class Case:
    name: str
    project: str
    loss: Callable
    args: Callable[[], tuple]
    argnums: object = 0
    jax_loss: Optional[Callable] = None
    expect: str = "ok"                      # "ok" or "refused"
    construct: str = ""                     # the real-code idioms the case exercises
    xfail: dict = field(default_factory=dict)   # check -> symptom, for strict xfail
    fd_steps: tuple = (1e-6, 1e-4)          # relative central-difference steps
    rtol: float = 1e-5                      # numbad vs the better finite difference
    fd_consistency: float = 1e-3            # the two finite differences must agree this well
    jax_rtol: float = 1e-8                  # numbad vs jax.grad
    value_rtol: float = 1e-10               # jvp's value vs the loss
    isolate: bool = False                   # run numbad in a child process (it crashed the interpreter)


CASES = []


def case(**kw):
    CASES.append(Case(**kw))


def rng_array(seed, shape, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# Fixed weights that turn vector outputs into a float (no symmetric cancellations).
W2 = np.array([1.0, -0.6])
W3 = np.array([0.7, -1.3, 0.4])
W3B = np.array([-0.2, 0.9, 1.1])
W4 = np.array([0.3, -0.8, 1.2, 0.5])
W5 = np.array([0.6, -0.4, 1.1, 0.2, -0.9])
W22 = np.array([[0.5, -1.2], [0.8, 0.3]])
W23 = np.array([[1e-3, -2e-3, 1.5e-3], [0.7, -0.4, 1.1]])
W32 = np.array([[0.4, -0.7], [1.2, 0.1], [-0.5, 0.9]])
W55 = rng_array(55, (5, 5))
W66 = rng_array(66, (6, 6))

# =============================================================================
# Numba's own examples (finance, statistics, PDEs, ML, molecular physics, images)
# =============================================================================
P = "numba examples"


@numba.njit
def loss_blackscholes_pa(sptprice, strike, rate, volatility, timev):
    return np.sum(ne.blackscholes(sptprice, strike, rate, volatility, timev) * W3)


def jax_blackscholes_pa(sptprice, strike, rate, volatility, timev):
    def cndf2(x):
        return 0.5 + 0.5 * jsp.erf(0.707106781 * x)
    logterm = jnp.log10(sptprice / strike)
    powterm = 0.5 * volatility * volatility
    den = volatility * jnp.sqrt(timev)
    d1 = (((rate + powterm) * timev) + logterm) / den
    d2 = d1 - den
    fv = strike * jnp.exp(-rate * timev)
    call = sptprice * cndf2(d1) - fv * cndf2(d2)
    return jnp.sum((call - fv + sptprice) * W3)


case(name="blackscholes_vectorize_parallel", project=P, loss=loss_blackscholes_pa,
     args=lambda: (np.array([42.0, 40.0, 38.0]), np.array([40.0, 41.0, 39.0]),
                   np.array([0.05, 0.03, 0.04]), np.array([0.2, 0.25, 0.3]),
                   np.array([0.5, 1.0, 2.0])),
     argnums=(0, 1, 2, 3, 4), jax_loss=jax_blackscholes_pa,
     construct="@numba.vectorize ufunc (math.erf) called on arrays inside njit(parallel=True); np.log10")


@numba.njit
def loss_black_scholes_numba(S, X, T, R, V):
    call, put = ne.black_scholes_numba(S, X, T, R, V)
    return np.sum(call * W3) + 0.5 * np.sum(put)


def jax_black_scholes_numba(S, X, T, R, V):
    def cnd(d):
        A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
        K = 1.0 / (1.0 + 0.2316419 * jnp.abs(d))
        r = 0.39894228040143267793994605993438 * jnp.exp(-0.5 * d * d) * (
            K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5)))))
        return jnp.where(d > 0, 1.0 - r, r)
    sqrtT = jnp.sqrt(T)
    d1 = (jnp.log(S / X) + (R + 0.5 * V * V) * T) / (V * sqrtT)
    d2 = d1 - V * sqrtT
    expRT = jnp.exp(-R * T)
    call = S * cnd(d1) - X * expRT * cnd(d2)
    put = X * expRT * (1.0 - cnd(d2)) - S * (1.0 - cnd(d1))
    return jnp.sum(call * W3) + 0.5 * jnp.sum(put)


case(name="black_scholes_tuple_of_arrays", project=P, loss=loss_black_scholes_numba,
     args=lambda: (np.array([42.0, 40.0, 30.0]), np.array([40.0, 41.0, 39.0]),
                   np.array([0.5, 1.0, 2.0]), 0.05, 0.2),
     argnums=(0, 1, 2, 3, 4), jax_loss=jax_black_scholes_numba,
     construct="lazy @jit; math.fabs, branch on sign; returns a tuple of two arrays filled in a loop")


def jax_kde(X):
    b = 0.5
    points = jnp.array([-1.0, 2.0, 5.0])
    d = (-(X[:, None] - points[None, :]) ** 2) / (2 * b ** 2)
    m = jnp.min(d, axis=1)
    return jnp.sum(m - jnp.log(b * 3) + jnp.log(jnp.sum(jnp.exp(d - m[:, None]), axis=1)))


case(name="kde_logsumexp_prange", project=P, loss=ne.kde,
     args=lambda: (np.array([0.1, 1.5, 3.0, 4.2]),), argnums=0, jax_loss=jax_kde,
     construct="prange in a non-parallel njit; int accumulator `exps = 0` made float; np.min/np.sum/np.exp of a local array")


@numba.njit
def loss_numba_kde(eval_points, samples, bandwidths):
    return np.sum(ne.numba_kde(eval_points, samples, bandwidths) * W2)


def jax_numba_kde(e, s, b):
    z = (e[:, None] - s[None, :]) / b[None, :]
    g = jnp.exp(-0.5 * z ** 2) / jnp.sqrt(2 * jnp.pi) / b[None, :]
    return jnp.sum(jnp.sum(g, axis=1) / s.shape[0] * W2)


case(name="kde_enumerate_zip", project=P, loss=loss_numba_kde,
     args=lambda: (np.array([0.1, 0.5]), np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.5, 2.0])),
     argnums=(0, 1, 2), jax_loss=jax_numba_kde,
     construct="for i, v in enumerate(a): for s, b in zip(u, w); result[i] += ...; result[i] /= len(...)")


@numba.njit
def loss_jacobi(A):
    Anew = A.copy()
    error = ne.jacobi_relax_core(A, Anew)
    return error + np.sum(Anew * W55)


case(name="jacobi_relax_core_max_error", project=P, loss=loss_jacobi,
     args=lambda: (rng_array(1, (5, 5)),), argnums=0,
     construct="lazy @jit; output array argument written in a 2-D stencil loop; error = max(error, abs(...))")


@numba.njit
def loss_logistic_regression(Y, X, w):
    return np.sum(ne.logistic_regression(Y, X, w, 3) ** 2)


def jax_logistic_regression(Y, X, w):
    for _ in range(3):
        w = w - jnp.dot(((1.0 / (1.0 + jnp.exp(-Y * jnp.dot(X, w))) - 1.0) * Y), X)
    return jnp.sum(w ** 2)


case(name="logistic_regression_inplace", project=P, loss=loss_logistic_regression,
     args=lambda: (np.array([1.0, -1.0, 1.0, 1.0]), rng_array(2, (4, 3)), np.array([0.1, -0.2, 0.3])),
     argnums=(1, 2), jax_loss=jax_logistic_regression,
     construct="njit(parallel=True); `w -= np.dot(...)` updating an argument in place; np.dot vector-matrix")


@numba.njit
def loss_linear_regression(Y, X, w):
    return np.sum(ne.linear_regression(Y, X, w, 3, 0.05) * W32)


def jax_linear_regression(Y, X, w):
    for _ in range(3):
        w = w - 0.05 * jnp.dot(X.T, jnp.dot(X, w) - Y)
    return jnp.sum(w * W32)


case(name="linear_regression_inplace_2d", project=P, loss=loss_linear_regression,
     args=lambda: (rng_array(3, (6, 2)), rng_array(4, (6, 3)), rng_array(5, (3, 2))),
     argnums=(0, 1, 2), jax_loss=jax_linear_regression,
     construct="`w -= alphaN * np.dot(X.T, np.dot(X, w) - Y)` on a 2-D argument; .T; matrix products")


@numba.njit
def loss_kmeans(A, init_centroids):
    c = ne.kmeans(A, 2, 2, A.shape[0], A.shape[1], init_centroids)
    return np.sum(c * W22)


case(name="kmeans_comprehensions_masks", project=P, loss=loss_kmeans,
     args=lambda: (np.array([[0.1, 0.2], [0.25, 0.05], [0.0, 0.3], [0.2, 0.1],
                             [0.9, 0.8], [1.1, 0.95], [0.85, 1.05], [1.0, 0.7]]),
                   np.array([[0.3, 0.3], [0.7, 0.7]])),
     argnums=(0, 1),
     construct="np.array of nested list comprehensions; .argmin(); boolean-mask gathers A[labels == i, j]")


def jax_lj(cluster):
    n = cluster.shape[0]
    e = 0.0
    for i in range(n - 1):
        for j in range(i + 1, n):
            r = jnp.sqrt(jnp.sum((cluster[j] - cluster[i]) ** 2))
            sr6 = (1.0 / r) ** 6
            e = e + 4.0 * (sr6 * sr6 - sr6)
    return e


LJ_CLUSTER = np.array([[0.0, 0.0, 0.0], [1.12, 0.05, -0.03], [0.52, 0.98, 0.1],
                       [0.48, 0.33, 1.05]])

case(name="lennard_jones_scalar", project=P, loss=ne.potential_numba_scalar,
     args=lambda: (LJ_CLUSTER.copy(),), argnums=0, jax_loss=jax_lj,
     construct="rows cluster[i] passed to an @njit callee; (x)**0.5; (1./r)**6")

case(name="lennard_jones_array", project=P, loss=ne.potential_numba_array,
     args=lambda: (LJ_CLUSTER.copy(),), argnums=0, jax_loss=jax_lj,
     construct="reshape broadcasting; for i in np.ndindex(shape): out[i] = mat[i].sum(); d[i, j] = 0; for v in d.flat")


@numba.njit
def loss_gaussian_blur(a):
    return np.sum(ne.gaussian_blur(a) * W66)


def jax_gaussian_blur(a):
    k = np.array([[0.003, 0.0133, 0.0219, 0.0133, 0.0030],
                  [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
                  [0.0219, 0.0983, 0.1621, 0.0983, 0.0219],
                  [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
                  [0.003, 0.0133, 0.0219, 0.0133, 0.0030]])
    # the stencil's a[di, dj] with weight k[dj+2, di+2] (first index is the row offset)
    out = jnp.zeros_like(a)
    for i in range(2, a.shape[0] - 2):
        for j in range(2, a.shape[1] - 2):
            v = 0.0
            for di in range(-2, 3):
                for dj in range(-2, 3):
                    v = v + a[i + di, j + dj] * k[dj + 2, di + 2]
            out = out.at[i, j].set(v)
    return jnp.sum(out * W66)


case(name="gaussian_blur_stencil", project=P, loss=loss_gaussian_blur,
     args=lambda: (rng_array(6, (6, 6), 0.0, 1.0),), argnums=0, jax_loss=jax_gaussian_blur,
     construct="@numba.stencil kernel called from njit")


@numba.njit
def loss_zero_suppression(values, threshold):
    return np.sum(ne.numba_zero_suppression(values, threshold) * W5)


def jax_zero_suppression(values, threshold):
    return jnp.sum(jnp.where(jnp.abs(values) >= threshold, values, 0.0) * W5)


case(name="zero_suppression_vectorize", project=P, loss=loss_zero_suppression,
     args=lambda: (np.array([1.0, -3.0, 5.0, 0.5, -2.5]), 2.0), argnums=(0, 1),
     jax_loss=jax_zero_suppression,
     construct="@numba.vectorize with a branch returning the input or 0.0, array and scalar arguments")

# =============================================================================
# numba-stats (statistics: probability distributions)
# =============================================================================
P = "numba-stats"
XS = np.array([0.1, 0.5, 1.2])


@numba.njit
def loss_norm_logpdf(x, loc, scale):
    return np.sum(norm._logpdf(x, loc, scale))


def jax_norm_logpdf(x, loc, scale):
    z = (x - loc) * (1.0 / scale)
    return jnp.sum(-0.5 * (z * z + np.log(2 * np.pi)) - jnp.log(scale))


case(name="norm_logpdf_type_of_z", project=P, loss=loss_norm_logpdf,
     args=lambda: (XS.copy(), 0.2, 1.3), argnums=(0, 1, 2), jax_loss=jax_norm_logpdf,
     construct="explicit signatures with readonly arrays, inline='always'; T = type(z); T(0.5); prange; "
               "in-place overwrite of a callee's result")


@numba.njit
def loss_norm_cdf(x, loc, scale):
    return np.sum(norm._cdf(x, loc, scale) * W3)


def jax_norm_cdf(x, loc, scale):
    z = (x - loc) * (1.0 / scale)
    return jnp.sum(0.5 * (1.0 + jsp.erf(z * np.sqrt(0.5))) * W3)


case(name="norm_cdf_erf", project=P, loss=loss_norm_cdf,
     args=lambda: (XS.copy(), 0.2, 1.3), argnums=(0, 1, 2), jax_loss=jax_norm_cdf,
     construct="math.erf imported as _erf; T(np.sqrt(0.5)); explicit signatures")


@numba.njit
def loss_norm_ppf(p, loc, scale):
    return np.sum(norm._ppf(p, loc, scale))


case(name="norm_ppf_scipy_cython", project=P, loss=loss_norm_ppf,
     args=lambda: (np.array([0.2, 0.7]), 0.1, 1.4), argnums=(0, 1, 2), expect="refused",
     construct="scipy.special.cython_special.ndtri called through a WrapperAddressProtocol (a C function pointer)")


@numba.njit
def loss_voigt_pdf(x, gamma, loc, scale):
    return np.sum(voigt.pdf(x, gamma, loc, scale))


case(name="voigt_pdf_scipy_cython", project=P, loss=loss_voigt_pdf,
     args=lambda: (XS.copy(), 0.8, 0.1, 1.2), argnums=(0, 1, 2, 3), expect="refused",
     construct="scipy's voigt_profile called through a C function pointer, for xi in enumerate(x)")


@numba.njit
def loss_expon_cdf(x, loc, scale):
    return np.sum(expon._cdf(x, loc, scale) * W3)


def jax_expon_cdf(x, loc, scale):
    z = (x - loc) * (1.0 / scale)
    return jnp.sum(-jnp.expm1(-z) * W3)


case(name="expon_cdf_expm1", project=P, loss=loss_expon_cdf,
     args=lambda: (XS.copy(), 0.05, 2.0), argnums=(0, 1, 2), jax_loss=jax_expon_cdf,
     construct="math.expm1; `z[i] = _cdf1(z[i])` over a callee's result")


@numba.njit
def loss_truncnorm_logpdf(x, xmin, xmax, loc, scale):
    return np.sum(truncnorm._logpdf(x, xmin, xmax, loc, scale) * W3)


def jax_truncnorm_logpdf(x, xmin, xmax, loc, scale):
    def cdf1(z):
        return 0.5 * (1.0 + jsp.erf(z * np.sqrt(0.5)))
    s2 = 1.0 / scale
    z = (x - loc) * s2
    zmin, zmax = (xmin - loc) * s2, (xmax - loc) * s2
    sc = scale * (cdf1(zmax) - cdf1(zmin))
    return jnp.sum((-0.5 * (z * z + np.log(2 * np.pi)) - jnp.log(sc)) * W3)


case(name="truncnorm_logpdf_chained_compare", project=P, loss=loss_truncnorm_logpdf,
     args=lambda: (XS.copy(), -1.0, 2.0, 0.2, 1.1), argnums=(0, 1, 2, 3, 4),
     jax_loss=jax_truncnorm_logpdf,
     construct="`scale *= ...` on an argument; `if zmin <= z[i] < zmax`; -T(np.inf) branch; calls into another module")


@numba.njit
def loss_cruijff(x, ymax, beta_left, beta_right, loc, scale_left, scale_right):
    return np.sum(cruijff._density(x, ymax, beta_left, beta_right, loc, scale_left,
                                   scale_right) * W3)


def jax_cruijff(x, ymax, bl, br, loc, sl, sr):
    scale = jnp.where(x < loc, sl, sr)
    beta = jnp.where(x < loc, bl, br)
    z = (x - loc) / scale
    return jnp.sum(ymax * jnp.exp(-0.5 * z ** 2 / (1 + beta * z ** 2)) * W3)


case(name="cruijff_density_branch_select", project=P, loss=loss_cruijff,
     args=lambda: (np.array([0.1, 0.9, 1.7]), 1.2, 0.1, 0.2, 0.5, 1.0, 2.0),
     argnums=(0, 1, 2, 3, 4, 5, 6), jax_loss=jax_cruijff,
     construct="scalars chosen per element by a branch (scale = scale_left / scale_right); z**2")

# =============================================================================
# QuantEcon.py (economics: root finding, optimisation, Markov chains, inequality)
# =============================================================================
P = "QuantEcon.py"


@numba.njit
def cubic(x, a):
    return x ** 3 - a


@numba.njit
def cubic_prime(x, a):
    return 3 * x ** 2


@numba.njit
def cubic_prime2(x, a):
    return 6 * x


@numba.njit
def loss_newton(a):
    return qroot.newton(cubic, 1.0, cubic_prime, args=(a,)).root


case(name="newton_function_arguments", project=P, loss=loss_newton,
     args=lambda: (2.0,), argnums=0, jax_loss=lambda a: a ** (1.0 / 3.0),
     construct="functions passed as arguments; args=(a,) star-unpacked f(p0, *args); raise; "
               "early break; a namedtuple result (.root)")


@numba.njit
def loss_newton_halley(a):
    return qroot.newton_halley(cubic, 1.0, cubic_prime, cubic_prime2, args=(a,)).root


case(name="newton_halley_function_arguments", project=P, loss=loss_newton_halley,
     args=lambda: (2.0,), argnums=0, jax_loss=lambda a: a ** (1.0 / 3.0),
     construct="three functions passed as arguments; namedtuple result")


@numba.njit
def loss_newton_secant(a):
    return qroot.newton_secant(cubic, -1.0, args=(a,)).root


case(name="newton_secant", project=P, loss=loss_newton_secant,
     args=lambda: (2.0,), argnums=0, jax_loss=lambda a: a ** (1.0 / 3.0),
     construct="secant iteration; a variable (q0) defined on one branch only; namedtuple result")


@numba.njit
def concave_objective(x, a):
    return -(x - a) ** 2 + a * x


@numba.njit
def loss_brent_max(a):
    xf, fval, info = qmax.brent_max(concave_objective, -3.0, 3.0, args=(a,))
    return fval + 0.1 * xf


case(name="brent_max_golden_parabolic", project=P, loss=loss_brent_max,
     args=lambda: (0.7,), argnums=0,
     construct="Brent's method: function argument, `rat = e = 0.0` chained assignment, tuple swaps "
               "`fulc, ffulc = nfc, fnfc`, np.sign, a while loop with data-dependent exit; result tuple with a nested tuple")


@numba.njit
def quadratic_bowl(x, a):
    return -((x[0] - a) ** 2 + 2 * (x[1] + a) ** 2) + a


@numba.njit
def loss_nelder_mead(a, x0):
    return qnm.nelder_mead(quadratic_bowl, x0, args=(a,)).fun


case(name="nelder_mead_simplex", project=P, loss=loss_nelder_mead,
     args=lambda: (0.3, np.array([0.1, 0.2])), argnums=0,
     construct="default argument np.array([[], []]).T; argsort; fancy-index gathers/writes "
               "sort_ind[i+1:] = sort_ind[i:-1]; for i in sort_ind[1:]; Greek identifiers; namedtuple",
     rtol=1e-3, fd_consistency=1e-2)


@numba.njit
def loss_tauchen(x, rho, sigma, half_step):
    n = x.shape[0]
    P = np.empty((n, n))
    qapprox._fill_tauchen(x, P, n, rho, sigma, half_step)
    return np.sum(P * W55)


def jax_tauchen(x, rho, sigma, half_step):
    def cdf(z):
        return 0.5 * jsp.erfc(-z / np.sqrt(2))
    n = x.shape[0]
    rows = []
    for i in range(n):
        row = [cdf((x[0] - rho * x[i] + half_step) / sigma)]
        for j in range(1, n - 1):
            z = x[j] - rho * x[i]
            row.append(cdf((z + half_step) / sigma) - cdf((z - half_step) / sigma))
        row.append(1 - cdf((x[n - 1] - rho * x[i] - half_step) / sigma))
        rows.append(jnp.stack(row))
    return jnp.sum(jnp.stack(rows) * W55)


case(name="tauchen_fill_output_matrix", project=P, loss=loss_tauchen,
     args=lambda: (np.linspace(-1.0, 1.0, 5), 0.9, 0.3, 0.25), argnums=(0, 1, 2, 3),
     jax_loss=jax_tauchen,
     construct="an output matrix argument filled in place; math.erfc; line continuation")


def jax_gini(y):
    n = y.shape[0]
    return jnp.sum(jnp.abs(y[:, None] - y[None, :])) / (2 * n * jnp.sum(y))


case(name="gini_coefficient_prange", project=P, loss=qineq.gini_coefficient,
     args=lambda: (np.array([1.0, 2.0, 5.0, 3.0]),), argnums=0, jax_loss=jax_gini,
     construct="njit(parallel=True) with prange; i_sum[i] += abs(y[i] - y[j])")


@numba.njit
def loss_lorenz(y):
    cum_people, cum_income = qineq.lorenz_curve(y)
    return np.sum(cum_income * W4)


def jax_lorenz(y):
    s = jnp.concatenate([jnp.zeros(1), jnp.cumsum(jnp.sort(y))])
    return jnp.sum(s / s[-1] * W4)


case(name="lorenz_curve_sort_cumsum", project=P, loss=loss_lorenz,
     args=lambda: (np.array([3.0, 1.0, 2.0]),), argnums=0, jax_loss=jax_lorenz,
     construct="np.sort of an argument; s[1:] = np.cumsum(y); tuple of arrays returned")


A_INDICES = np.array([0, 1, 0, 1, 0, 1])
A_INDPTR = np.array([0, 2, 4, 6])


@numba.njit
def loss_s_wise_max(vals):
    out = np.empty(3)
    qmarkov._s_wise_max(A_INDICES, A_INDPTR, vals, out)
    return np.sum(out * W3)


def jax_s_wise_max(vals):
    return jnp.sum(jnp.max(vals.reshape(3, 2), axis=1) * W3)


case(name="s_wise_max_bellman", project=P, loss=loss_s_wise_max,
     args=lambda: (np.array([1.0, 3.0, 2.0, 0.5, -1.0, 0.25]),), argnums=0,
     jax_loss=jax_s_wise_max,
     construct="cache=True; data-dependent index m (argmax by comparisons) then out_max[i] = vals[m]")

# =============================================================================
# poliastro (astrodynamics)
# =============================================================================
P = "poliastro"
K_EARTH = 398600.4418
R_ISS = np.array([-6045.0, -3490.0, 2500.0])
V_ISS = np.array([-3.457, 6.618, 2.533])


@numba.njit
def loss_M_to_nu(M, ecc):
    return angles.M_to_nu(M, ecc)


case(name="kepler_M_to_nu_elliptic", project=P, loss=loss_M_to_nu,
     args=lambda: (0.7, 0.3), argnums=(0, 1),
     construct="Newton on Kepler's equation with the regime as a string argument (`regime == \"parabolic\"`), "
               "args=(M, ecc) star-unpacked, return from inside the loop, default arguments")

case(name="kepler_M_to_nu_hyperbolic", project=P, loss=loss_M_to_nu,
     args=lambda: (0.7, 1.6), argnums=(0, 1),
     construct="the hyperbolic branch: np.arcsinh initial guess, sinh/cosh Newton")

case(name="kepler_M_to_nu_near_parabolic", project=P, loss=loss_M_to_nu,
     args=lambda: (0.5, 0.995), argnums=(0, 1),
     construct="near-parabolic branch: Newton whose function sums a series in a `while not small_term` loop (x ** k)")


@numba.njit
def loss_nu_to_M(nu, ecc):
    return angles.nu_to_M(nu, ecc)


case(name="kepler_nu_to_M_near_parabolic", project=P, loss=loss_nu_to_M,
     args=lambda: (0.5, 0.995), argnums=(0, 1),
     construct="series M_parabolic with a data-dependent number of terms")


def jax_fp_angle(nu, ecc):
    return jnp.arctan2(ecc * jnp.sin(nu), 1 + ecc * jnp.cos(nu))


case(name="flight_path_angle", project=P, loss=angles.fp_angle,
     args=lambda: (0.4, 0.2), argnums=(0, 1), jax_loss=jax_fp_angle,
     construct="np.arctan2 of scalars")


@numba.njit
def loss_stumpff(psi):
    return (pspecial.stumpff_c2(psi) + pspecial.stumpff_c3(psi)
            + pspecial.stumpff_c2(10.0 * psi) + pspecial.stumpff_c3(-8.0 * psi))


def jax_stumpff(psi):
    def c2p(p):
        return (1 - jnp.cos(jnp.sqrt(p))) / p

    def c3p(p):
        return (jnp.sqrt(p) - jnp.sin(jnp.sqrt(p))) / (p * jnp.sqrt(p))

    def c3n(p):
        return (jnp.sinh(jnp.sqrt(-p)) - jnp.sqrt(-p)) / (-p * jnp.sqrt(-p))
    return c2p(psi) + c3p(psi) + c2p(10.0 * psi) + c3n(-8.0 * psi)


case(name="stumpff_series_and_closed_forms", project=P, loss=loss_stumpff,
     args=lambda: (0.3,), argnums=0, jax_loss=jax_stumpff, jax_rtol=1e-7,
     construct="power series until `res + delta != res` with math.gamma of an int and (-psi) ** k; "
               "closed forms with cos/cosh of sqrt")


@numba.njit
def loss_rv2coe(r, v):
    p, ecc, inc, raan, argp, nu = elements.rv2coe(K_EARTH, r, v)
    return 1e-4 * p + ecc + inc + raan + argp + nu


case(name="rv2coe_cross_list_modulo", project=P, loss=loss_rv2coe,
     args=lambda: (R_ISS.copy(), V_ISS.copy()), argnums=(0, 1),
     construct="np.cross(r, v) and np.cross([0, 0, 1], h) with a list; norm; .dot; `% (2 * np.pi)`; "
               "int/float raan = 0 on other branches; tuple of six floats")


@numba.njit
def loss_coe2rv(p, ecc, inc, raan, argp, nu):
    return np.sum(elements.coe2rv(K_EARTH, p, ecc, inc, raan, argp, nu) * W23)


def jax_coe2rv(p, ecc, inc, raan, argp, nu):
    def rot(angle, axis):
        c, s = jnp.cos(angle), jnp.sin(angle)
        if axis == 0:
            return jnp.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        return jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    pqw = jnp.array([[jnp.cos(nu), jnp.sin(nu), 0.0], [-jnp.sin(nu), ecc + jnp.cos(nu), 0.0]]) * \
        jnp.array([[p / (1 + ecc * jnp.cos(nu))], [jnp.sqrt(K_EARTH / p)]])
    rm = rot(raan, 2) @ rot(inc, 0) @ rot(argp, 2)
    return jnp.sum((pqw @ rm.T) * W23)


case(name="coe2rv_rotation_matrices", project=P, loss=loss_coe2rv,
     args=lambda: (8530.47, 0.1712, 2.6747, 4.4555, 0.3503, 0.4965), argnums=(0, 1, 2, 3, 4, 5),
     jax_loss=jax_coe2rv,
     construct="np.array of nested lists mixing floats and int 0; broadcasting product; "
               "rotation_matrix with branches on an int axis and raise; `@` and .T")


@numba.njit
def loss_coe2rv_many(ecc, nu):
    n = nu.shape[0]
    k = np.full(n, K_EARTH)
    p = np.array([7000.0, 8000.0, 9000.0])
    inc = np.array([0.5, 1.0, 1.5])
    raan = np.array([0.2, 0.4, 0.6])
    argp = np.array([0.3, 0.6, 0.9])
    rr, vv = elements.coe2rv_many(k, p, ecc, inc, raan, argp, nu)
    return 1e-3 * np.sum(rr * W3) + np.sum(vv * W3B)


case(name="coe2rv_many_prange_row_unpack", project=P, loss=loss_coe2rv_many,
     args=lambda: (np.array([0.1, 0.2, 0.05]), np.array([0.4, 1.2, -0.7])), argnums=(0, 1),
     construct="njit(parallel=True), prange; `rr[i, :], vv[i, :] = coe2rv(...)` unpacking the rows of a 2x3 array result")


@numba.njit
def loss_markley(r0, v0, tof):
    return np.sum(pmarkley.markley(K_EARTH, r0, v0, tof) * W23)


case(name="markley_kepler_propagation", project=P, loss=loss_markley,
     args=lambda: (R_ISS.copy(), V_ISS.copy(), 1000.0), argnums=(0, 1, 2),
     construct="rv2coe -> non-iterative Kepler solver -> coe2rv; `% (2 * np.pi)`; (..) ** (2 / 3); E += delta5")


@numba.njit
def loss_vallado_kepler(r0, v0, tof):
    f, g, fdot, gdot = pvallado.vallado(K_EARTH, r0, v0, tof, 35)
    return f + 1e-3 * g + 100.0 * fdot + gdot


case(name="vallado_universal_kepler", project=P, loss=loss_vallado_kepler,
     args=lambda: (R_ISS.copy(), V_ISS.copy(), 1000.0), argnums=(0, 1, 2),
     construct="while/else with break and raise; Stumpff series callees; r0 @ v0 on 1-D arrays; "
               "uses the iterate before the last Newton step")


@numba.njit
def loss_izzo(r1, r2, tof):
    s = 0.0
    for v1, v2 in iod.izzo(K_EARTH, r1, r2, tof, 0, 35, 1e-8):
        s += np.sum(v1 * W3) + np.sum(v2 * W3B)
    return s


case(name="izzo_lambert_generators", project=P, loss=loss_izzo,
     args=lambda: (np.array([5000.0, 10000.0, 2100.0]), np.array([-14600.0, 2500.0, 7000.0]), 3600.0),
     argnums=(0, 1, 2),
     construct="generators (`yield` in izzo and _find_xy) iterated by a for loop; assert; "
               "cross(...).any(); min(1.0, ...); a list [x_0] returned and iterated; Householder iteration")

# =============================================================================
# PyNNDescent (machine learning: metrics)
# =============================================================================
P = "PyNNDescent"
X4 = np.array([0.3, 1.2, 0.7, 2.0])
Y4 = np.array([1.0, 0.4, 0.9, 1.5])


def two4():
    return (X4.copy(), Y4.copy())


def jax_euclidean(x, y):
    return jnp.sqrt(jnp.sum((x - y) ** 2))


case(name="euclidean", project=P, loss=pn.euclidean, args=two4, argnums=(0, 1),
     jax_loss=jax_euclidean, construct="fastmath=True; accumulate (x[i] - y[i]) ** 2; np.sqrt")

case(name="squared_euclidean_float32_signature", project=P, loss=pn.squared_euclidean,
     args=lambda: (X4.astype(np.float32), Y4.astype(np.float32)), argnums=(0, 1),
     construct="explicit float32 signatures (readonly C arrays), locals= typing result/diff float32 and i uint16",
     fd_steps=(3e-3, 1e-2), rtol=1e-3, fd_consistency=1e-2,
     value_rtol=1e-6)   # jvp's value is computed in float64 (the primal accumulates in float32)

case(name="standardised_euclidean_default_array", project=P, loss=pn.standardised_euclidean,
     args=lambda: (np.array([0.3, 1.2]), np.array([1.0, 0.4])), argnums=(0, 1),
     construct="default argument sigma=_mock_ones, a module-level float32 array")

case(name="manhattan_abs", project=P, loss=pn.manhattan, args=two4, argnums=(0, 1),
     construct="np.abs of scalar differences")

case(name="chebyshev_builtin_max", project=P, loss=pn.chebyshev, args=two4, argnums=(0, 1),
     construct="result = max(result, np.abs(...)) over a loop")

case(name="minkowski_default_int_power", project=P, loss=pn.minkowski, args=two4, argnums=(0, 1),
     construct="default int p=2: (np.abs(...)) ** p and result ** (1.0 / p)")


def jax_haversine(x, y):
    sin_lat = jnp.sin(0.5 * (x[0] - y[0]))
    sin_long = jnp.sin(0.5 * (x[1] - y[1]))
    return 2.0 * jnp.arcsin(jnp.sqrt(sin_lat ** 2 + jnp.cos(x[0]) * jnp.cos(y[0]) * sin_long ** 2))


case(name="haversine", project=P, loss=pn.haversine,
     args=lambda: (np.array([0.6, -1.2]), np.array([0.9, -0.4])), argnums=(0, 1),
     jax_loss=jax_haversine, construct="raise on a shape check; np.arcsin of np.sqrt")


def jax_cosine(x, y):
    return 1.0 - jnp.sum(x * y) / jnp.sqrt(jnp.sum(x ** 2) * jnp.sum(y ** 2))


case(name="cosine", project=P, loss=pn.cosine, args=two4, argnums=(0, 1), jax_loss=jax_cosine,
     construct="branches on exact zero norms returning constants")


def jax_correlation(x, y):
    sx, sy = x - jnp.mean(x), y - jnp.mean(y)
    return 1.0 - jnp.sum(sx * sy) / jnp.sqrt(jnp.sum(sx ** 2) * jnp.sum(sy ** 2))


case(name="correlation", project=P, loss=pn.correlation, args=two4, argnums=(0, 1),
     jax_loss=jax_correlation, construct="mu_x /= x.shape[0]; two passes")


def jax_tsss(x, y):
    d_euc = jnp.sum((x - y) ** 2)
    nx, ny = jnp.sqrt(jnp.sum(x * x)), jnp.sqrt(jnp.sum(y * y))
    theta = jnp.arccos(jnp.sum(x * y) / (nx * ny)) + np.radians(10)
    sector = ((jnp.sqrt(d_euc) + jnp.abs(nx - ny)) ** 2) * theta
    return nx * ny * jnp.sin(theta) / 2.0 * sector


case(name="tsss_arccos_radians", project=P, loss=pn.tsss, args=two4, argnums=(0, 1),
     jax_loss=jax_tsss, construct="norm_x = np.sqrt(norm_x) rebinding; d_cos /= ...; np.arccos + np.radians(10)")

case(name="true_angular_arccos", project=P, loss=pn.true_angular, args=two4, argnums=(0, 1),
     construct="returns a module-level float32 constant on other branches; np.arccos / np.pi")

case(name="hellinger_float32_signature", project=P, loss=pn.hellinger,
     args=lambda: (X4.astype(np.float32), Y4.astype(np.float32)), argnums=(0, 1),
     construct="explicit float32 signatures and locals=; np.sqrt(x[i] * y[i])",
     fd_steps=(3e-3, 1e-2), rtol=1e-3, fd_consistency=1e-2,
     value_rtol=1e-6)   # jvp's value is computed in float64 (the primal accumulates in float32)

case(name="spearmanr_rankdata", project=P, loss=pn.spearmanr, args=two4, argnums=(0, 1),
     construct="rankdata: argsort(kind=...), inv[sorter] = np.arange(...), boolean cumsum, np.nonzero, "
               "np.concatenate, astype; a string default argument; the gradient is zero")


def jax_jensen_shannon(x, y):
    eps = float(pn.FLOAT32_EPS)
    dim = x.shape[0]
    px = (x + eps) / (jnp.sum(x) + eps * dim)
    py = (y + eps) / (jnp.sum(y) + eps * dim)
    m = 0.5 * (px + py)
    return jnp.sum(0.5 * (px * jnp.log(px / m) + py * jnp.log(py / m)))


case(name="jensen_shannon_divergence", project=P, loss=pn.jensen_shannon_divergence, args=two4,
     argnums=(0, 1), jax_loss=jax_jensen_shannon,
     construct="module-level np.finfo(np.float32).eps; array expressions (x + EPS) / norm")

@numba.njit
def loss_wasserstein_1d(x, y):
    return pn.wasserstein_1d(x, y)          # (called, so that its default p=1 applies)


case(name="wasserstein_1d_inplace_cdf", project=P, loss=loss_wasserstein_1d, args=two4, argnums=(0, 1),
     construct="x_cdf = x / x_sum; x_cdf[i] += x_cdf[i - 1] loop-carried in place; calls minkowski with p")


@numba.njit
def loss_circular_kantorovich(x, y):
    return pn.circular_kantorovich(x, y)    # (called, so that its default p=1 applies)


case(name="circular_kantorovich_median", project=P, loss=loss_circular_kantorovich, args=two4,
     argnums=(0, 1), construct="np.median of an array expression; branches on int p")


def jax_symmetric_kl(x, y):
    eps = float(pn.FLOAT32_EPS)
    dim = x.shape[0]
    px = (x + eps) / (jnp.sum(x) + eps * dim)
    py = (y + eps) / (jnp.sum(y) + eps * dim)
    return jnp.sum(px * jnp.log(px / py) + py * jnp.log(py / px))


case(name="symmetric_kl_divergence", project=P, loss=pn.symmetric_kl_divergence, args=two4,
     argnums=(0, 1), jax_loss=jax_symmetric_kl, construct="log ratios of normalised arrays")

# =============================================================================
# AntroPy (signal processing: fractal dimension, detrended fluctuation analysis)
# =============================================================================
P = "AntroPy"
SIGNAL = np.sin(np.arange(60) * 0.3) + 0.1 * np.cos(np.arange(60) * 1.7) + 0.01 * np.arange(60)


@numba.njit
def loss_linear_regression_ap(x, y):
    slope, intercept = ap._linear_regression(x, y)
    return slope + 2.0 * intercept


def jax_linear_regression_ap(x, y):
    n = x.shape[0]
    den = n * jnp.sum(x ** 2) - jnp.sum(x) ** 2
    num = n * jnp.sum(x * y) - jnp.sum(x) * jnp.sum(y)
    slope = num / (den + ap.epsilon)
    return slope + 2.0 * (jnp.mean(y) - slope * jnp.mean(x))


case(name="linear_regression_string_signature", project=P, loss=loss_linear_regression_ap,
     args=lambda: (np.array([0.0, 1.0, 2.0, 3.5, 4.0]), np.array([1.0, 2.0, 2.5, 4.0, 5.2])),
     argnums=(0, 1), jax_loss=jax_linear_regression_ap,
     construct="signature string 'UniTuple(float64, 2)(float64[:], float64[:])'; int accumulators sx2 = 0 made float")


@numba.njit
def loss_higuchi(x):
    return ap._higuchi_fd(x, np.int32(4))


case(name="higuchi_fd_readonly_signature", project=P, loss=loss_higuchi,
     args=lambda: (SIGNAL[:30].copy(),), argnums=0,
     construct="explicit signature (readonly C array, int32); math.floor/int; local arrays per k; "
               "ll = 0 int then float; abs; math.log")

case(name="dfa_detrended_fluctuation", project=P, loss=ap._dfa,
     args=lambda: (SIGNAL.copy(),), argnums=0,
     construct="np.cumsum(x - x.mean()); np.reshape of a slice; list comprehension [float(na) for na in range(n)]; "
               "callee returning a tuple; np.sum(axis=1); np.nonzero and fancy gathers; explicit signatures",
     isolate=True)

# =============================================================================
# pvlib python (solar energy: NREL solar position algorithm)
# =============================================================================
P = "pvlib"
UNIXTIME = np.array([1.7e9 - 7200.0, 1.7e9])
W_SPA = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.25, 0.6], [0.01, -0.02], [0.7, 0.3]])


@numba.njit
def loss_solar_position(site, unixtime):
    loc_args = np.empty(9)
    loc_args[0] = site[0]      # latitude
    loc_args[1] = site[1]      # longitude
    loc_args[2] = site[2]      # elevation
    loc_args[3] = site[3]      # pressure
    loc_args[4] = site[4]      # temperature
    loc_args[5] = 67.0         # delta_t
    loc_args[6] = 0.5667       # atmos_refract
    loc_args[7] = 0.0          # sst
    loc_args[8] = 0.0          # esd
    out = np.empty((6, unixtime.shape[0]))
    spa.solar_position_loop(unixtime, loc_args, out)
    return np.sum(out * W_SPA)


case(name="solar_position_loop", project=P, loss=loss_solar_position,
     args=lambda: (np.array([39.7, -105.2, 1830.0, 820.0, 11.0]), UNIXTIME.copy()), argnums=0,
     construct="signature strings 'void(float64[:], float64[:], float64[:,:])'; ~40 @jit callees with "
               "explicit signatures; `if esd:` on a float; continue; bool * float; `% 360`; global 3-D tables")


def jax_heliocentric_longitude(jme):
    t = spa.HELIO_LONG_TABLE
    ls = [jnp.sum(t[k, :, 0] * jnp.cos(t[k, :, 1] + t[k, :, 2] * jme)) for k in range(6)]
    l_rad = (ls[0] + ls[1] * jme + ls[2] * jme ** 2 + ls[3] * jme ** 3 + ls[4] * jme ** 4
             + ls[5] * jme ** 5) / 10 ** 8
    return jnp.rad2deg(l_rad) % 360


case(name="heliocentric_longitude_tables", project=P, loss=spa.heliocentric_longitude,
     args=lambda: (0.024,), argnums=0, jax_loss=jax_heliocentric_longitude,
     construct="loops over a global 3-D coefficient table; np.rad2deg; `% 360`",
     fd_steps=(1e-8, 1e-7))   # terms up to cos(161000 jme): small steps


def jax_longitude_nutation(jce, x0, x1, x2, x3, x4):
    a, b = spa.NUTATION_ABCD_ARRAY[:, 0], spa.NUTATION_ABCD_ARRAY[:, 1]
    y = spa.NUTATION_YTERM_ARRAY
    arg = y[:, 0] * x0 + y[:, 1] * x1 + y[:, 2] * x2 + y[:, 3] * x3 + y[:, 4] * x4
    return jnp.sum((a + b * jce) * jnp.sin(jnp.radians(arg))) * 1.0 / 36000000


case(name="longitude_nutation", project=P, loss=spa.longitude_nutation,
     args=lambda: (0.24, 100.0, 200.0, 300.0, 50.0, 120.0), argnums=(0, 1, 2, 3, 4, 5),
     jax_loss=jax_longitude_nutation,
     construct="`delta_psi_sum = 0` int accumulator; integer table times float; np.radians")


def jax_equation_of_time(m, alpha, dpsi, eps):
    E = (m - 0.0057183 - alpha + dpsi * jnp.cos(jnp.radians(eps))) % 360
    E = E * 4
    return (E > 20) * (E - 1440) + (E < -20) * (E + 1440) + ((E <= 20) & (E >= -20)) * E


case(name="equation_of_time_bool_arithmetic", project=P, loss=spa.equation_of_time,
     args=lambda: (100.0, 150.0, 0.001, 23.4), argnums=(0, 1, 2, 3), jax_loss=jax_equation_of_time,
     construct="E % 360; E *= 4; greater * (E - 1440) + less * (E + 1440) + other * E with bool variables; (a <= b) & (c >= d)")


def jax_refraction(p, t, e0, refr):
    switch = e0 >= -1.0 * (0.26667 + refr)
    return ((p / 1010.0) * (283.0 / (273 + t)) * 1.02
            / (60 * jnp.tan(jnp.radians(e0 + 10.3 / (e0 + 5.11))))) * switch


case(name="atmospheric_refraction_switch", project=P, loss=spa.atmospheric_refraction_correction,
     args=lambda: (820.0, 11.0, 14.4, 0.5667), argnums=(0, 1, 2, 3), jax_loss=jax_refraction,
     construct="a bool `switch` multiplying a float expression; np.tan(np.radians(...))")


def jax_azimuth(h, delta, lat):
    num = jnp.sin(jnp.radians(h))
    denom = jnp.cos(jnp.radians(h)) * jnp.sin(jnp.radians(lat)) - jnp.tan(jnp.radians(delta)) * jnp.cos(jnp.radians(lat))
    return jnp.degrees(jnp.arctan2(num, denom)) % 360


case(name="topocentric_azimuth", project=P, loss=spa.topocentric_astronomers_azimuth,
     args=lambda: (40.0, 10.0, 39.7), argnums=(0, 1, 2), jax_loss=jax_azimuth,
     construct="np.degrees(np.arctan2(...)) % 360")


# =============================================================================
# Known failures: case -> {check: symptom}, from `python -m tests.real_code.report
# --suggest` against the working numbad (2026-12-08). Each becomes a strict xfail in
# test_real_code.py: remove an entry when its check starts passing.
# =============================================================================
KNOWN_FAILURES = {
    "kmeans_comprehensions_masks": {
        "reverse": "refused: numbad cannot differentiate reading an array at an array of indices or a "
                   "mask ... at numba_examples.py:189 (`A[labels == i, j]`: a mask inside a tuple index)",
        "forward": "refused: numbad cannot differentiate np.array of a nested list comprehension "
                   "(no derivative rule) at numba_examples.py:187",
    },
    "izzo_lambert_generators": dict.fromkeys(
        ("reverse", "forward"),
        "refused: numbad cannot differentiate a call to izzo, a generator function at corpus.py"),
}

for _c in CASES:
    _c.xfail.update(KNOWN_FAILURES.get(_c.name, {}))

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
