"""One helper for every derivative test: numbad against central finite differences and JAX."""
import numpy as np

import numbad


def central_difference(f, args, i, h=None):
    """d f / d args[i] by central differences with a step scaled to |args[i]|."""
    x = float(args[i])
    h = h or 1e-6 * max(1.0, abs(x))
    up, down = list(args), list(args)
    up[i] = type(args[i])(x + h)
    down[i] = type(args[i])(x - h)
    return (float(f(*up)) - float(f(*down))) / (2 * h)


def fd_array(f, args, i, h=1e-6):
    """Central differences of f w.r.t. every element of the array args[i]."""
    a = args[i]
    out = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[idx] = h
        up, down = list(args), list(args)
        up[i], down[i] = a + step, a - step
        out[idx] = (f(*up) - f(*down)) / (2 * h)
    return out


def check_grads(f, args, argnums=0, jax_f=None, rtol=1e-5, atol=1e-7):
    """Check numbad.grad(f, argnums) at args against finite differences (and jax.grad(jax_f)).

    Returns numbad's gradient (a tuple when argnums is a tuple).
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    value, grads = numbad.value_and_grad(f, argnums)(*args)
    got = (grads,) if isinstance(argnums, int) else grads
    assert len(got) == len(nums)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-300)
    fd = [central_difference(f, args, i) for i in nums]
    np.testing.assert_allclose(got, fd, rtol=rtol, atol=atol,
                               err_msg="numbad vs finite differences")
    if jax_f is not None:
        import jax
        expected = jax.grad(jax_f, argnums=nums)(*args)
        np.testing.assert_allclose(got, [float(e) for e in expected], rtol=1e-9, atol=1e-12,
                                   err_msg="numbad vs jax.grad")
    return grads


def _step(args, nums, direction, h):
    """args moved by h along ``direction`` (one entry per argnum)."""
    out = list(args)
    for i, d in zip(nums, direction):
        out[i] = args[i] + h * d if isinstance(args[i], np.ndarray) else \
            type(args[i])(args[i] + h * d)
    return out


def _directional_difference(f, args, nums, direction, h):
    return (float(f(*_step(args, nums, direction, h))) -
            float(f(*_step(args, nums, direction, -h)))) / (2 * h)


def check_modes(f, args, argnums=0, jax_f=None, order=1, seed=0, rtol=1e-5, atol=1e-7):
    """Check f's derivatives in every mode: ``grad`` against central differences (of
    each element, at two step sizes: the better one counts), ``jvp`` along a random
    direction against the inner product with that gradient and a directional
    difference, ``jax.grad(jax_f)`` where given, and with ``order=2`` ``hvp`` (forward
    over reverse) against differences of numbad's gradient. Returns the gradient."""
    rng = np.random.default_rng(seed)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    value, grads = numbad.value_and_grad(f, argnums)(*args)
    got = (grads,) if isinstance(argnums, int) else grads
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-300)
    for i, g in zip(nums, got):
        assert np.shape(g) == np.shape(args[i])
        fds = [fd_array(f, args, i, h) if isinstance(args[i], np.ndarray) else
               central_difference(f, args, i, h * max(1.0, abs(args[i])))
               for h in (1e-6, 1e-4)]
        errors = [np.max(np.abs(np.asarray(g) - fd) - rtol * np.abs(fd)) for fd in fds]
        best = fds[int(np.argmin(errors))]
        np.testing.assert_allclose(g, best, rtol=rtol, atol=atol,
                                   err_msg="numbad vs finite differences, arg %d" % i)
    direction = [rng.standard_normal(np.shape(args[i])) if isinstance(args[i], np.ndarray)
                 else float(rng.standard_normal()) for i in nums]
    tangents = tuple(direction[nums.index(i)] if i in nums else
                     np.zeros_like(a) if isinstance(a, np.ndarray) else
                     type(a)(0) if isinstance(a, (int, float, np.number)) else None
                     for i, a in enumerate(args))     # (None: a function passed in)
    out, dot = numbad.jvp(f, tuple(args), tangents)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12, atol=1e-300)
    inner = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(got, direction))
    np.testing.assert_allclose(dot, inner, rtol=1e-9, atol=1e-12,
                               err_msg="jvp vs <grad, t>")
    scale = max(1.0, max(float(np.max(np.abs(args[i]))) for i in nums))
    fd_dir = min((_directional_difference(f, args, nums, direction, h * scale)
                  for h in (1e-6, 1e-4)), key=lambda d: abs(d - dot))
    np.testing.assert_allclose(dot, fd_dir, rtol=rtol, atol=atol,
                               err_msg="jvp vs directional differences")
    if jax_f is not None:
        import jax
        expected = jax.grad(jax_f, argnums=nums)(*args)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, np.asarray(e), rtol=1e-9, atol=1e-12,
                                       err_msg="numbad vs jax.grad")
    if order >= 2:
        i = nums[0]
        v = direction[0]
        hv = numbad.hvp(f, argnums=i)(*args, v)
        g_of = numbad.grad(f, argnums=i)
        h = 1e-5 * scale
        fd_hv = (np.asarray(g_of(*_step(args, (i,), (v,), h))) -
                 np.asarray(g_of(*_step(args, (i,), (v,), -h)))) / (2 * h)
        np.testing.assert_allclose(hv, fd_hv, rtol=1e-4, atol=1e-6,
                                   err_msg="hvp vs differences of the gradient")
    return grads
