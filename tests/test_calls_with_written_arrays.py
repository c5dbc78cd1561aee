"""Calls passing arrays to ``@njit`` functions from code that writes into arrays.

The callee's VJP reads its array arguments again in the reverse sweep, so it must
see them as they were at the call: an array written after the call is copied there
(and put on the tape), one nobody writes afterwards is read where it is. Checked
against ``jax.grad`` / ``jax.jvp`` where JAX expresses the function, else against
central differences, under every checkpointing scheme."""
import math
import re

import numpy as np
import pytest
from numba import njit

import numbad
from tests.gradcheck import fd_array
from tests.test_reverse_arrays import weighted as dot  # sum(u[i] * w[i]), @njit


@njit
def logsumexp(v):
    mx = v[0]
    for k in range(1, v.shape[0]):
        mx = max(mx, v[k])
    s = 0.0
    for k in range(v.shape[0]):
        s += math.exp(v[k] - mx)
    return math.log(s) + mx


def mixture(alphas, x):
    """GMM's shape: a buffer filled for each point, then handed to a helper."""
    terms = np.empty(alphas.shape[0])
    out = 0.0
    for i in range(x.shape[0]):
        for k in range(alphas.shape[0]):
            terms[k] = alphas[k] * x[i] - 0.5 * (x[i] - alphas[k]) ** 2
        out += logsumexp(terms)
    return out


def mixture_jax(alphas, x):
    import jax
    terms = alphas[None, :] * x[:, None] - 0.5 * (x[:, None] - alphas[None, :]) ** 2
    return jax.numpy.sum(jax.nn.logsumexp(terms, axis=1))


def written_between_calls(u0, w):
    """The array changes right after each call: the callee must see it as it was."""
    u = u0.copy()
    a = dot(u, w)
    u[0] = a * u[1]
    b = dot(u, w)
    u[:] = u * b
    return dot(u, u) + a * b


def written_between_calls_jax(u0, w):
    u = u0
    a = u @ w
    u = u.at[0].set(a * u[1])
    b = u @ w
    u = u * b
    return u @ u + a * b


def stencil_of_views(u0, w, steps):
    """Views of an array updated in place each step, passed to a helper."""
    u = u0.copy()
    s = 0.0
    for _ in range(steps):
        s += dot(u[1:], w) * dot(u[:-1], w)
        u[1:-1] = u[1:-1] + 0.1 * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return s + np.sum(u)


def stencil_of_views_jax(u0, w, steps):
    u, s = u0, 0.0
    for _ in range(steps):
        s = s + (u[1:] @ w) * (u[:-1] @ w)
        u = u.at[1:-1].set(u[1:-1] + 0.1 * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
    return s + u.sum()


def double_buffered(u0, w, steps):
    u = u0.copy()
    v = np.empty_like(u)
    s = 0.0
    for _ in range(steps):
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + 0.1 * (u[i - 1] - 2.0 * u[i] + u[i + 1]) * w[i]
        v[0] = u[0]
        v[-1] = u[-1]
        s += dot(v, w) ** 2
        u, v = v, u
    return s + dot(u, u)


def rows_rescaled(a0, w):
    """Rows of a 2-D array handed over, then rewritten from the helper's result."""
    a = a0.copy()
    s = 0.0
    for i in range(a.shape[0]):
        s += logsumexp(a[i])
        a[i, :] = a[i] * s
        if i + 1 < a.shape[0]:
            a[i + 1, 0] += dot(a[i], w)
    return s + logsumexp(a[-1])


def constant_data_rewritten(x, data):
    """An array that carries no derivative, rewritten between calls that need it."""
    d = data.copy()
    s = 0.0
    for i in range(d.shape[0]):
        d[i] = d[i] * 0.5 + 1.0
        s += x[0] * dot(d, x) + math.sin(x[1] * d[i])
    return s


def shrink_until_small(u0, w, tol):
    u = u0.copy()
    s = 0.0
    it = 0
    while dot(u, u) > tol and it < 50:
        s += logsumexp(u) * w[0]
        u[:] = u * 0.8 + w * 0.01
        it += 1
    return s + dot(u, w)


def _args(rng, name):
    return {
        "mixture": (rng.normal(size=4), rng.normal(size=7)),
        "written_between_calls": (rng.normal(size=5), rng.normal(size=5)),
        "stencil_of_views": (rng.normal(size=8), rng.normal(size=7), 5),
        "double_buffered": (rng.normal(size=6), rng.normal(size=6), 4),
        "rows_rescaled": (rng.normal(size=(4, 3)), rng.normal(size=3)),
        "constant_data_rewritten": (rng.normal(size=5), rng.normal(size=5)),
        "shrink_until_small": (rng.normal(size=4), rng.normal(size=4), 0.05),
    }[name]


WITH_JAX = {"mixture": mixture_jax, "written_between_calls": written_between_calls_jax,
            "stencil_of_views": stencil_of_views_jax}
FUNCTIONS = {f.__name__: f for f in (mixture, written_between_calls, stencil_of_views,
                                     double_buffered, rows_rescaled,
                                     constant_data_rewritten, shrink_until_small)}
# (each scheme compiles its own variant: the default run takes the default options for
# every function, Revolve for those with a loop at the top worth checkpointing)
SCHEMES = {"default": {}, "binomial": dict(checkpoint="binomial", memory_budget=3000),
           "none": dict(checkpoint="none"), "online": dict(checkpoint="online",
                                                           memory_budget=3000)}
QUICK = {("default", n) for n in FUNCTIONS} | {
    ("binomial", n) for n in ("mixture", "written_between_calls", "stencil_of_views",
                              "shrink_until_small")}


@pytest.mark.parametrize("name, scheme", [
    pytest.param(n, k, id="%s-%s" % (n, k), marks=[] if (k, n) in QUICK else pytest.mark.slow)
    for n in sorted(FUNCTIONS) for k in SCHEMES])
def test_gradients_against_differences_under_every_scheme(name, scheme, rng):
    f, args = FUNCTIONS[name], _args(rng, name)
    nums = (0,) if name == "constant_data_rewritten" else (0, 1)
    got = numbad.grad(f, argnums=nums, **SCHEMES[scheme])(*args)
    for g, i in zip(got, nums):
        np.testing.assert_allclose(g, fd_array(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if
                                               n == "stencil_of_views" else [])
                                  for n in sorted(WITH_JAX)])
def test_gradients_jvps_and_hvps_against_jax(name, rng, jax_module):
    jax_module.config.update("jax_enable_x64", True)
    f, f_jax, args = FUNCTIONS[name], WITH_JAX[name], _args(rng, name)
    got = numbad.grad(f, argnums=(0, 1))(*args)
    expected = jax_module.grad(f_jax, argnums=(0, 1))(*args)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-10, atol=1e-12)
    v = rng.normal(size=args[0].shape)
    rest = args[1:]
    _, tangent = numbad.jvp(f, args, (v,) + tuple(np.zeros_like(a) if isinstance(a, np.ndarray)
                                                   else 0 for a in rest))
    _, e_tangent = jax_module.jvp(lambda a: f_jax(a, *rest), (args[0],), (v,))
    np.testing.assert_allclose(tangent, float(e_tangent), rtol=1e-10)
    hv = numbad.hvp(f)(*args, v)
    e_hv = jax_module.jvp(jax_module.grad(lambda a: f_jax(a, *rest)), (args[0],), (v,))[1]
    np.testing.assert_allclose(hv, np.asarray(e_hv), rtol=1e-9, atol=1e-12)


def test_arrays_are_copied_at_a_call_only_where_they_change(rng):
    args = _args(rng, "written_between_calls")
    copies = _copies(numbad.grad(written_between_calls).source(*args))
    # u at each call: written after the first two, and the reverse sweep puts back what
    # ``u[:] = u * b`` overwrote before the last call's adjoint runs; w never changes
    assert copies == ["u"] * 3
    mix = numbad.grad(mixture).source(*_args(rng, "mixture"))
    assert _copies(mix) == ["terms"]        # refilled in the next iteration


def _copies(source):
    """The arrays the forward sweep copies whole (not the slices a store overwrites)."""
    return re.findall(r"(\w+)\.copy\(\)", source.split("# ---- reverse sweep")[0])
