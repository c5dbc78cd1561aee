"""Every derivative rule of the scalar table, against finite differences and jax.grad."""
import math

import numba
import numpy as np
import pytest
from gradcheck import check_grads, fd_array

import numbad

# (name, numbad body, jax body, points): bodies are expressions in x (and y).
UNARY = [
    ("sin", "math.sin(x)", "jnp.sin(x)", [0.3, -1.2]),
    ("cos", "math.cos(x)", "jnp.cos(x)", [0.3, 2.0]),
    ("tan", "math.tan(x)", "jnp.tan(x)", [0.3, -1.0]),
    ("asin", "math.asin(0.3 * x)", "jnp.arcsin(0.3 * x)", [0.5, -2.0]),
    ("acos", "math.acos(0.3 * x)", "jnp.arccos(0.3 * x)", [0.5, -2.0]),
    ("atan", "math.atan(x)", "jnp.arctan(x)", [0.5, -3.0]),
    ("sinh", "math.sinh(x)", "jnp.sinh(x)", [0.5, -1.5]),
    ("cosh", "math.cosh(x)", "jnp.cosh(x)", [0.5, -1.5]),
    ("tanh", "math.tanh(x)", "jnp.tanh(x)", [0.5, -1.5]),
    ("exp", "math.exp(x)", "jnp.exp(x)", [0.5, -1.5]),
    ("expm1", "math.expm1(x)", "jnp.expm1(x)", [1e-3, -1.5]),
    ("log", "math.log(x)", "jnp.log(x)", [0.5, 3.0]),
    ("log1p", "math.log1p(x)", "jnp.log1p(x)", [0.5, -0.3]),
    ("log10", "math.log10(x)", "jnp.log10(x)", [0.5, 30.0]),
    ("log2", "math.log2(x)", "jnp.log2(x)", [0.5, 30.0]),
    ("sqrt", "math.sqrt(x)", "jnp.sqrt(x)", [0.5, 9.0]),
    ("fabs", "math.fabs(x)", "jnp.abs(x)", [0.5, -2.0]),
    ("abs", "abs(x)", "jnp.abs(x)", [0.5, -2.0]),
    ("floor", "math.floor(x) * x", "jnp.floor(x) * x", [1.5, -2.3]),
    ("ceil", "math.ceil(x) * x", "jnp.ceil(x) * x", [1.5, -2.3]),
    ("erf", "math.erf(x)", "jax.scipy.special.erf(x)", [0.5, -1.1]),
    ("erfc", "math.erfc(x)", "jax.scipy.special.erfc(x)", [0.5, -1.1]),
    ("asinh", "math.asinh(x)", "jnp.arcsinh(x)", [0.5, -2.0]),
    ("acosh", "math.acosh(x)", "jnp.arccosh(x)", [1.5, 4.0]),
    ("atanh", "math.atanh(x)", "jnp.arctanh(x)", [0.5, -0.3]),
    ("exp2", "math.exp2(x)", "jnp.exp2(x)", [0.5, -1.5]),
    ("radians", "math.radians(x) + math.degrees(x)", "jnp.radians(x) + jnp.degrees(x)", [0.5]),
    ("lgamma", "math.lgamma(x)", "jax.scipy.special.gammaln(x)", [0.3, 4.5, 30.0, -2.5]),
    ("gamma", "math.gamma(x)", "jax.scipy.special.gamma(x)", [0.3, 4.5, -2.5]),
    ("np.cbrt", "np.cbrt(x)", "jnp.cbrt(x)", [0.5, -2.0]),
    ("np.arcsinh", "np.arcsinh(x) + np.arctanh(0.3 * x) + np.arccosh(2.0 + x * x)",
     "jnp.arcsinh(x) + jnp.arctanh(0.3 * x) + jnp.arccosh(2.0 + x * x)", [0.5, -1.2]),
    ("np.exp2", "np.exp2(x) + np.deg2rad(x) + np.rad2deg(x) + np.positive(x)",
     "jnp.exp2(x) + jnp.deg2rad(x) + jnp.rad2deg(x) + x", [0.5]),
    ("np.rint", "np.rint(x) * x", "jnp.rint(x) * x", [1.3, -2.7]),
    ("neg", "-x", "-x", [0.5]),
    ("pos", "+x * 2.0", "+x * 2.0", [0.5]),
    ("float", "float(x) * x", "x * x", [0.5]),
    ("np.sin", "np.sin(x) * np.exp(x)", "jnp.sin(x) * jnp.exp(x)", [0.7]),
    ("square", "x ** 2", "x ** 2", [0.7, -1.3]),
    ("int power", "x ** 3 - x ** -2", "x ** 3 - x ** -2", [0.7, -1.3]),
    ("sqrt power", "x ** 0.5", "x ** 0.5", [0.7]),
    ("exp power", "2.0 ** x", "2.0 ** x", [0.7]),
    ("int times", "3 * x + x / 4", "3 * x + x / 4", [0.7]),
]
BINARY = [
    ("add", "x + y", "x + y", [(0.3, 1.2)]),
    ("sub", "x - y", "x - y", [(0.3, 1.2)]),
    ("mul", "x * y", "x * y", [(0.3, 1.2)]),
    ("div", "x / y", "x / y", [(0.3, 1.2), (-2.0, 0.7)]),
    ("pow", "x ** y", "x ** y", [(0.3, 1.2), (2.5, -0.7)]),
    ("math.pow", "math.pow(x, y)", "x ** y", [(0.3, 1.2)]),
    ("builtin pow", "pow(x, y)", "x ** y", [(0.3, 1.2)]),
    ("floordiv", "(x // y) * x + y", "jnp.floor_divide(x, y) * x + y", [(2.3, 0.7)]),
    ("mod", "x % y", "jnp.mod(x, y)", [(2.3, 0.7), (-2.3, 0.7)]),
    ("atan2", "math.atan2(x, y)", "jnp.arctan2(x, y)", [(0.3, 1.2), (-1.0, -0.5)]),
    ("hypot", "math.hypot(x, y)", "jnp.hypot(x, y)", [(0.3, 1.2)]),
    ("copysign", "math.copysign(x, y)", "jnp.copysign(x, y)", [(0.3, -1.2), (-0.3, 1.2)]),
    ("min", "min(x, y)", "jnp.minimum(x, y)", [(0.3, 1.2), (2.0, 1.0)]),
    ("max", "max(x, y)", "jnp.maximum(x, y)", [(0.3, 1.2), (2.0, 1.0)]),
    ("logaddexp", "np.logaddexp(x, y)", "jnp.logaddexp(x, y)", [(0.3, 1.2), (-30.0, 2.0)]),
    ("logaddexp2", "np.logaddexp2(x, y)", "jnp.logaddexp2(x, y)", [(0.3, 1.2), (5.0, -2.0)]),
    ("fmod", "np.fmod(x, y)", "jnp.fmod(x, y)", [(2.3, 0.7), (-2.3, 0.7)]),
    ("remainder", "np.remainder(x, y) + np.mod(y, x)", "jnp.remainder(x, y) + jnp.mod(y, x)",
     [(2.3, 0.7), (-2.3, 0.7)]),
    ("float_power", "np.float_power(x, y)", "jnp.float_power(x, y)", [(0.3, 1.2)]),
    ("np.arctan2", "np.arctan2(x, y) + np.hypot(x, y)", "jnp.arctan2(x, y) + jnp.hypot(x, y)",
     [(0.3, 1.2)]),
]


def _compile(params, body):
    env = {"math": math, "np": np}
    exec("def f(%s):\n    return %s\n" % (params, body), env)
    return numba.njit(env["f"])


def _jax(params, body):
    import jax
    import jax.numpy as jnp
    env = {"jax": jax, "jnp": jnp}
    exec("import jax.scipy.special\ndef f(%s):\n    return %s\n" % (params, body), env)
    return env["f"]


@pytest.mark.parametrize("name,body,jbody,points", UNARY, ids=[r[0] for r in UNARY])
def test_unary_rule(name, body, jbody, points, jax_module):
    f = _compile("x", body)
    for x in points:
        g = check_grads(f, (x,), 0, jax_f=_jax("x", jbody))
        np.testing.assert_allclose(numbad.jvp(f, (x,), (1.0,))[1], g, rtol=1e-12)


@pytest.mark.parametrize("name,body,jbody,points", BINARY, ids=[r[0] for r in BINARY])
def test_binary_rule(name, body, jbody, points, jax_module):
    f = _compile("x, y", body)
    for x, y in points:
        gx, gy = check_grads(f, (x, y), (0, 1), jax_f=_jax("x, y", jbody))
        np.testing.assert_allclose(numbad.jvp(f, (x, y), (0.3, -0.7))[1], 0.3 * gx - 0.7 * gy,
                                   rtol=1e-12)


def test_lgamma_derivatives_of_every_order_against_scipy():
    """d lgamma = digamma, then polygamma(1), polygamma(2): each order differentiates
    the previous rule's polygamma call (numbad.special)."""
    from scipy.special import polygamma
    f = _compile("x", "math.lgamma(x) + math.log(math.gamma(x + 1.0))")
    d1 = numbad.grad(f)
    d2 = numbad.grad(d1)
    d3 = numbad.grad(d2)
    for x in [0.2, 1.0, 3.7, 25.0, -0.5]:
        want = [polygamma(n, x) + polygamma(n, x + 1.0) for n in range(3)]
        np.testing.assert_allclose([d1(x), d2(x), d3(x)], want, rtol=1e-12)
        np.testing.assert_allclose(numbad.hessian(f)(x), want[1], rtol=1e-12)


def test_float32_arguments_give_float32_gradients():
    f = _compile("x, y", "math.sin(x) * y + x / y")
    gx, gy = numbad.grad(f, argnums=(0, 1))(np.float32(0.5), np.float32(2.0))
    assert type(gx) is np.float32 and type(gy) is np.float32
    np.testing.assert_allclose([gx, gy], [math.cos(0.5) * 2.0 + 0.5, math.sin(0.5) - 0.5 / 4],
                               rtol=1e-6)


def test_int_argument_mixed_into_float_math():
    f = _compile("x, n", "x * n + n / x + x ** n")
    check_grads(f, (0.7, 3), 0)


def test_derivative_zero_where_the_result_does_not_depend_on_x():
    f = _compile("x, y", "y * 2.0 + math.floor(x)")
    assert numbad.grad(f)(0.5, 1.0) == 0.0


def at_ties(u, v):
    s = 0.0
    for i in range(u.shape[0]):
        s += 3.0 * max(u[i], v[i]) + min(u[i], 0.5)
    return s + np.sum(np.maximum(u, v) * 2.0 + np.minimum(u, v) + np.clip(u, 0.2, 0.7))


def test_ties_share_the_derivative_as_differences_and_jax_do(jax_module):
    """max/min/clip where the arguments are equal: half to each, which is what central
    differences give and JAX's maximum/minimum/clip do."""
    jnp = jax_module.numpy
    u, v = np.array([0.5, 0.2, 0.7, 0.1]), np.array([0.5, 0.3, 0.6, 0.1])

    def jax_at_ties(u, v):
        return jnp.sum(3.0 * jnp.maximum(u, v) + jnp.minimum(u, 0.5) + jnp.maximum(u, v) * 2.0
                       + jnp.minimum(u, v) + jnp.clip(u, 0.2, 0.7))
    got = numbad.grad(at_ties, argnums=(0, 1))(u, v)
    want = jax_module.grad(jax_at_ties, argnums=(0, 1))(u, v)
    for g, w, i in zip(got, want, range(2)):
        np.testing.assert_allclose(g, w, rtol=1e-12)
        np.testing.assert_allclose(g, fd_array(at_ties, (u, v), i), rtol=1e-6)
    t = numbad.jvp(at_ties, (u, v), (np.ones(4), np.zeros(4)))[1]
    np.testing.assert_allclose(t, np.sum(want[0]), rtol=1e-12)
