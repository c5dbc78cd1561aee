"""ADBench's bundle adjustment (BA) objective: numbad vs a hand-written adjoint vs JAX/autograd.

Run: ``python -m benchmarks --only ba`` (``--quick``: the small size only).

The model is ADBench's (microsoft/ADBench, ``src/cpp/shared/ba.h``): ``n``
cameras (``cams``, n x 11: Rodrigues rotation r (3), camera centre C (3),
focal length f, principal point x0 (2), radial distortion k (2)), ``m``
points (``X``, m x 3), ``p`` observations ``obs`` (p x 2 ints: camera index,
point index) with weights ``w`` (p) and measured features ``feats`` (p x 2).
Observation i = (c, j) projects point j into camera c,

    Xcam = R(r) (X_j - C)          R: Rodrigues rotation; when |r|^2 == 0 exactly,
                                   ADBench's small-angle branch Xo + r x Xo
    q    = Xcam[:2] / Xcam[2]
    proj = f (1 + k0 |q|^2 + k1 |q|^4) q + x0

and has the residuals ``w_i (proj - feats_i)`` (reprojection error, 2) and
``1 - w_i^2`` (weight error, 1).

What is differentiated. ADBench computes the sparse Jacobian of the 3p
residuals. Here the benchmark differentiates the scalar loss

    f = 1/2 sum_i ( |w_i (proj_i - feats_i)|^2 + (1 - w_i^2)^2 )

w.r.t. ``cams``, ``X`` and ``w`` (argnums (0, 1, 2)): its gradient is J^T r,
the gradient of a Gauss-Newton / Levenberg-Marquardt step, one reverse sweep.

Instances are synthetic, drawn as ADBench's generator would if it drew them
(ADBench replicates one real bundler camera/point; a replicated instance has
no variety, so these are random): cameras about 10 units in front of a unit
cube of points with small random rotations (camera 0 the identity rotation,
as in a real reconstruction, so the small-angle branch is taken too), focal
lengths of a few hundred pixels, small radial distortion; point j is seen
p/m times, each time by a random camera; features = projection + 1 px noise;
weights U(0.8, 1.2). Seed 31337.

    quick  n=10  m=1000   p=4000
    full   the quick size plus n=50 m=10000 p=40000

Contenders:
  primal    ``ba_objective``: plain ``@njit`` loop over the observations, the
            3-vectors written as scalars (no arrays allocated per observation)
  numbad    ``numbad.grad(ba_objective, argnums=(0, 1, 2))``
  hand      ``ba_gradient_hand``: per observation its forward scalars, then
            their reverse, accumulating into the gradient arrays (observations
            are independent, so there is no tape)
  jax       ``jax.jit(jax.grad(...))`` of a vectorised ``jax.numpy`` version
            (gathers ``cams[obs[:, 0]]``, ``X[obs[:, 1]]``), x64
  autograd  the same vectorised code with ``autograd.numpy``
"""
import math

import numpy as np
from numba import njit

from . import Case

SEED = 31337
N_CAM_PARAMS = 11
SIZES_QUICK = [(10, 1000, 4000)]
SIZES_FULL = [(10, 1000, 4000), (50, 10000, 40000)]


# ---------------------------------------------------------------------------
# the objective, as a plain Numba loop
# ---------------------------------------------------------------------------

@njit
def ba_objective(cams, X, w, obs, feats):
    p = obs.shape[0]
    total = 0.0
    for i in range(p):
        c = obs[i, 0]
        j = obs[i, 1]
        r0 = cams[c, 0]
        r1 = cams[c, 1]
        r2 = cams[c, 2]
        # Xo = X_j - C
        x0 = X[j, 0] - cams[c, 3]
        x1 = X[j, 1] - cams[c, 4]
        x2 = X[j, 2] - cams[c, 5]
        # Rodrigues rotation
        sqtheta = r0 * r0 + r1 * r1 + r2 * r2
        if sqtheta != 0.0:
            theta = math.sqrt(sqtheta)
            costheta = math.cos(theta)
            sintheta = math.sin(theta)
            theta_inverse = 1.0 / theta
            w0 = r0 * theta_inverse
            w1 = r1 * theta_inverse
            w2 = r2 * theta_inverse
            tmp = (w0 * x0 + w1 * x1 + w2 * x2) * (1.0 - costheta)
            y0 = x0 * costheta + (w1 * x2 - w2 * x1) * sintheta + w0 * tmp
            y1 = x1 * costheta + (w2 * x0 - w0 * x2) * sintheta + w1 * tmp
            y2 = x2 * costheta + (w0 * x1 - w1 * x0) * sintheta + w2 * tmp
        else:
            y0 = x0 + (r1 * x2 - r2 * x1)
            y1 = x1 + (r2 * x0 - r0 * x2)
            y2 = x2 + (r0 * x1 - r1 * x0)
        # perspective division, radial distortion, focal length, principal point
        q0 = y0 / y2
        q1 = y1 / y2
        rsq = q0 * q0 + q1 * q1
        L = 1.0 + cams[c, 9] * rsq + cams[c, 10] * rsq * rsq
        f = cams[c, 6]
        e0 = w[i] * (q0 * L * f + cams[c, 7] - feats[i, 0])
        e1 = w[i] * (q1 * L * f + cams[c, 8] - feats[i, 1])
        werr = 1.0 - w[i] * w[i]
        total += e0 * e0 + e1 * e1 + werr * werr
    return 0.5 * total


# ---------------------------------------------------------------------------
# hand-written reverse mode
# ---------------------------------------------------------------------------

@njit
def ba_gradient_hand(cams, X, w, obs, feats):
    """(d f/d cams, d f/d X, d f/d w) of ``ba_objective``.

    Per observation: its forward scalars, then their adjoints in reverse order,
    added into the camera's and the point's rows (a cross product y = a x b
    has adjoints a_bar = b x y_bar, b_bar = y_bar x a).
    """
    p = obs.shape[0]
    g_cams = np.zeros_like(cams)
    g_X = np.zeros_like(X)
    g_w = np.empty_like(w)
    for i in range(p):
        c = obs[i, 0]
        j = obs[i, 1]
        r0 = cams[c, 0]
        r1 = cams[c, 1]
        r2 = cams[c, 2]
        x0 = X[j, 0] - cams[c, 3]
        x1 = X[j, 1] - cams[c, 4]
        x2 = X[j, 2] - cams[c, 5]
        sqtheta = r0 * r0 + r1 * r1 + r2 * r2
        nonzero = sqtheta != 0.0
        if nonzero:
            theta = math.sqrt(sqtheta)
            costheta = math.cos(theta)
            sintheta = math.sin(theta)
            ti = 1.0 / theta
            w0 = r0 * ti
            w1 = r1 * ti
            w2 = r2 * ti
            c0 = w1 * x2 - w2 * x1          # w x Xo
            c1 = w2 * x0 - w0 * x2
            c2 = w0 * x1 - w1 * x0
            dot = w0 * x0 + w1 * x1 + w2 * x2
            omc = 1.0 - costheta
            tmp = dot * omc
            y0 = x0 * costheta + c0 * sintheta + w0 * tmp
            y1 = x1 * costheta + c1 * sintheta + w1 * tmp
            y2 = x2 * costheta + c2 * sintheta + w2 * tmp
        else:
            y0 = x0 + (r1 * x2 - r2 * x1)
            y1 = x1 + (r2 * x0 - r0 * x2)
            y2 = x2 + (r0 * x1 - r1 * x0)
        iy2 = 1.0 / y2
        q0 = y0 * iy2
        q1 = y1 * iy2
        rsq = q0 * q0 + q1 * q1
        k0 = cams[c, 9]
        k1 = cams[c, 10]
        L = 1.0 + k0 * rsq + k1 * rsq * rsq
        f = cams[c, 6]
        wi = w[i]
        d0 = q0 * L * f + cams[c, 7] - feats[i, 0]
        d1 = q1 * L * f + cams[c, 8] - feats[i, 1]
        werr = 1.0 - wi * wi
        # reverse: f_i = 1/2 (wi^2 (d0^2 + d1^2) + werr^2)
        g_w[i] = wi * (d0 * d0 + d1 * d1) - 2.0 * wi * werr
        gd0 = wi * wi * d0                  # adjoint of proj
        gd1 = wi * wi * d1
        g_cams[c, 7] += gd0
        g_cams[c, 8] += gd1
        gqL0 = q0 * L                       # proj = f L q + x0
        gqL1 = q1 * L
        g_cams[c, 6] += gd0 * gqL0 + gd1 * gqL1
        gs0 = gd0 * f
        gs1 = gd1 * f
        gL = gs0 * q0 + gs1 * q1
        g_cams[c, 9] += gL * rsq
        g_cams[c, 10] += gL * rsq * rsq
        grsq2 = 2.0 * gL * (k0 + 2.0 * k1 * rsq)
        gq0 = gs0 * L + grsq2 * q0
        gq1 = gs1 * L + grsq2 * q1
        gy0 = gq0 * iy2                     # q = y[:2] / y2
        gy1 = gq1 * iy2
        gy2 = -(gq0 * q0 + gq1 * q1) * iy2
        if nonzero:
            # y = Xo cos + (w x Xo) sin + w (w.Xo)(1 - cos)
            gc0 = gy0 * sintheta
            gc1 = gy1 * sintheta
            gc2 = gy2 * sintheta
            gtmp = gy0 * w0 + gy1 * w1 + gy2 * w2
            gdot = gtmp * omc
            gcos = gy0 * x0 + gy1 * x1 + gy2 * x2 - gtmp * dot
            gsin = gy0 * c0 + gy1 * c1 + gy2 * c2
            gx0 = gy0 * costheta + (gc1 * w2 - gc2 * w1) + gdot * w0
            gx1 = gy1 * costheta + (gc2 * w0 - gc0 * w2) + gdot * w1
            gx2 = gy2 * costheta + (gc0 * w1 - gc1 * w0) + gdot * w2
            gw0 = gy0 * tmp + (x1 * gc2 - x2 * gc1) + gdot * x0
            gw1 = gy1 * tmp + (x2 * gc0 - x0 * gc2) + gdot * x1
            gw2 = gy2 * tmp + (x0 * gc1 - x1 * gc0) + gdot * x2
            # w = r / theta, theta = |r|
            gtheta = (costheta * gsin - sintheta * gcos
                      - (gw0 * r0 + gw1 * r1 + gw2 * r2) * ti * ti)
            gt = gtheta * ti
            g_cams[c, 0] += gw0 * ti + gt * r0
            g_cams[c, 1] += gw1 * ti + gt * r1
            g_cams[c, 2] += gw2 * ti + gt * r2
        else:
            # y = Xo + r x Xo
            gx0 = gy0 + (gy1 * r2 - gy2 * r1)
            gx1 = gy1 + (gy2 * r0 - gy0 * r2)
            gx2 = gy2 + (gy0 * r1 - gy1 * r0)
            g_cams[c, 0] += x1 * gy2 - x2 * gy1
            g_cams[c, 1] += x2 * gy0 - x0 * gy2
            g_cams[c, 2] += x0 * gy1 - x1 * gy0
        g_cams[c, 3] -= gx0
        g_cams[c, 4] -= gx1
        g_cams[c, 5] -= gx2
        g_X[j, 0] += gx0
        g_X[j, 1] += gx1
        g_X[j, 2] += gx2
    return g_cams, g_X, g_w


# ---------------------------------------------------------------------------
# vectorised versions: JAX, autograd (and plain numpy for the generator)
# ---------------------------------------------------------------------------

def _vectorized(xp):
    """The loss in array code of the numpy-like module ``xp``, vectorised over observations."""

    def cross(a, b):
        return xp.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
                         a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                         a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=1)

    def project(cams, X, obs):
        cam = cams[obs[:, 0]]
        rot = cam[:, 0:3]
        Xo = X[obs[:, 1]] - cam[:, 3:6]
        sqtheta = xp.sum(rot * rot, axis=1)
        nonzero = sqtheta != 0.0
        # sqrt of 1 where the small-angle branch is taken: no NaN in its gradient
        theta = xp.sqrt(xp.where(nonzero, sqtheta, 1.0))[:, None]
        costheta = xp.cos(theta)
        sintheta = xp.sin(theta)
        wv = rot / theta
        tmp = xp.sum(wv * Xo, axis=1)[:, None] * (1.0 - costheta)
        rotated = Xo * costheta + cross(wv, Xo) * sintheta + wv * tmp
        small = Xo + cross(rot, Xo)
        Xcam = xp.where(nonzero[:, None], rotated, small)
        q = Xcam[:, 0:2] / Xcam[:, 2:3]
        rsq = xp.sum(q * q, axis=1)
        L = 1.0 + cam[:, 9] * rsq + cam[:, 10] * rsq * rsq
        return q * (L * cam[:, 6])[:, None] + cam[:, 7:9]

    def objective(cams, X, w, obs, feats):
        e = w[:, None] * (project(cams, X, obs) - feats)
        werr = 1.0 - w * w
        return 0.5 * (xp.sum(e * e) + xp.sum(werr * werr))

    return objective, project


def ba_jax():
    """The loss in ``jax.numpy`` (x64 enabled)."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    return _vectorized(jnp)[0]


def ba_autograd():
    """The loss in ``autograd.numpy``."""
    import autograd.numpy as anp
    return _vectorized(anp)[0]


# ---------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------

def make_instance(n, m, p, seed=SEED):
    """A random BA instance (see the module docstring); returns (cams, X, w, obs, feats)."""
    rng = np.random.default_rng(seed)
    cams = np.empty((n, N_CAM_PARAMS))
    cams[:, 0:3] = rng.normal(scale=0.05, size=(n, 3))       # rotation (radians)
    cams[0, 0:3] = 0.0                                       # the reference camera
    cams[:, 3:5] = rng.uniform(-1.0, 1.0, size=(n, 2))       # centre, 10 in front
    cams[:, 5] = -10.0 + rng.uniform(-1.0, 1.0, size=n)
    cams[:, 6] = rng.uniform(400.0, 600.0, size=n)           # focal length (px)
    cams[:, 7:9] = rng.normal(scale=5.0, size=(n, 2))        # principal point (px)
    cams[:, 9] = rng.normal(scale=0.05, size=n)              # radial distortion
    cams[:, 10] = rng.normal(scale=0.01, size=n)
    X = rng.uniform(-1.0, 1.0, size=(m, 3))
    obs = np.empty((p, 2), dtype=np.int64)
    obs[:, 0] = rng.integers(0, n, size=p)
    obs[:, 1] = rng.permutation(np.arange(p) % m)
    w = rng.uniform(0.8, 1.2, size=p)
    feats = _vectorized(np)[1](cams, X, obs) + rng.normal(scale=1.0, size=(p, 2))
    return cams, X, w, obs, feats


def cases(quick: bool) -> list:
    out = []
    for n, m, p in (SIZES_QUICK if quick else SIZES_FULL):
        out.append(Case(
            workload="BA", size=f"n={n} m={m} p={p}", primal=ba_objective,
            args=make_instance(n, m, p), argnums=(0, 1, 2), hand=ba_gradient_hand,
            jax=ba_jax, autograd=ba_autograd,
            note="gradient of 1/2 |residuals|^2 (J^T r), not ADBench's sparse Jacobian"))
    return out
