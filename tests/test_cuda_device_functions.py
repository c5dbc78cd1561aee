"""numbad.grad(f, target="cuda") and numbad.jvp(f, target="cuda"): per-thread
derivatives of device functions, against numbad's CPU gradient of the same code and
central differences (simulator in CI; unchanged on a GPU with NUMBA_ENABLE_CUDASIM=0)."""
import math

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from cuda_kernels import (  # noqa: E402
    _energy_cpu,
    energy_cpu,
    ensemble_gradients,
    ensemble_tangents,
    oscillator_energy,
)

import numbad  # noqa: E402
import numbad.cuda  # noqa: E402


def _members(rng, n=6):
    return rng.uniform(1, 3, n), rng.uniform(0.05, 0.2, n), rng.uniform(-1, 1, n)


def test_per_thread_gradients_match_cpu_gradient_and_differences(rng):
    ks, cs, x0s = _members(rng)
    out = np.zeros((ks.size, 3))
    ensemble_gradients[1, 32](ks, cs, x0s, 0.01, 40, out)
    cpu = numbad.grad(energy_cpu, argnums=(0, 1, 2))
    for i in range(ks.size):
        ref = cpu(ks[i], cs[i], x0s[i], 0.01, 40)
        np.testing.assert_allclose(out[i], ref, rtol=1e-10)
        for j, arg in enumerate((ks[i], cs[i], x0s[i])):
            h = 1e-6
            up = [ks[i], cs[i], x0s[i]]
            down = list(up)
            up[j], down[j] = arg + h, arg - h
            fd = (_energy_cpu(*up, 0.01, 40) - _energy_cpu(*down, 0.01, 40)) / (2 * h)
            np.testing.assert_allclose(out[i, j], fd, rtol=1e-5, atol=1e-8)


def test_per_thread_tangents(rng):
    ks, cs, x0s = _members(rng)
    dk, dx = rng.normal(size=ks.size), rng.normal(size=ks.size)
    out = np.zeros((ks.size, 2))
    ensemble_tangents[1, 32](ks, cs, x0s, dk, dx, 0.01, 40, out)
    cpu = numbad.grad(energy_cpu, argnums=(0, 2))
    for i in range(ks.size):
        np.testing.assert_allclose(out[i, 0], _energy_cpu(ks[i], cs[i], x0s[i], 0.01, 40),
                                   rtol=1e-12)
        gk, gx = cpu(ks[i], cs[i], x0s[i], 0.01, 40)
        np.testing.assert_allclose(out[i, 1], gk * dk[i] + gx * dx[i], rtol=1e-10)


def test_a_tape_too_small_gives_nan_not_a_wrong_number(rng):
    ks, cs, x0s = _members(rng, 4)
    small = numbad.cuda.device_grad(oscillator_energy, 0, tape_entries=48)

    @cuda.jit
    def kernel(ks, cs, x0s, steps, out):
        i = cuda.grid(1)
        if i < ks.size:
            out[i] = small(ks[i], cs[i], x0s[i], 0.01, steps)

    out = np.zeros(ks.size)
    kernel[1, 32](ks, cs, x0s, 20, out)
    np.testing.assert_allclose(out, [numbad.grad(energy_cpu)(k, c, x, 0.01, 20)
                                     for k, c, x in zip(ks, cs, x0s)], rtol=1e-10)
    kernel[1, 32](ks, cs, x0s, 100, out)
    assert np.isnan(out).all()


def test_array_arguments_are_refused():
    @cuda.jit(device=True)
    def total(x):
        return x[0] + x[1]

    g = numbad.grad(total, target="cuda")

    @cuda.jit
    def kernel(x, out):
        out[0] = g(x)

    with pytest.raises(Exception, match="scalar arguments"):
        kernel[1, 1](np.ones(2), np.zeros(1))


def test_unknown_target():
    with pytest.raises(ValueError, match="target"):
        numbad.grad(math.sin, target="tpu")


@cuda.jit(device=True)
def _potential(x, k):
    return 0.5 * k * x * x + 0.25 * x ** 4


_potential_slope = numbad.grad(_potential, target="cuda")


@cuda.jit
def _forces(x, k, out):
    i = cuda.grid(1)
    if i < x.size:
        out[i] = -_potential_slope(x[i], k[i])


def test_adjoint_of_a_kernel_calling_a_device_derivative_is_refused_cleanly():
    """(numbad's device derivatives are not differentiated again yet: a clean refusal
    naming the kernel, not an error from inside Numba)"""
    n = 4
    arrays = [cuda.to_device(a) for a in (np.linspace(-1, 1, n), np.zeros(n), np.ones(n),
                                          np.zeros(n), np.zeros(n), np.ones(n))]
    with pytest.raises(numbad.NotDifferentiableError, match="test_cuda_device_functions"):
        numbad.cuda.grad_kernel(_forces)[1, 4](*arrays)
