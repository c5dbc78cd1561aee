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
