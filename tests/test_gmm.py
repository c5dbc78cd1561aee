"""ADBench's GMM objective (benchmarks/workloads/gmm.py): numbad and the hand-written adjoint
against central finite differences and JAX, on a tiny instance.

numbad compiles its adjoint of ``gmm_objective`` once for the module (the
fixture below); that first call dominates the module's run time.
"""
import numpy as np
import pytest
from gradcheck import central_difference

import numbad
from benchmarks.workloads.gmm import (
    gmm_gradient_hand,
    gmm_jax_grad,
    gmm_jax_objective,
    gmm_objective,
    make_instance,
)

WRT = (0, 1, 2)          # alphas, means, icf
NAMES = ("alphas", "means", "icf")


@pytest.fixture(scope="module")
def instance():
    # gamma != 1 and m != 0, so that every term of the Wishart prior counts
    return make_instance(10, 3, 4, seed=7, wishart_gamma=1.3, wishart_m=2)


@pytest.fixture(scope="module")
def numbad_value_and_grad(instance):
    return numbad.value_and_grad(gmm_objective, WRT)(*instance)


def fd_gradient(f, args, i):
    """Central differences of f w.r.t. every element of the array args[i]."""
    a = args[i]
    out = np.empty(a.shape)
    for idx in np.ndindex(a.shape):
        def f_elem(v, idx=idx):
            b = a.copy()
            b[idx] = v
            return f(*args[:i], b, *args[i + 1:])
        out[idx] = central_difference(f_elem, (float(a[idx]),), 0)
    return out


def assert_close(got, expected, rtol, atol, what):
    for name, a, b in zip(NAMES, got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                                   err_msg=f"{what}, d/d {name}")


def test_numbad_matches_finite_differences(instance, numbad_value_and_grad):
    value, grads = numbad_value_and_grad
    np.testing.assert_allclose(value, gmm_objective(*instance), rtol=1e-12)
    fd = [fd_gradient(gmm_objective, instance, i) for i in WRT]
    assert_close(grads, fd, 1e-6, 1e-7, "numbad vs finite differences")


def test_hand_matches_finite_differences(instance):
    fd = [fd_gradient(gmm_objective, instance, i) for i in WRT]
    assert_close(gmm_gradient_hand(*instance), fd, 1e-6, 1e-7, "hand vs finite differences")


def test_objective_matches_jax(instance, jax_module):
    np.testing.assert_allclose(gmm_objective(*instance),
                               float(gmm_jax_objective()(*instance)), rtol=1e-12)


def test_numbad_matches_jax(instance, numbad_value_and_grad, jax_module):
    expected = gmm_jax_grad()(*instance)
    assert_close(numbad_value_and_grad[1], expected, 1e-10, 1e-12, "numbad vs jax.grad")


def test_hand_matches_jax(instance, jax_module):
    expected = gmm_jax_grad()(*instance)
    assert_close(gmm_gradient_hand(*instance), expected, 1e-10, 1e-12, "hand vs jax.grad")
